// Input: a username and password, or the previous token's refresh token, and the field names
// of a JSON login API.
// Output: a new token: from the login URL when there is no refresh token to use, from the
// refresh URL when there is one.

use http::StatusCode;
use reqwest::Url;

use super::builder_methods::{dpop_method, http_methods};
use crate::oauth::endpoint::error_response::{Remedy, oauth_remedy};
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::redaction::Redactions;
use crate::oauth::endpoint::request_body::RequestBody;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::token_request::TokenRequest;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, ClientSecret, Token, TokenSource};

/// Gets tokens from a JSON login API: a password login first, then refreshes.
///
/// With no refresh token to use (the first fetch, and after
/// [`TokenCache::reset`](crate::TokenCache::reset)), it POSTs
/// `{"username": ..., "password": ...}` to the login URL. With one, it POSTs
/// `{"refresh_token": ...}` to the refresh URL. Both answer JSON with `access_token` and
/// optionally `refresh_token` and `expires_in`. Every field name, of the requests and of the
/// answers, is configurable, so an API with its own names needs no request code.
///
/// A refused refresh (401, 403, or `invalid_grant`) is
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
    refresh: Endpoint,
    username: String,
    password: ClientSecret,
    username_field: String,
    password_field: String,
    refresh_token_field: String,
    fields: TokenResponseFields,
    http: Http,
}

impl JsonLogin {
    /// A source that logs in at `login_url` as `username` with `password`, and refreshes at
    /// `refresh_url` (which may be the same URL).
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
            refresh: Endpoint::new(refresh_url),
            username: username.into(),
            password: password.into(),
            username_field: "username".to_owned(),
            password_field: "password".to_owned(),
            refresh_token_field: "refresh_token".to_owned(),
            fields: TokenResponseFields::default(),
            http: Http::new(),
        }
    }

    /// The name of the username field of the login request. Default `username`.
    #[must_use]
    pub fn username_field(mut self, name: impl Into<String>) -> Self {
        self.username_field = name.into();
        self
    }

    /// The name of the password field of the login request. Default `password`.
    #[must_use]
    pub fn password_field(mut self, name: impl Into<String>) -> Self {
        self.password_field = name.into();
        self
    }

    /// The name of the refresh token field of the refresh request. Default `refresh_token`.
    #[must_use]
    pub fn refresh_token_field(mut self, name: impl Into<String>) -> Self {
        self.refresh_token_field = name.into();
        self
    }

    /// The field names of both answers. Default: the RFC 6749 names (`access_token`,
    /// `refresh_token`, `expires_in`, `token_type`, `scope`).
    #[must_use]
    pub fn response_fields(mut self, fields: TokenResponseFields) -> Self {
        self.fields = fields;
        self
    }

    async fn log_in(&self) -> Result<Token, AuthError> {
        let password = self.password.expose_secret();
        TokenRequest {
            endpoint: &self.login,
            body: RequestBody::json(&[
                (&self.username_field, &self.username),
                (&self.password_field, password),
            ]),
            authorization: None,
            fields: &self.fields,
            secrets: Redactions::new(&[password]),
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
        TokenRequest {
            endpoint: &self.refresh,
            body: RequestBody::json(&[(&self.refresh_token_field, refresh_token)]),
            authorization: None,
            fields: &self.fields,
            secrets: Redactions::new(&[refresh_token, self.password.expose_secret()]),
            judge: |status, code| match refused(status, code) {
                Remedy::Reauthenticate => (
                    Remedy::Reauthenticate,
                    Some(
                        "the refresh token was refused; `TokenCache::reset` makes the next \
                         request log in with the password",
                    ),
                ),
                remedy => (remedy, None),
            },
        }
        .send(&self.http.for_refresh_of(previous))
        .await
    }
}

/// Login APIs say "no" with 401 or 403 more often than with an RFC 6749 error code. This
/// source sends no client credentials, so an `invalid_client` refuses the login itself.
fn refused(status: StatusCode, error_code: Option<&str>) -> Remedy {
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Remedy::Reauthenticate;
    }
    match oauth_remedy(status, error_code) {
        Remedy::InvalidClient => Remedy::Reauthenticate,
        remedy => remedy,
    }
}

http_methods!(JsonLogin);
dpop_method!(JsonLogin);

impl TokenSource for JsonLogin {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        match previous.and_then(|previous| Some((previous, previous.refresh_token()?))) {
            Some((previous, refresh_token)) => {
                self.refresh(previous, refresh_token.expose_secret()).await
            }
            None => self.log_in().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_login_or_refresh_needs_reauthentication() {
        let status = |code: u16| StatusCode::from_u16(code).unwrap();
        assert_eq!(refused(status(401), None), Remedy::Reauthenticate);
        assert_eq!(refused(status(403), None), Remedy::Reauthenticate);
        assert_eq!(
            refused(status(400), Some("invalid_grant")),
            Remedy::Reauthenticate
        );
        assert_eq!(
            refused(status(400), Some("invalid_client")),
            Remedy::Reauthenticate
        );
        assert_eq!(refused(status(400), None), Remedy::Reject);
        assert_eq!(refused(status(503), None), Remedy::Retry);
    }
}
