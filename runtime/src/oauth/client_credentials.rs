// Input: an OAuth2 client's id and secret, the scopes and parameters it asks for.
// Output: a new token from the token endpoint's client credentials grant (RFC 6749
// section 4.4), with no user and no refresh token involved.

use std::time::Duration;

use reqwest::Url;

use super::client_auth::ClientAuth;
use super::endpoint::Endpoint;
use super::error_response::oauth_remedy;
use super::exchange::Http;
use super::request_body::RequestBody;
use super::response_fields::TokenResponseFields;
use super::token_request::TokenRequest;
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

    /// Asks for these scopes (sent space-separated as `scope`). By default no `scope` is
    /// sent and the server grants its default.
    #[must_use]
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.scope = Some(scopes.join(" "));
        self
    }

    /// Adds a form parameter to every request (for example `audience` or `resource`). Its
    /// value is not treated as a secret.
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// How long one request may take, from connecting to the last byte of the answer.
    /// Default 30 s; past it, the fetch fails with [`AuthError::Timeout`]. The cache's
    /// [`refresh_timeout`](crate::TokenCacheBuilder::refresh_timeout) bounds the fetch as
    /// well.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = timeout;
        self
    }

    /// Sends requests with this client (proxies, TLS roots, connection pool shared with the
    /// API client). The default client follows no redirects, so that the client secret never
    /// goes to another URL; consider doing the same.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http.client = client;
        self
    }
}

impl TokenSource for ClientCredentials {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        let mut fields = vec![("grant_type", "client_credentials")];
        if let Some(scope) = &self.scope {
            fields.push(("scope", scope));
        }
        fields.extend(self.client.form_fields());
        fields.extend(self.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));

        TokenRequest {
            endpoint: &self.endpoint,
            body: RequestBody::form(&fields),
            authorization: self.client.authorization()?,
            fields: &self.fields,
            secrets: self.client.secret().into_iter().collect(),
            judge: |status, code| (oauth_remedy(status, code), None),
        }
        .send(&self.http)
        .await
    }
}
