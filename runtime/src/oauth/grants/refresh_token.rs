// Input: the previous token's refresh token and the OAuth2 client's credentials.
// Output: a new token from the token endpoint's refresh token grant (RFC 6749 section 6).

use reqwest::Url;

use super::builder_methods::{dpop_method, grant_methods, http_methods, scope_of};
use crate::oauth::endpoint::client_auth::ClientAuth;
use crate::oauth::endpoint::endpoint_error::EndpointError;
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, Token, TokenSource};

/// Renews tokens at an OAuth2 token endpoint with the refresh token grant (RFC 6749
/// section 6).
///
/// Each fetch POSTs `grant_type=refresh_token` and the previous token's refresh token,
/// form-urlencoded, authenticated as [`ClientAuth`] says. A rotated refresh token in the
/// answer replaces the old one; when the answer has none, the cache keeps the old one.
///
/// It cannot log in: give the cache a first token (with a refresh token) from your login
/// flow, with [`TokenCacheBuilder::token`](crate::TokenCacheBuilder::token) or
/// [`TokenCache::set_token`](crate::TokenCache::set_token). Without one, and after the
/// server answers `invalid_grant`, fetching fails with
/// [`AuthErrorKind::ReauthenticationRequired`](crate::AuthErrorKind::ReauthenticationRequired).
///
/// ```no_run
/// use std::time::Duration;
/// use freshtoken::{Token, TokenCache};
/// use freshtoken::oauth::{ClientAuth, RefreshTokenGrant};
///
/// # async fn demo(saved: Token) -> Result<(), Box<dyn std::error::Error>> {
/// let source = RefreshTokenGrant::new(
///     "https://auth.example/oauth/token".parse()?,
///     ClientAuth::basic("my-app", std::env::var("CLIENT_SECRET")?),
/// )
/// .timeout(Duration::from_secs(10));
///
/// // `saved` came from your login flow and carries a refresh token.
/// let cache = TokenCache::builder(source).token(saved).build();
/// let token = cache.token().await?; // refreshed when needed
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RefreshTokenGrant {
    endpoint: Endpoint,
    client: ClientAuth,
    scope: Option<String>,
    params: Vec<(String, String)>,
    fields: TokenResponseFields,
    http: Http,
}

impl RefreshTokenGrant {
    /// A source that refreshes at `token_url`, authenticating as `client`.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized (no TLS backend
    /// or system resolver configuration); pass your own with
    /// [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(token_url: Url, client: ClientAuth) -> Self {
        Self {
            endpoint: Endpoint::new(token_url),
            client,
            scope: None,
            params: Vec::new(),
            fields: TokenResponseFields::default(),
            http: Http::new(),
        }
    }
}

grant_methods!(RefreshTokenGrant);
http_methods!(RefreshTokenGrant);
dpop_method!(RefreshTokenGrant);

impl RefreshTokenGrant {
    /// A refresh with the previous token's refresh token and `scope`.
    async fn refresh(
        &self,
        previous: Option<&Token>,
        scope: Option<&str>,
    ) -> Result<Token, AuthError> {
        let Some(refresh_token) = super::form_grant::refreshable(previous) else {
            return Err(AuthError::reauthenticate(EndpointError::unanswered(
                &self.endpoint,
                "not sent: there is no refresh token to renew; log in first and give the \
                 cache the token with `TokenCacheBuilder::token` or `TokenCache::save_token`"
                    .to_owned(),
            )));
        };
        self.form().with_scope(scope).refresh(refresh_token).await
    }
}

impl TokenSource for RefreshTokenGrant {
    fn grant_type(&self) -> &'static str {
        "refresh_token"
    }

    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        self.refresh(previous, self.scope.as_deref()).await
    }

    /// A refresh that sends `scopes` as its `scope`. It cannot authorize anew: without a
    /// refresh token (a step-up passes none) it asks to log in, as `fetch` does.
    async fn fetch_with_scopes(
        &self,
        previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        self.refresh(previous, scope_of(scopes).as_deref()).await
    }
}
