// Input: what went wrong while getting a token.
// Output: one error type that says whether waiting helps, logging in again helps, or neither.
//
// `AuthError` is one pointer wide on purpose: every `token().await` returns
// `Result<Arc<Token>, AuthError>`, and a 32-byte error made that result travel through memory
// instead of two registers, which cost a third of the fast path (see `runtime/benches`).

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A boxed error from a token source, shared so that every waiter of one refresh gets it.
pub type SourceError = Arc<dyn StdError + Send + Sync + 'static>;

/// Why a token could not be had.
///
/// Every caller waiting on one refresh receives the same error, so the type is cheap to
/// clone (one pointer). Messages never contain a token or a client secret. Match on
/// [`kind`](AuthError::kind) for the details.
///
/// A [`TokenSource`](crate::TokenSource) builds its errors with
/// [`AuthError::refresh_failed`] (may pass: network, 5xx, rate limit: the cache retries after
/// a backoff), [`AuthError::reauthenticate`] (the credentials are dead: `invalid_grant`),
/// [`AuthError::invalid_client`] (the client's own id or secret is refused:
/// `invalid_client`) or [`AuthError::rejected`] (the request itself is wrong); after the last
/// three the cache makes no attempt until it is given a new token.
///
/// ```
/// use std::time::Duration;
/// use freshtoken::{AuthError, AuthErrorKind};
///
/// let busy = AuthError::refresh_failed("token endpoint answered 503")
///     .with_retry_after(Duration::from_secs(30));
/// assert!(busy.is_retryable());
/// assert_eq!(busy.retry_after(), Some(Duration::from_secs(30)));
///
/// let dead = AuthError::reauthenticate("invalid_grant: refresh token revoked");
/// assert!(dead.needs_reauthentication());
/// assert!(dead.to_string().contains("log in again"));
/// assert!(matches!(dead.kind(), AuthErrorKind::ReauthenticationRequired { .. }));
///
/// let slow: AuthError = AuthErrorKind::Timeout(Duration::from_secs(5)).into();
/// assert!(slow.is_retryable());
/// ```
#[derive(Clone)]
pub struct AuthError {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: AuthErrorKind,
    /// Set when the cache hands out a failure again during its backoff: how long until the
    /// next attempt, from when it was handed out.
    repeated: Option<Duration>,
    /// Refreshes in a row that failed, this one included, when a cache handed it out.
    in_a_row: u32,
}

/// After this many failed refreshes in a row, a retryable error says that the login itself
/// may be dead: some token endpoints answer a revoked refresh token with a 5xx rather than
/// `invalid_grant`, and retrying such an answer never ends.
pub(crate) const PERSISTENT_FAILURES: u32 = 5;

