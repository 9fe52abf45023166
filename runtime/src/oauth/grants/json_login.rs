// Input: a username and password, or the previous token's refresh token, and the shape of a
// login API of its own (field names, body format, where the refresh token goes).
// Output: a new token: from the login URL when there is no refresh token to use, from the
// refresh URL when there is one.

use reqwest::Url;

use super::builder_methods::{dpop_method, http_methods, refresh_methods};
use super::token_api::{BodyFormat, ExtraFields, RefreshRequest, body, refresh_refused, refused};
use crate::oauth::endpoint::error_response::Remedy;
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::redaction::Redactions;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::token_request::TokenRequest;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, ClientSecret, Token, TokenSource};

/// Gets tokens from a login API of its own: a password login first, then refreshes.
///
/// With no refresh token to use (the first fetch, and after
/// [`TokenCache::reset`](crate::TokenCache::reset)), it POSTs
/// `{"username": ..., "password": ...}` to the login URL (or a form:
/// [`login_format`](Self::login_format)). With one, it POSTs `{"refresh_token": ...}` to the
/// refresh URL (or sends the refresh token in `Authorization: Bearer`, a header or a cookie:
/// [`refresh_token_in`](Self::refresh_token_in)). Both answer JSON with `access_token` and
/// optionally `refresh_token` and `expires_in`. Every field name, of the requests and of the
/// answers, is configurable, and extra fields can be added (secret ones are cut out of every
/// error), so an API with its own names needs no request code. The guide's logins chapter
/// has a table of API shapes and their options.
///
/// A refused refresh (401, 403, 422, or `invalid_grant`) is
/// [`AuthErrorKind::ReauthenticationRequired`](crate::AuthErrorKind::ReauthenticationRequired): it never falls back to the password by itself,
/// so a revoked session reaches the application, which decides whether to log in again
/// (with [`TokenCache::reset`](crate::TokenCache::reset), after which the next fetch does).
/// A refused login (401 or 403) is the same error: the password is wrong or the account
/// blocked.
///
/// ```no_run
/// use freshtoken::{AuthError, TokenCache};
/// use freshtoken::oauth::{JsonLogin, TokenResponseFields};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// // POST /auth/login   {"email": ..., "pass": ...}   -> {"token": ..., "refreshToken": ..., "expiresIn": 900}
/// // POST /auth/refresh {"refreshToken": ...}         -> the same shape
/// let source = JsonLogin::new(
///     "https://api.example/auth/login".parse()?,
///     "https://api.example/auth/refresh".parse()?,
///     "alice@example.com",
///     std::env::var("PASSWORD")?,
/// )
/// .username_field("email")
/// .password_field("pass")
/// .refresh_token_field("refreshToken")
/// .response_fields(
///     TokenResponseFields::default()
///         .access_token("token")
///         .refresh_token("refreshToken")
///         .expires_in("expiresIn"),
/// );
///
/// let cache = TokenCache::new(source);
/// match cache.token().await {
///     Ok(_token) => { /* call the API with the token */ }
///     Err(error) if error.needs_reauthentication() => {
///         // The session was revoked: log in with the password again.
///         cache.reset();
///         cache.token().await?;
///     }
///     Err(other) => return Err(other.into()),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct JsonLogin {
    login: Endpoint,
    username: String,
    password: ClientSecret,
    username_field: String,
    password_field: String,
    login_format: BodyFormat,
    login_extra: ExtraFields,
    refresh: RefreshRequest,
    fields: TokenResponseFields,
    http: Http,
}

impl JsonLogin {
    /// A source that logs in at `login_url` as `username` with `password`, and refreshes at
    /// `refresh_url` (which may be the same URL; an API whose answers carry no refresh token
    /// is never sent a refresh, each renewal logs in).
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized (no TLS backend
    /// or system resolver configuration); pass your own with
    /// [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(
        login_url: Url,
        refresh_url: Url,
        username: impl Into<String>,
        password: impl Into<ClientSecret>,
    ) -> Self {
        Self {
            login: Endpoint::new(login_url),
            username: username.into(),
            password: password.into(),
            username_field: "username".to_owned(),
            password_field: "password".to_owned(),
            login_format: BodyFormat::Json,
            login_extra: ExtraFields::default(),
            refresh: RefreshRequest::new(Endpoint::new(refresh_url)),
            fields: TokenResponseFields::default(),
            http: Http::new(),
        }
    }

