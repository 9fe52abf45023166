// Input: a method wrapped by `#[refresh_token]` (async or blocking), one attempt at a time.
// Output: the token for each attempt, and the decision to retry once after a 401.
//
// Not public API: only the code `#[refresh_token]` generates calls this, so the policy lives
// here, as ordinary code with unit tests, and the expansion stays a few lines long.

use std::ops::ControlFlow;
use std::sync::Arc;

use crate::{
    AccessToken, AuthError, NonceDemand, Token, TokenCache, TokenFuture, TokenSource, Unauthorized,
};

/// The `http` crate, for the `Method` of a generated client's specs.
pub use http;
/// Runs `#[refresh_token]`'s resends in their spans.
pub use tracing::Instrument;

/// The return type of a wrapped method: `Result<T, E>` under any alias.
#[diagnostic::on_unimplemented(
    message = "a function with `#[refresh_token]` must return `Result<T, E>`, not `{Self}`",
    label = "expected `Result<T, E>` here",
    note = "the token refresh can fail, and the method reports that through its error type `E` (which needs `From<freshtoken::AuthError>`)"
)]
pub trait MethodResult {
    /// `E` in `Result<T, E>`.
    type Error;

    /// The error, if this is one.
    fn error(&self) -> Option<&Self::Error>;

    /// A failed result.
    fn from_error(error: Self::Error) -> Self;
}

impl<T, E> MethodResult for Result<T, E> {
    type Error = E;

    fn error(&self) -> Option<&E> {
        self.as_ref().err()
    }

    fn from_error(error: E) -> Self {
        Err(error)
    }
}

/// An error type that a failed token refresh converts into.
#[diagnostic::on_unimplemented(
    message = "the error type `{Self}` must implement `From<freshtoken::AuthError>`",
    label = "the error type of this `#[refresh_token]` method",
    note = "a failed token refresh is returned as this error, so return an error enum defined in your crate (a type from another crate, such as `String` or `reqwest::Error`, cannot get this impl): a variant for `freshtoken::AuthError` and one for the HTTP error, with `impl From<freshtoken::AuthError>` (thiserror: `Auth(#[from] freshtoken::AuthError)`) and `impl freshtoken::Unauthorized` for the enum"
)]
pub trait FromAuthError {
    /// Converts the refresh failure.
    fn from_auth_error(error: AuthError) -> Self;
}

impl<E: From<AuthError>> FromAuthError for E {
    fn from_auth_error(error: AuthError) -> Self {
        E::from(error)
    }
}

/// What a `#[token]` parameter may be declared as.
#[diagnostic::on_unimplemented(
    message = "a `#[token]` parameter cannot be of type `{Self}`",
    label = "the type of the `#[token]` parameter",
    note = "declare it as `&AccessToken`, `AccessToken`, `&Token`, `Token` or `Arc<Token>` (from `freshtoken`)"
)]
pub trait FromToken<'a> {
    /// Takes what the parameter needs from the fresh token.
    fn from_token(token: &'a Arc<Token>) -> Self;
}

impl<'a> FromToken<'a> for &'a AccessToken {
    fn from_token(token: &'a Arc<Token>) -> Self {
        token.access_token()
    }
}

impl FromToken<'_> for AccessToken {
    fn from_token(token: &Arc<Token>) -> Self {
        token.access_token().clone()
    }
}

impl<'a> FromToken<'a> for &'a Token {
    fn from_token(token: &'a Arc<Token>) -> Self {
        token
    }
}

impl FromToken<'_> for Token {
    fn from_token(token: &Arc<Token>) -> Self {
        Token::clone(token)
    }
}

impl FromToken<'_> for Arc<Token> {
    fn from_token(token: &Arc<Token>) -> Self {
        Arc::clone(token)
    }
}

/// One call of a wrapped method: at most two attempts, the second only after a 401.
///
/// The expansion asks [`token`](Call::token) for each attempt and hands the outcome to
/// [`finish`](Call::finish), the one place that checks the method's types, so a wrong
/// return type is reported once.
///
/// After a 403 `insufficient_scope` the second attempt runs with the token of a step-up
/// instead ([`TokenCache::step_up_for`]); after a 401 `use_dpop_nonce` with a new nonce, with
/// the same token (whose next proof carries the nonce). Each call makes at most one resend
/// per reason.
#[derive(Debug)]
pub struct Call<'c, S> {
    cache: &'c TokenCache<S>,
    retried: bool,
    stepped_up: bool,
    nonce_resent: bool,
    /// Attempts sent again so far, and why the last one was.
    resends: u32,
    resend_reason: &'static str,
    /// The refused token and the scopes the resource asked for, until the next attempt's
    /// token is asked for.
    step_up: Option<(Arc<Token>, Vec<String>)>,
}