/// A `Retry-After` longer than this is capped, so one odd header cannot stop a cache for a day
/// (and adding it to an `Instant` cannot overflow).
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// What an [`AuthError`] is, with its details; see [`AuthError::kind`].
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// Getting a token failed in a way that may pass (network, timeout, 5xx, rate limit).
    /// The cache tries again after a backoff, and no sooner than `retry_after`.
    #[error("token refresh failed: {source}")]
    RefreshFailed {
        /// What the token source reported.
        source: SourceError,
        /// The earliest time, from when the error was received, to try again, if the
        /// token endpoint said (for example with `Retry-After`).
        retry_after: Option<Duration>,
    },

    /// The credentials are no longer accepted (for example `invalid_grant`: the refresh
    /// token expired or was revoked). Trying again will not help; the cache makes no further
    /// attempt until it is given a new token with
    /// [`TokenCache::save_token`](crate::TokenCache::save_token) or, for a source that only
    /// refreshes, [`TokenCache::save_refresh_token`](crate::TokenCache::save_refresh_token)
    /// (both reach every process sharing the token store), or
    /// [`TokenCache::set_token`](crate::TokenCache::set_token) (this cache only), or finds a
    /// new login in its store.
    #[error(
        "re-authentication required (log in again): {source}; a login saved with \
         `TokenCache::save_token` (or a refresh token with `save_refresh_token`) reaches every \
         process that shares the token store"
    )]
    ReauthenticationRequired {
        /// What the token source reported.
        source: SourceError,
    },

    /// The token endpoint did not accept the client's own credentials (RFC 6749 section 5.2
    /// `invalid_client`, or a 401 to a client that sent a secret): the client id or secret is
    /// wrong, or the client was disabled. Logging in again will not help, nor will retrying:
    /// the configuration needs fixing. The cache makes no further attempt until it is given
    /// a new token; [`needs_reauthentication`](AuthError::needs_reauthentication) is false.
    #[error(
        "the token endpoint rejected the client credentials (invalid_client): {source}; check \
         the client id and secret"
    )]
    InvalidClient {
        /// What the token source reported.
        source: SourceError,
    },

    /// The request was refused for a reason that retrying will not fix: the token endpoint
    /// answered an RFC 6749 error such as `invalid_request`, `unauthorized_client` or
    /// `invalid_scope` (or another 4xx), the user denied a login, an authorization server's
    /// metadata was not found, or the source is misconfigured. The message is the source's:
    /// what happened and what to do, which differ from case to case. The cache makes no
    /// further attempt until it is given a new token.
    #[error("{source}")]
    Rejected {
        /// What the token source reported.
        source: SourceError,
    },

    /// A token was received but cannot be used as it is.
    #[error("invalid token: {reason}")]
    InvalidToken {
        /// What is wrong with it (never the token itself).
        reason: String,
    },

    /// The token request, or the token source as a whole, took longer than its timeout: the
    /// limit, or zero when it is the HTTP client's own, which reqwest does not report (a
    /// request your code sent, read with `oauth::TokenAnswer::receive`).
    #[error(
        "token refresh timed out {}; the token endpoint may be down or slow, or an \
         interactive login (a browser, a device code) took longer (the limits are \
         `TokenCacheBuilder::refresh_timeout`, an interactive source's own `login_timeout`, \
         and the sources' own `timeout`); an interactive login can be done before: the \
         source's `login`, its token saved with `TokenCache::save_token`",
        timed_out_after(*.0)
    )]
    Timeout(Duration),

    /// The refresh ended without a result: the token source panicked, or the runtime that
    /// ran it shut down.
    #[error(
        "token refresh ended without a result (the token source panicked or its runtime shut down)"
    )]
    RefreshAborted,

    /// The cache was used outside a tokio runtime, and was built outside one too, so it has
    /// nowhere to run refreshes.
    #[error(
        "freshtoken needs a tokio runtime to refresh tokens, and this cache has none: build \
         the cache inside one, give it one with `TokenCacheBuilder::runtime`, or let it start \
         its own with `TokenCacheBuilder::build_with_own_runtime`"
    )]
    NoRuntime,

    /// A blocking call ([`TokenCache::blocking_token`](crate::TokenCache::blocking_token), or
    /// a non-async fn under `#[refresh_token]`) was made on a thread of a tokio runtime, where
    /// blocking could stall the very refresh it waits for. Returned at once, whether or not
    /// the token is fresh, so the mistake shows on the first call rather than at expiry.
    #[error(
        "a blocking token call (`blocking_token`, or a non-async `#[refresh_token]` fn) was \
         made on a thread of a tokio runtime (async code, `spawn_blocking`, or under \
         `Runtime::enter`), where waiting could stall the refresh it waits for: in async code \
         use `cache.token().await` and async fns; run blocking code that needs a token on a \
         thread outside the runtime (`std::thread::spawn`)"
    )]
    BlockingInAsyncContext,

    /// A blocking call waited longer than the cache's own limits allow a refresh to take (its
    /// timeouts, twice over): the runtime meant to run the refresh is not running tasks, for
    /// example a current-thread runtime's handle while nobody is inside its `block_on`.
    #[error(
        "no token after {0:?} of waiting, longer than the cache's timeouts allow a refresh to \
         take: the runtime that should run it is not running tasks (a current-thread runtime \
         runs them only inside its `block_on`); give the cache a multi-thread runtime's \
         handle, or build it with `TokenCacheBuilder::build_with_own_runtime`"
    )]
    RefreshNotRunning(Duration),

    /// The token store did not answer in time, or could not be locked; the refresh did not
    /// run. The cache tries again after a backoff.
    #[error("{source}")]
    Store {
        /// What the store reported; it names the store.
        source: Arc<crate::StoreError>,
    },

    /// [`TokenCache::close`](crate::TokenCache::close) was called: the cache hands out no
    /// more tokens.
    #[error(
        "the token cache was closed (`TokenCache::close`) and hands out no more tokens; build a \
         new cache if the program goes on"
    )]
    Closed,

    /// The token source asked the very cache it fills for a token, which would wait for the
    /// refresh that is running it.
    #[error(
        "the token source asked the cache it fills for a token (it would wait for itself); a \
         source must reach the token endpoint directly, not through a client that uses this \
         cache"
    )]
    SourceUsesOwnCache,

    /// A resource refused the token for lack of scope (`insufficient_scope`), and asking for
    /// a token with more scope cannot help: the token already holds every scope the resource
    /// named, those scopes were already asked for and not granted, or the resource named
    /// none. See [`TokenCache::step_up_for`](crate::TokenCache::step_up_for).
    #[error("the resource refused the token for lack of scope ({scope}): {reason}")]
    InsufficientScope {
        /// The scopes the resource named, space-separated (empty when it named none).
        scope: String,
        /// Why no step-up was made, and what to do.
        reason: &'static str,
    },

    /// The tokio runtime has no time driver, which the cache needs for its timeouts.
    #[error(
        "freshtoken needs tokio's time driver: build the runtime with `enable_time()` (or \
         `enable_all()`)"
    )]
    NoTimeDriver,
}