    /// The name of the username field of the login request (`email`, `key`...). Default
    /// `username`.
    #[must_use]
    pub fn username_field(mut self, name: impl Into<String>) -> Self {
        self.username_field = name.into();
        self
    }

    /// The name of the password field of the login request (`pass`, `secret`...). Default
    /// `password`. Its value is a secret: cut out of every error.
    #[must_use]
    pub fn password_field(mut self, name: impl Into<String>) -> Self {
        self.password_field = name.into();
        self
    }

    /// How the login request is sent. Default [`BodyFormat::Json`]; FastAPI's
    /// `OAuth2PasswordRequestForm` takes [`BodyFormat::Form`].
    #[must_use]
    pub fn login_format(mut self, format: BodyFormat) -> Self {
        self.login_format = format;
        self
    }

    /// Adds a field to the login request, after the username and password (for example
    /// `grant_type=password`, or a `client_id`). Its value is not treated as a secret.
    #[must_use]
    pub fn login_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.login_extra.plain(name.into(), value.into());
        self
    }

    /// Adds a secret field to the login request (an API secret, a one-time code): sent as
    /// [`login_param`](Self::login_param) sends, and cut out of every error like the
    /// password.
    #[must_use]
    pub fn login_secret_param(
        mut self,
        name: impl Into<String>,
        value: impl Into<ClientSecret>,
    ) -> Self {
        self.login_extra.secret(name.into(), value.into());
        self
    }

    async fn log_in(&self) -> Result<Token, AuthError> {
        let password = self.password.expose_secret();
        let mut pairs = vec![
            (self.username_field.as_str(), self.username.as_str()),
            (self.password_field.as_str(), password),
        ];
        pairs.extend(self.login_extra.pairs());
        let mut secrets = Redactions::new(&[password]);
        for secret in self.login_extra.secrets() {
            secrets.add(secret);
        }
        TokenRequest {
            endpoint: &self.login,
            body: body(self.login_format, &pairs),
            credential: None,
            fields: &self.refresh.answer_fields(&self.fields),
            secrets,
            judge: |status, code| match refused(status, code) {
                Remedy::Reauthenticate => (
                    Remedy::Reauthenticate,
                    Some("the login was refused: check the username and password"),
                ),
                remedy => (remedy, None),
            },
        }
        .send(&self.http)
        .await
    }

    /// Renews `previous` with its refresh token; one bound to a DPoP key with that key.
    async fn refresh(&self, previous: &Token, refresh_token: &str) -> Result<Token, AuthError> {
        let mut secrets = vec![self.password.expose_secret()];
        secrets.extend(self.login_extra.secrets());
        self.refresh
            .send(
                &self.http,
                &self.fields,
                previous,
                refresh_token,
                &secrets,
                |status, code| match refresh_refused(status, code) {
                    Remedy::Reauthenticate => (
                        Remedy::Reauthenticate,
                        Some(
                            "the refresh token was refused; `TokenCache::reset` makes the next \
                             request log in with the password",
                        ),
                    ),
                    remedy => (remedy, None),
                },
            )
            .await
    }
}

refresh_methods!(JsonLogin);
http_methods!(JsonLogin);
dpop_method!(JsonLogin);

impl TokenSource for JsonLogin {
    fn grant_type(&self) -> &'static str {
        "json_login"
    }

    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        match previous.and_then(|previous| Some((previous, previous.refresh_token()?))) {
            Some((previous, refresh_token)) => {
                self.refresh(previous, refresh_token.expose_secret()).await
            }
            None => self.log_in().await,
        }
    }
}
