// Input: what went wrong while getting a token.
// Output: one error type that says whether waiting helps, logging in again helps, or neither.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

/// A boxed error from a token source, shared so that every waiter of one refresh gets it.
pub type SourceError = Arc<dyn StdError + Send + Sync + 'static>;

/// Why a token could not be had.
///
/// Every caller waiting on one refresh receives the same error, so the type is cheap to
/// clone. Messages never contain a token or a client secret.
///
/// A [`TokenSource`](crate::TokenSource) builds its errors with
/// [`AuthError::refresh_failed`] (may pass: network, 5xx, rate limit: the cache retries after
/// a backoff), [`AuthError::reauthenticate`] (the credentials are dead: `invalid_grant`,
/// `invalid_client`) or [`AuthError::rejected`] (the request itself is wrong); after the last
/// two the cache makes no attempt until it is given a new token.
///
/// ```
/// use std::time::Duration;
/// use freshtoken::AuthError;
///
/// let busy = AuthError::refresh_failed("token endpoint answered 503")
///     .with_retry_after(Duration::from_secs(30));
/// assert!(busy.is_retryable());
/// assert_eq!(busy.retry_after(), Some(Duration::from_secs(30)));
///
/// let dead = AuthError::reauthenticate("invalid_grant: refresh token revoked");
/// assert!(dead.needs_reauthentication());
/// assert!(dead.to_string().contains("log in again"));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
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
    /// [`TokenCache::set_token`](crate::TokenCache::set_token).
    #[error("re-authentication required (log in again): {source}")]
    ReauthenticationRequired {
        /// What the token source reported.
        source: SourceError,
    },

    /// The token endpoint refused the request for a reason that retrying will not fix (an
    /// RFC 6749 error such as `invalid_request`, `unauthorized_client` or `invalid_scope`, or
    /// another 4xx). The configuration needs fixing; the cache makes no further attempt until
    /// it is given a new token.
    #[error("the token endpoint rejected the request: {source}; check the client configuration")]
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

    /// The token request, or the token source as a whole, took longer than its timeout.
    #[error(
        "token refresh timed out after {0:?}; the token endpoint may be down or slow (the \
         limits are `TokenCacheBuilder::refresh_timeout` and the sources' own `timeout`)"
    )]
    Timeout(Duration),

    /// The refresh ended without a result: the token source panicked, or the runtime that
    /// ran it shut down.
    #[error(
        "token refresh ended without a result (the token source panicked or its runtime shut down)"
    )]
    RefreshAborted,

    /// The cache was used outside a tokio runtime, which it needs to run refreshes.
    #[error("freshtoken needs a tokio runtime to refresh tokens; call it from within one")]
    NoRuntime,
}

impl AuthError {
    /// A failure that may pass: the cache retries after a backoff.
    pub fn refresh_failed(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::RefreshFailed {
            source: Arc::from(source.into()),
            retry_after: None,
        }
    }

    /// Dead credentials: the cache stops trying until it gets a new token.
    pub fn reauthenticate(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::ReauthenticationRequired {
            source: Arc::from(source.into()),
        }
    }

    /// A request the token endpoint will not accept however often it is sent.
    pub fn rejected(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Rejected {
            source: Arc::from(source.into()),
        }
    }

    /// A token that cannot be used; `reason` must not contain the token.
    pub fn invalid_token(reason: impl Into<String>) -> Self {
        Self::InvalidToken {
            reason: reason.into(),
        }
    }

    /// Adds the endpoint's hint of when to try again. Only a [`AuthError::RefreshFailed`]
    /// carries it; other errors are returned unchanged.
    #[must_use]
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        if let Self::RefreshFailed { retry_after, .. } = &mut self {
            *retry_after = Some(delay);
        }
        self
    }

    /// The endpoint's hint of when to try again, if it gave one.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RefreshFailed { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether trying again later may succeed without user action.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self,
            Self::ReauthenticationRequired { .. } | Self::Rejected { .. } | Self::NoRuntime
        )
    }

    /// Whether the user (or the program) must log in again.
    #[must_use]
    pub fn needs_reauthentication(&self) -> bool {
        matches!(self, Self::ReauthenticationRequired { .. })
    }
}