impl AuthError {
    /// A failure that may pass: the cache retries after a backoff.
    pub fn refresh_failed(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        AuthErrorKind::RefreshFailed {
            source: Arc::from(source.into()),
            retry_after: None,
        }
        .into()
    }

    /// Dead credentials: the cache stops trying until it gets a new token.
    pub fn reauthenticate(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        AuthErrorKind::ReauthenticationRequired {
            source: Arc::from(source.into()),
        }
        .into()
    }

    /// The client's own credentials (id and secret) are refused: the cache stops trying
    /// until it gets a new token, and the user need not log in again.
    pub fn invalid_client(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        AuthErrorKind::InvalidClient {
            source: Arc::from(source.into()),
        }
        .into()
    }

    /// A request that will not succeed however often it is sent. `source` is the whole
    /// message: say what was refused and what to fix.
    pub fn rejected(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        AuthErrorKind::Rejected {
            source: Arc::from(source.into()),
        }
        .into()
    }

    /// A token that cannot be used; `reason` must not contain the token.
    pub fn invalid_token(reason: impl Into<String>) -> Self {
        AuthErrorKind::InvalidToken {
            reason: reason.into(),
        }
        .into()
    }

    /// A short, stable name of the error's kind (`refresh_failed`, `timeout`, `store`...):
    /// the `error.type` attribute of the metrics and spans.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self.kind() {
            AuthErrorKind::RefreshFailed { .. } => "refresh_failed",
            AuthErrorKind::ReauthenticationRequired { .. } => "reauthentication_required",
            AuthErrorKind::InvalidClient { .. } => "invalid_client",
            AuthErrorKind::Rejected { .. } => "rejected",
            AuthErrorKind::InvalidToken { .. } => "invalid_token",
            AuthErrorKind::Timeout(_) => "timeout",
            AuthErrorKind::RefreshAborted => "refresh_aborted",
            AuthErrorKind::NoRuntime => "no_runtime",
            AuthErrorKind::BlockingInAsyncContext => "blocking_in_async_context",
            AuthErrorKind::RefreshNotRunning(_) => "refresh_not_running",
            AuthErrorKind::Store { .. } => "store",
            AuthErrorKind::Closed => "closed",
            AuthErrorKind::SourceUsesOwnCache => "source_uses_own_cache",
            AuthErrorKind::InsufficientScope { .. } => "insufficient_scope",
            AuthErrorKind::NoTimeDriver => "no_time_driver",
        }
    }

    /// What went wrong, with its details.
    #[must_use]
    pub fn kind(&self) -> &AuthErrorKind {
        &self.inner.kind
    }

    /// Adds the endpoint's hint of when to try again. Only a
    /// [`AuthErrorKind::RefreshFailed`] carries it; other errors are returned unchanged.
    #[must_use]
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        if let AuthErrorKind::RefreshFailed { retry_after, .. } =
            &mut Arc::make_mut(&mut self.inner).kind
        {
            *retry_after = Some(delay);
        }
        self
    }

    /// The endpoint's hint of when to try again, if it gave one, at most an hour (so that
    /// `Instant::now() + delay` cannot overflow whatever the endpoint sent).
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self.kind() {
            AuthErrorKind::RefreshFailed { retry_after, .. } => {
                retry_after.map(|delay| delay.min(MAX_RETRY_AFTER))
            }
            _ => None,
        }
    }

    /// When the cache hands out this failure again during its backoff rather than making a
    /// new attempt: how long, from then, until the next attempt. `None` for a fresh failure.
    #[must_use]
    pub fn next_attempt_in(&self) -> Option<Duration> {
        self.inner.repeated
    }

    /// This failure, handed out again during the backoff, with the time left until the next
    /// attempt.
    pub(crate) fn repeated(&self, next_attempt_in: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                repeated: Some(next_attempt_in),
                ..(*self.inner).clone()
            }),
        }
    }

    /// How many refreshes in a row have failed, this one included, as counted by the cache
    /// that handed out this error (0 for an error that did not come from a cache). The cache
    /// keeps retrying a failure that may pass however long it lasts (with a backoff of at
    /// most a minute by default); a program that wants to give up on a login after some
    /// number of failures reads this and calls [`TokenCache::reset`](crate::TokenCache::reset)
    /// to start a new login.
    #[must_use]
    pub fn failures_in_a_row(&self) -> u32 {
        self.inner.in_a_row
    }

    /// This error, as the `n`th failed refresh in a row.
    pub(crate) fn in_a_row(self, n: u32) -> Self {
        Self {
            inner: Arc::new(Inner {
                in_a_row: n,
                ..(*self.inner).clone()
            }),
        }
    }

    /// Whether trying again later may succeed without user action.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self.kind(),
            AuthErrorKind::ReauthenticationRequired { .. }
                | AuthErrorKind::InvalidClient { .. }
                | AuthErrorKind::Rejected { .. }
                | AuthErrorKind::NoRuntime
                | AuthErrorKind::Closed
                | AuthErrorKind::SourceUsesOwnCache
                | AuthErrorKind::NoTimeDriver
                | AuthErrorKind::BlockingInAsyncContext
                | AuthErrorKind::RefreshNotRunning(_)
                | AuthErrorKind::InsufficientScope { .. }
        )
    }

    /// Whether the user (or the program) must log in again.
    #[must_use]
    pub fn needs_reauthentication(&self) -> bool {
        matches!(self.kind(), AuthErrorKind::ReauthenticationRequired { .. })
    }
}

