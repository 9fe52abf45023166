// Input: a user's username and password, an OAuth2 client, and the previous token.
// Output: a token from the resource owner password credentials grant (RFC 6749 section 4.3),
// form-encoded with client authentication; later tokens from the rotated refresh token.

use reqwest::Url;

use super::builder_methods::{dpop_method, grant_methods, http_methods, scope_of};
use crate::oauth::endpoint::client_auth::ClientAuth;
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, ClientSecret, Token, TokenSource};

/// Logs a user in with the password grant of RFC 6749 section 4.3, then renews with the
/// refresh token (section 6).
///
/// Without a previous token (the first fetch, or after
/// [`TokenCache::reset`](crate::TokenCache::reset)) it POSTs `grant_type=password`, the
/// username, the password and the scopes, form-urlencoded and authenticated as
/// [`ClientAuth`] says (`basic`, `body`, or `public`). Afterwards it POSTs
/// `grant_type=refresh_token` with the latest refresh token, which the cache keeps when the
/// server rotates it. When the server refuses the refresh token (`invalid_grant`), the cache
/// stops with [`AuthErrorKind::ReauthenticationRequired`](crate::AuthErrorKind::ReauthenticationRequired)
/// rather than sending the password again on its own; `reset` logs in anew.
///
/// For a login API that takes JSON at its own route rather than an RFC 6749 token endpoint,
/// use [`JsonLogin`](super::json_login::JsonLogin).
///
/// ```no_run
/// use freshtoken::TokenCache;
/// use freshtoken::oauth::{ClientAuth, PasswordGrant};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let source = PasswordGrant::new(
///     "https://auth.example/oauth/token".parse()?,
///     ClientAuth::basic("tasks-cli", std::env::var("CLIENT_SECRET")?),
///     "alice",
///     std::env::var("TASKS_PASSWORD")?,
/// )
/// .scopes(["tasks"]);
/// let cache = TokenCache::new(source);
/// let token = cache.token().await?;
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PasswordGrant {
    endpoint: Endpoint,
    client: ClientAuth,
    username: String,
    password: ClientSecret,
    scope: Option<String>,
    params: Vec<(String, String)>,
    fields: TokenResponseFields,
    http: Http,
}

impl PasswordGrant {
    /// A source that logs in at `token_url` as `username` with `password`, authenticating
    /// the application as `client`.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized (no TLS backend
    /// or system resolver configuration); pass your own with
    /// [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(
        token_url: Url,
        client: ClientAuth,
        username: impl Into<String>,
        password: impl Into<ClientSecret>,
    ) -> Self {
        Self {
            endpoint: Endpoint::new(token_url),
            client,
            username: username.into(),
            password: password.into(),
            scope: None,
            params: Vec::new(),
            fields: TokenResponseFields::default(),
            http: Http::new(),
        }
    }
}

grant_methods!(PasswordGrant);
http_methods!(PasswordGrant);
dpop_method!(PasswordGrant);

impl PasswordGrant {
    /// A refresh with the previous token's refresh token, else a login, with `scope`.
    async fn fetch_scope(
        &self,
        previous: Option<&Token>,
        scope: Option<&str>,
    ) -> Result<Token, AuthError> {
        let form = self.form().with_scope(scope);
        if let Some(refresh_token) = super::form_grant::refreshable(previous) {
            return form.refresh(refresh_token).await;
        }
        let password = self.password.expose_secret();
        form.send(
            &[
                ("grant_type", "password"),
                ("username", &self.username),
                ("password", password),
            ],
            &[password],
        )
        .await
    }
}

impl TokenSource for PasswordGrant {
    fn grant_type(&self) -> &'static str {
        "password"
    }

    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        self.fetch_scope(previous, self.scope.as_deref()).await
    }

    /// A login with exactly `scopes` without `previous`; with it, a refresh that sends the
    /// same `scopes`, so the grant a step-up widened stays wide.
    async fn fetch_with_scopes(
        &self,
        previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        self.fetch_scope(previous, scope_of(scopes).as_deref())
            .await
    }
}
