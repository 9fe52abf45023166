// Input: where a token that a grant sends comes from: another cache, or the user's function
// (an ID token of another identity provider, a workload identity token read from a file).
// Output: that token, asked for anew for every request that sends it, kept out of `Debug`
// and zeroed when dropped.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::{AuthError, TokenCache, TokenSource};

type Supplied = Pin<Box<dyn Future<Output = Result<Zeroizing<String>, AuthError>> + Send>>;

/// Drops the supplier's cached token if it is still the one given (its access token).
type Forget = Arc<dyn Fn(&str) + Send + Sync>;

/// Where a token that a grant sends comes from: the assertion of a `JwtBearerGrant`
/// (feature `jsonwebtoken`), the subject or actor token of a
/// [`TokenExchangeGrant`](crate::oauth::TokenExchangeGrant).
///
/// It is asked for the token once for every token request, so a short-lived token (a
/// workload identity token that the platform rewrites every few minutes, an access token
/// its cache renews) is always current. The token is a secret: it never appears in `Debug`,
/// in an error or in a log line of freshtoken. An error of the supplier fails the token
/// request with that error unchanged, so the cache retries, or asks to log in again, as that
/// error says.
///
/// A token the token endpoint refuses (`invalid_grant`: expired, revoked) is no reason to
/// log in again to the grant's own cache: the grant's error is then a retryable one, and a
/// cache that supplied the token drops it, so that the next attempt sends a renewed one.
///
/// ```no_run
/// use freshtoken::oauth::TokenSupplier;
/// use freshtoken::AuthError;
///
/// // A token the platform writes to a file and keeps rewriting.
/// let workload_token = TokenSupplier::from_fn(|| async {
///     tokio::fs::read_to_string("/var/run/secrets/tokens/identity")
///         .await
///         .map(|token| token.trim().to_owned())
///         .map_err(|error| {
///             AuthError::refresh_failed(format!(
///                 "the workload identity token file could not be read ({error})"
///             ))
///         })
/// });
/// # let _ = workload_token;
/// ```
#[derive(Clone)]
pub struct TokenSupplier {
    supply: Arc<dyn Fn() -> Supplied + Send + Sync>,
    forget: Option<Forget>,
    what: &'static str,
}

impl fmt::Debug for TokenSupplier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSupplier")
            .field("from", &self.what)
            .finish_non_exhaustive()
    }
}

impl TokenSupplier {
    /// The access token of `cache`, as [`TokenCache::token`] gives it (refreshed first when
    /// it is stale; every grant request shares the cache's single flight).
    #[must_use]
    pub fn cache<S: TokenSource>(cache: TokenCache<S>) -> Self {
        let held = cache.clone();
        Self {
            supply: Arc::new(move || {
                let cache = cache.clone();
                Box::pin(async move {
                    let token = cache.token().await?;
                    Ok(Zeroizing::new(
                        token.access_token().expose_secret().to_owned(),
                    ))
                })
            }),
            forget: Some(Arc::new(move |refused: &str| {
                if let Some(current) = held.cached()
                    && current.access_token().expose_secret() == refused
                {
                    held.invalidate(&current);
                }
            })),
            what: "a token cache",
        }
    }

    /// The access token of a new token from `source`, fetched for every token request
    /// (`fetch(None)`: no cache in between; for a token that should be reused, give the
    /// source a [`TokenCache`] and use [`cache`](Self::cache)).
    #[must_use]
    pub fn source<S: TokenSource>(source: S) -> Self {
        let source = Arc::new(source);
        Self {
            supply: Arc::new(move || {
                let source = Arc::clone(&source);
                Box::pin(async move {
                    let token = source.fetch(None).await?;
                    Ok(Zeroizing::new(
                        token.access_token().expose_secret().to_owned(),
                    ))
                })
            }),
            forget: None,
            what: "a token source",
        }
    }

    /// The token `supply` answers, called once for every token request.
    #[must_use]
    pub fn from_fn<F, Fut>(supply: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, AuthError>> + Send + 'static,
    {
        Self {
            supply: Arc::new(move || {
                let supplied = supply();
                Box::pin(async move { supplied.await.map(Zeroizing::new) })
            }),
            forget: None,
            what: "a function",
        }
    }

    /// The token to send now; `what` names it (`"subject token"`) in the error for an empty
    /// one.
    pub(crate) async fn get(&self, what: &str) -> Result<Zeroizing<String>, AuthError> {
        let token = (self.supply)().await?;
        if token.is_empty() {
            return Err(AuthError::rejected(format!(
                "the {what} supplied by {} is empty; check what it reads or returns",
                self.what
            )));
        }
        Ok(token)
    }

    /// Drops `sent` from the cache that supplied it, if it is still that cache's token.
    pub(crate) fn forget(&self, sent: &str) {
        if let Some(forget) = &self.forget {
            forget(sent);
        }
    }

    /// The error of a token request that sent `sent` (the `what`): a refusal of the token
    /// (`invalid_grant`) is made retryable, and the token is dropped from the cache that
    /// supplied it; any other error is left as it is.
    pub(crate) fn refused(&self, sent: &str, what: &str, error: AuthError) -> AuthError {
        if !error.needs_reauthentication() {
            return error;
        }
        self.forget(sent);
        AuthError::refresh_failed(format!(
            "the token endpoint refused the {what} supplied by {}, which is asked for anew at \
             the next attempt: {error}",
            self.what
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::{Token, source_fn};

    #[tokio::test]
    async fn a_function_is_called_for_every_token_and_an_empty_token_is_refused() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let supplier = TokenSupplier::from_fn(move || {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(if n == 0 {
                    "assertion-SECRET".to_owned()
                } else {
                    String::new()
                })
            }
        });
        assert_eq!(
            supplier.get("assertion").await.unwrap().as_str(),
            "assertion-SECRET"
        );
        let error = supplier.get("assertion").await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("assertion supplied by a function is empty"),
            "{error}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(!format!("{supplier:?}").contains("SECRET"));
    }

    #[tokio::test]
    async fn a_source_is_asked_for_a_new_token_every_time() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let supplier = TokenSupplier::source(source_fn(move |_previous: Option<Token>| {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move { Token::builder(format!("id-token-{n}")).build() }
        }));
        assert_eq!(
            supplier.get("assertion").await.unwrap().as_str(),
            "id-token-0"
        );
        assert_eq!(
            supplier.get("assertion").await.unwrap().as_str(),
            "id-token-1"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_cache_supplies_its_current_access_token() {
        let cache = TokenCache::new(source_fn(|_previous: Option<Token>| async {
            Token::builder("subject-SECRET")
                .expires_in(Duration::from_secs(3600))
                .build()
        }));
        let supplier = TokenSupplier::cache(cache.clone());
        assert_eq!(
            supplier.get("subject token").await.unwrap().as_str(),
            "subject-SECRET"
        );
        assert_eq!(
            supplier.get("subject token").await.unwrap().as_str(),
            "subject-SECRET"
        );
        assert_eq!(cache.stats().refreshes, 1, "the cache's token was reused");
    }
}