/// `after 5s`, or, for a zero, the limit nobody reported to us.
fn timed_out_after(limit: Duration) -> String {
    if limit.is_zero() {
        "at the HTTP client's own timeout".to_owned()
    } else {
        format!("after {limit:?}")
    }
}

impl From<AuthErrorKind> for AuthError {
    fn from(kind: AuthErrorKind) -> Self {
        Self {
            inner: Arc::new(Inner {
                kind,
                repeated: None,
                in_a_row: 0,
            }),
        }
    }
}

/// A store that failed (for example in [`TokenCache::save_token`](crate::TokenCache::save_token))
/// is an [`AuthErrorKind::Store`], which may pass.
impl From<crate::StoreError> for AuthError {
    fn from(error: crate::StoreError) -> Self {
        AuthErrorKind::Store {
            source: Arc::new(error),
        }
        .into()
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner.kind, f)?;
        let in_a_row = self.inner.in_a_row;
        if in_a_row >= PERSISTENT_FAILURES && self.is_retryable() {
            write!(
                f,
                "; {in_a_row} refreshes in a row have failed: if the token endpoint answers so \
                 only for this login, its refresh token may be dead, and \
                 `TokenCache::reset` starts a new login"
            )?;
        }
        if let Some(next) = self.inner.repeated {
            write!(
                f,
                " (the last failure, repeated without a new attempt; the next attempt is in \
                 {:.1} s)",
                next.as_secs_f64()
            )?;
        }
        Ok(())
    }
}

