// Input: an OAuth2 client's id and secret, the scopes and parameters it asks for.
// Output: a new token from the token endpoint's client credentials grant (RFC 6749
// section 4.4), with no user and no refresh token involved.

use reqwest::Url;

use super::builder_methods::{dpop_method, grant_methods, http_methods, scope_of};
use crate::oauth::endpoint::client_auth::ClientAuth;
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, Token, TokenSource};

/// Gets tokens for a service (no user) with the client credentials grant of RFC 6749
/// section 4.4.
///
/// Each fetch POSTs `grant_type=client_credentials`, the scopes and any extra parameters,
/// form-urlencoded, authenticated as [`ClientAuth`] says (a public client cannot use this
/// grant). The previous token plays no part: the client's own credentials are what buys a
/// new token, so the cache can always get one, also after [`TokenCache::reset`].
///
/// [`TokenCache::reset`]: crate::TokenCache::reset
///
/// ```no_run
/// use freshtoken::TokenCache;
/// use freshtoken::oauth::{ClientAuth, ClientCredentials};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let source = ClientCredentials::new(
///     "https://auth.example/oauth/token".parse()?,
///     ClientAuth::basic("billing-worker", std::env::var("CLIENT_SECRET")?),
/// )
/// .scopes(["invoices:read", "invoices:write"])
/// .param("audience", "https://api.example");
///
/// let cache = TokenCache::new(source);
/// let token = cache.token().await?;
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    endpoint: Endpoint,
    client: ClientAuth,
    scope: Option<String>,
    params: Vec<(String, String)>,
    fields: TokenResponseFields,
    http: Http,
}

impl ClientCredentials {
    /// A source that asks `token_url` for tokens, authenticating as `client`.
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

grant_methods!(ClientCredentials);
http_methods!(ClientCredentials);
dpop_method!(ClientCredentials);

impl TokenSource for ClientCredentials {
    fn grant_type(&self) -> &'static str {
        "client_credentials"
    }

    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        self.form()
            .send(&[("grant_type", "client_credentials")], &[])
            .await
    }

    /// A new client credentials request for exactly `scopes`: the client's own credentials
    /// buy any scope it is allowed, so no refresh token is involved.
    async fn fetch_with_scopes(
        &self,
        _previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        let scope = scope_of(scopes);
        self.form()
            .with_scope(scope.as_deref())
            .send(&[("grant_type", "client_credentials")], &[])
            .await
    }
}