impl<'c, S: TokenSource> Call<'c, S> {
    /// Starts a call against `cache`.
    #[must_use]
    pub fn new(cache: &'c TokenCache<S>) -> Self {
        Self {
            cache,
            retried: false,
            stepped_up: false,
            nonce_resent: false,
            resends: 0,
            resend_reason: "",
            step_up: None,
        }
    }

    /// The span the next attempt runs in (its token included): none for the first; for a
    /// resend, `freshtoken.resend` with `http.request.resend_count`, as OpenTelemetry's HTTP
    /// client conventions ask.
    #[inline]
    #[must_use]
    pub fn span(&self) -> tracing::Span {
        if self.resends == 0 {
            tracing::Span::none()
        } else {
            crate::spans::resend(self.cache.name(), self.resends, self.resend_reason)
        }
    }

    /// The next attempt is a resend, for `reason`.
    fn resending(&mut self, reason: &'static str) {
        self.resends += 1;
        self.resend_reason = reason;
        crate::metrics::resent(self.cache.name(), reason);
    }

    /// The token for the next attempt.
    ///
    /// # Errors
    /// The cache's error, for [`finish`](Call::finish) or [`fail`](Call::fail) to convert.
    #[inline]
    pub fn token(&mut self) -> TokenFuture<'c, S> {
        match self.step_up.take() {
            None => self.cache.token(),
            Some((used, scopes)) => TokenFuture::stepping_up(self.cache, used, scopes),
        }
    }

    /// The token for the next attempt of a non-async fn: [`TokenCache::blocking_token`].
    ///
    /// # Errors
    /// The cache's error, for [`finish`](Call::finish) or [`fail`](Call::fail) to convert.
    #[inline]
    pub fn blocking_token(&mut self) -> Result<Arc<Token>, AuthError> {
        match self.step_up.take() {
            None => self.cache.blocking_token(),
            Some((used, scopes)) => self.cache.blocking_step_up(&used, scopes),
        }
    }

    /// Decides after an attempt: `Continue` to run the body once more (the first 401),
    /// `Break` with the method's result. `attempt` is the token used and the body's result,
    /// or the error that kept the body from running.
    // Inlined, with the 401 path out of line: called on every attempt, `finish` must let the
    // attempt's result stay in registers (a call through memory cost ~20 ns, measured in
    // `runtime/benches`).
    #[inline]
    pub fn finish<R>(&mut self, attempt: Result<(Arc<Token>, R), AuthError>) -> ControlFlow<R>
    where
        R: MethodResult,
        R::Error: FromAuthError + Unauthorized,
    {
        match attempt {
            Err(error) => ControlFlow::Break(self.fail(error)),
            Ok((used, result)) => match result.error() {
                Some(error) if error.is_unauthorized() && self.retry_after_401(&used, error) => {
                    ControlFlow::Continue(())
                }
                Some(error) if self.step_up_after_403(error, used) => ControlFlow::Continue(()),
                _ => ControlFlow::Break(result),
            },
        }
    }

    /// After an error with `used`: whether it was a 403 `insufficient_scope` worth one
    /// step-up, which the next [`token`](Call::token) then awaits.
    #[cold]
    #[inline(never)]
    fn step_up_after_403(&mut self, error: &impl Unauthorized, used: Arc<Token>) -> bool {
        let Some(scopes) = error.insufficient_scope() else {
            return false;
        };
        if self.stepped_up {
            tracing::debug!(target: "freshtoken", "403 insufficient_scope after a step-up; giving up");
            return false;
        }
        if !self.cache.step_up_would_help(&used, &scopes) {
            tracing::debug!(target: "freshtoken", scope = %scopes.join(" "), "403 insufficient_scope for scopes already asked for; not stepping up again");
            return false;
        }
        self.stepped_up = true;
        self.resending("step_up");
        tracing::debug!(target: "freshtoken", scope = %scopes.join(" "), "403 insufficient_scope: stepping up, then retrying once");
        self.step_up = Some((used, scopes));
        true
    }

    /// After a 401 with `used`: whether to run the body once more.
    #[cold]
    #[inline(never)]
    fn retry_after_401(&mut self, used: &Token, error: &impl Unauthorized) -> bool {
        match error.dpop_nonce() {
            NonceDemand::None => {}
            // The token is fine; the proof lacked the server's nonce, which the next one
            // carries. A second demand (or the nonce sent repeated) would loop: a new token
            // would not help either.
            NonceDemand::New if !self.nonce_resent => {
                self.nonce_resent = true;
                self.resending("nonce");
                tracing::debug!(target: "freshtoken", "401 use_dpop_nonce: sending once more with the server's nonce");
                return true;
            }
            NonceDemand::New | NonceDemand::Repeated => {
                tracing::debug!(target: "freshtoken", "401 use_dpop_nonce again, or for the nonce just sent; giving up");
                return false;
            }
        }
        // Rejected: make sure no caller gets this token again, whether or not we retry.
        self.cache.invalidate(used);
        if self.retried {
            tracing::debug!(target: "freshtoken", "401 after a retry with a new token; giving up");
            return false;
        }
        self.retried = true;
        self.resending("unauthorized");
        tracing::debug!(target: "freshtoken", "401: retrying once with a new token");
        true
    }

    /// The method's result when no token could be had.
    #[must_use]
    #[inline]
    #[allow(clippy::unused_self)] // a method, so the expansion's call needs no type arguments
    pub fn fail<R>(&self, error: AuthError) -> R
    where
        R: MethodResult,
        R::Error: FromAuthError,
    {
        R::from_error(R::Error::from_auth_error(error))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::StatusCode;

    use super::*;
    use crate::source_fn;

    type Outcome = Result<&'static str, StatusCodeError>;

    #[derive(Debug, Clone, PartialEq)]
    struct StatusCodeError(StatusCode);

    impl From<AuthError> for StatusCodeError {
        fn from(_: AuthError) -> Self {
            Self(StatusCode::SERVICE_UNAVAILABLE)
        }
    }

    impl Unauthorized for StatusCodeError {
        fn is_unauthorized(&self) -> bool {
            self.0.is_unauthorized()
        }
    }

    fn counting_cache() -> TokenCache<impl TokenSource> {
        let issued = Arc::new(std::sync::atomic::AtomicU32::new(0));
        TokenCache::new(source_fn(move |_previous| {
            let n = issued.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            async move {
                Token::builder(format!("t{n}"))
                    .expires_in(Duration::from_secs(3600))
                    .build()
            }
        }))
    }

    /// Runs the attempts loop the macro generates, with `answers` as the body's results.
    async fn run<S: TokenSource>(cache: &TokenCache<S>, answers: &[Outcome]) -> (Outcome, usize) {
        let mut call = Call::new(cache);
        let mut attempts = 0;
        loop {
            let attempt = call.token().await.map(|token| {
                attempts += 1;
                (token, answers[attempts - 1].clone())
            });
            if let ControlFlow::Break(result) = call.finish(attempt) {
                break (result, attempts);
            }
        }
    }

    const UNAUTHORIZED: Outcome = Err(StatusCodeError(StatusCode::UNAUTHORIZED));

    #[tokio::test(start_paused = true)]
    async fn success_and_other_errors_are_returned_after_one_attempt() {
        let cache = counting_cache();
        assert_eq!(run(&cache, &[Ok("tasks")]).await, (Ok("tasks"), 1));
        let forbidden = Err(StatusCodeError(StatusCode::FORBIDDEN));
        assert_eq!(
            run(&cache, std::slice::from_ref(&forbidden)).await,
            (forbidden, 1)
        );
        assert_eq!(cache.stats().refreshes, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_401_is_retried_once_with_a_new_token() {
        let cache = counting_cache();
        assert_eq!(
            run(&cache, &[UNAUTHORIZED, Ok("tasks")]).await,
            (Ok("tasks"), 2)
        );
        assert_eq!(cache.stats().refreshes, 2);
        assert_eq!(cache.cached().unwrap().access_token().expose_secret(), "t2");
    }

    #[tokio::test(start_paused = true)]
    async fn a_second_401_is_returned_and_its_token_dropped() {
        let cache = counting_cache();
        assert_eq!(
            run(&cache, &[UNAUTHORIZED, UNAUTHORIZED, Ok("never")]).await,
            (UNAUTHORIZED, 2)
        );
        assert!(
            cache.cached().is_none(),
            "the rejected token is not served again"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_failure_becomes_the_methods_error() {
        let cache = TokenCache::new(source_fn(|_previous| async {
            Err::<Token, _>(AuthError::refresh_failed("down"))
        }));
        let failed = Err(StatusCodeError(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(run(&cache, &[Ok("never")]).await, (failed, 0));
    }

    #[test]
    fn token_parameters_take_what_they_need() {
        let token = Arc::new(Token::builder("abc").build().unwrap());
        let by_ref: &AccessToken = FromToken::from_token(&token);
        let by_value: AccessToken = FromToken::from_token(&token);
        let whole: &Token = FromToken::from_token(&token);
        let shared: Arc<Token> = FromToken::from_token(&token);
        let cloned: Token = FromToken::from_token(&token);
        for secret in [by_ref.expose_secret(), by_value.expose_secret()] {
            assert_eq!(secret, "abc");
        }
        assert!(Arc::ptr_eq(&shared, &token) && whole.is_same(&token) && cloned.is_same(&token));
    }
}