/// Shows the kind and the whole message: `?` in `main` and `unwrap()` print `Debug`, and the
/// message is what names the fix. Neither holds a secret.
impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthError")
            .field("kind", &self.inner.kind)
            .field("message", &self.to_string())
            .finish()
    }
}

impl StdError for AuthError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.kind.source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_of_an_arc_and_an_auth_error_fits_two_registers() {
        assert_eq!(size_of::<AuthError>(), size_of::<usize>());
        assert_eq!(
            size_of::<Result<Arc<crate::Token>, AuthError>>(),
            2 * size_of::<usize>()
        );
    }

    #[test]
    fn display_and_source_are_the_kinds() {
        let error = AuthError::refresh_failed("endpoint answered 503");
        assert_eq!(error.to_string(), error.kind().to_string());
        let source = error.source().expect("a refresh failure has a source");
        assert_eq!(source.to_string(), "endpoint answered 503");
    }

    #[test]
    fn a_timeout_says_its_limit_or_that_it_was_the_http_clients() {
        let known = AuthError::from(AuthErrorKind::Timeout(Duration::from_secs(5)));
        assert!(
            known
                .to_string()
                .starts_with("token refresh timed out after 5s;"),
            "{known}"
        );
        let unreported = AuthError::from(AuthErrorKind::Timeout(Duration::ZERO));
        assert!(
            unreported
                .to_string()
                .starts_with("token refresh timed out at the HTTP client's own timeout;"),
            "{unreported}"
        );
    }

    /// `?` in `main` and `unwrap()` print `Debug`: the fix the message names must be there.
    #[test]
    fn debug_carries_the_kind_and_the_message_that_names_the_fix() {
        for (error, fix) in [
            (
                AuthError::from(AuthErrorKind::NoRuntime),
                "`TokenCacheBuilder::build_with_own_runtime`",
            ),
            (
                AuthErrorKind::BlockingInAsyncContext.into(),
                "use `cache.token().await`",
            ),
        ] {
            let debug = format!("{error:?}");
            assert!(debug.contains(&format!("{:?}", error.kind())), "{debug}");
            assert!(debug.contains(fix), "{debug}");
            assert!(format!("{error:#?}").contains(fix));
        }
        let repeated = AuthError::refresh_failed("endpoint answered 503")
            .in_a_row(PERSISTENT_FAILURES)
            .repeated(Duration::from_secs(3));
        let debug = format!("{repeated:?}");
        assert!(
            debug.contains("`TokenCache::reset` starts a new login")
                && debug.contains("the next attempt is in 3.0 s"),
            "{debug}"
        );
    }

    #[test]
    fn an_absurd_retry_after_is_handed_out_capped_at_an_hour() {
        let error = AuthError::refresh_failed("busy").with_retry_after(Duration::MAX);
        let delay = error.retry_after().expect("a hint was given");
        assert_eq!(delay, MAX_RETRY_AFTER);
        // What callers do with it must not panic.
        let _ = std::time::Instant::now() + delay;
    }

    #[test]
    fn a_repeated_failure_says_so_and_when_the_next_attempt_is() {
        let error = AuthError::refresh_failed("endpoint answered 503");
        assert_eq!(error.next_attempt_in(), None);
        let repeated = error.repeated(Duration::from_millis(12_340));
        assert_eq!(
            repeated.next_attempt_in(),
            Some(Duration::from_millis(12_340))
        );
        assert!(matches!(
            repeated.kind(),
            AuthErrorKind::RefreshFailed { .. }
        ));
        let message = repeated.to_string();
        assert!(message.starts_with(&error.to_string()), "{message}");
        assert!(
            message.contains("the last failure, repeated") && message.contains("in 12.3 s"),
            "{message}"
        );
    }

    #[test]
    fn retry_after_sticks_to_refresh_failures_only() {
        let delay = Duration::from_secs(7);
        let shared = AuthError::refresh_failed("busy");
        let hinted = shared.clone().with_retry_after(delay);
        assert_eq!(hinted.retry_after(), Some(delay));
        assert_eq!(shared.retry_after(), None, "a clone is not changed");
        let dead = AuthError::reauthenticate("invalid_grant").with_retry_after(delay);
        assert_eq!(dead.retry_after(), None);
    }
}
