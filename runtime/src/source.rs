// Input: the previous token, if any.
// Output: a new token, from wherever the user gets them.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::{AuthError, Token};

/// Where tokens come from: a token endpoint, a login API, a file, a test double.
///
/// The cache calls [`fetch`](TokenSource::fetch) at most once at a time, in a task of its
/// own, however many callers need a token. `previous` is the last token the cache held (also
/// after a 401 made it drop that token), so a source can use its refresh token; it is `None`
/// the first time, and after [`TokenCache::reset`](crate::TokenCache::reset).
///
/// Return [`AuthError::reauthenticate`] when the credentials are dead (the cache then stops
/// trying), and [`AuthError::refresh_failed`] for failures that may pass (the cache retries
/// with backoff).
///
/// ```
/// use std::time::Duration;
/// use freshtoken::{AuthError, Token, TokenSource};
///
/// struct Static;
///
/// impl TokenSource for Static {
///     async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
///         Token::builder("from-a-vault").expires_in(Duration::from_secs(60)).build()
///     }
/// }
/// ```
///
/// For a quick source from a closure, see [`source_fn`].
pub trait TokenSource: Send + Sync + 'static {
    /// Obtains a new token. `previous` carries the refresh token to rotate, if there is one.
    fn fetch(
        &self,
        previous: Option<&Token>,
    ) -> impl Future<Output = Result<Token, AuthError>> + Send;

    /// How long one fetch may take at most, when the source knows it takes longer than the
    /// cache's [refresh timeout](crate::TokenCacheBuilder::refresh_timeout) (30 s by default)
    /// allows: an interactive login waits for the user. The cache then waits this long
    /// instead. The default, `None`, leaves the cache's timeout alone;
    /// [`AuthorizationCodePkce`](crate::oauth::AuthorizationCodePkce) and
    /// [`DeviceCodeGrant`](crate::oauth::DeviceCodeGrant) answer their login's bound.
    fn fetch_timeout(&self) -> Option<Duration> {
        None
    }

    /// What kind of source this is, for metrics and spans (the `freshtoken.grant_type`
    /// attribute): the OAuth2 grant it sends (`client_credentials`, `refresh_token`,
    /// `password`, `authorization_code`, `device_code`, `jwt_bearer`, `token_exchange`) or
    /// the login it makes (`json_login`, `json_refresh`). The default is `custom`. A fixed
    /// name, never data: each distinct value is a series on a dashboard.
    fn grant_type(&self) -> &'static str {
        "custom"
    }

    /// Obtains a token for at least `scopes` (space-separated when sent as `scope`).
    ///
    /// The cache calls it after a resource refused a token for lack of scope
    /// (`insufficient_scope`, see [`TokenCache::step_up_for`](crate::TokenCache::step_up_for)) with
    /// `previous` set to `None`: a refresh token cannot widen the scope it was granted, so the
    /// source authorizes anew (a login, or a new client credentials request). From then on the
    /// cache calls this method instead of [`fetch`](TokenSource::fetch), with the wider scopes
    /// and the previous token as usual, so a later refresh or login keeps them.
    ///
    /// The default answers that this source cannot ask for other scopes; the OAuth2 sources
    /// of [`oauth`](crate::oauth) override it.
    fn fetch_with_scopes(
        &self,
        previous: Option<&Token>,
        scopes: &[String],
    ) -> impl Future<Output = Result<Token, AuthError>> + Send {
        let _ = (previous, scopes);
        async {
            Err(AuthError::rejected(
                "this token source cannot ask for other scopes (the resource refused the token \
                 for lack of scope): implement `TokenSource::fetch_with_scopes`, or configure the \
                 scopes the resource needs",
            ))
        }
    }
}

/// A [`TokenSource`] made from an async closure; see [`source_fn`].
#[derive(Clone)]
pub struct SourceFn<F> {
    fetch: F,
}

/// Makes a [`TokenSource`] from a closure, an async closure or an async fn that takes the
/// previous token (a clone, so the returned future owns it) and returns the new one.
///
/// The error type only needs to convert into [`AuthError`].
///
/// ```
/// use std::time::Duration;
/// use freshtoken::{AuthError, Token, TokenCache, source_fn};
///
/// let source = source_fn(|previous: Option<Token>| async move {
///     let refresh = previous.as_ref().and_then(Token::refresh_token);
///     // ...exchange `refresh` for a new token here...
///     # let _ = refresh;
///     Token::builder("new-access-token")
///         .expires_in(Duration::from_secs(3600))
///         .build()
/// });
/// let cache = TokenCache::new(source);
/// # let _ = cache;
/// ```
pub fn source_fn<F, Fut, E>(fetch: F) -> SourceFn<F>
where
    F: Fn(Option<Token>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Token, E>> + Send,
    E: Into<AuthError>,
{
    SourceFn { fetch }
}

impl<F, Fut, E> TokenSource for SourceFn<F>
where
    F: Fn(Option<Token>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Token, E>> + Send,
    E: Into<AuthError>,
{
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        (self.fetch)(previous.cloned()).await.map_err(Into::into)
    }
}

impl<F> fmt::Debug for SourceFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceFn").finish_non_exhaustive()
    }
}
