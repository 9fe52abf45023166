// Input: the previous token's refresh token, and how a token API whose only route is
// "refresh" wants it.
// Output: a new token from that route; without a refresh token, the error that asks the
// program for one.

use reqwest::Url;

use super::builder_methods::{dpop_method, http_methods, refresh_methods};
use super::token_api::{RefreshRequest, refresh_refused};
use crate::oauth::endpoint::endpoint_error::EndpointError;
use crate::oauth::endpoint::error_response::Remedy;
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, Token, TokenSource};

/// Renews tokens at an API whose only route is "refresh": the refresh token is the
/// credential (a long-lived token from a dashboard, a CLI login done elsewhere, a token the
/// user pasted).
///
/// Each fetch POSTs the previous token's refresh token, in a JSON body field by default
/// (`{"refresh_token": ...}`), or wherever
/// [`refresh_token_in`](Self::refresh_token_in) says (`Authorization: Bearer`, a header, a
/// cookie). A rotated refresh token in the answer replaces the old one; when the answer has
/// none, the cache keeps the old one.
///
/// It cannot log in. Give the cache the refresh token with
/// [`TokenCacheBuilder::refresh_token`](crate::TokenCacheBuilder::refresh_token),
/// [`TokenCache::set_refresh_token`](crate::TokenCache::set_refresh_token) or
/// [`TokenCache::save_refresh_token`](crate::TokenCache::save_refresh_token) (or a store
/// that holds one). Without one, fetching sends nothing and fails with
/// [`AuthErrorKind::ReauthenticationRequired`](crate::AuthErrorKind::ReauthenticationRequired);
/// so does a refresh the API refuses (401, 403, 422 or `invalid_grant`): the program then
/// needs a new refresh token.
///
/// ```no_run
/// use freshtoken::TokenCache;
/// use freshtoken::oauth::{JsonRefresh, TokenResponseFields};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// // POST /auth/refresh {"refresh": ...} -> {"token": ..., "refresh": ..., "expires_at": 1767225600}
/// let source = JsonRefresh::new("https://api.example/auth/refresh".parse()?)
///     .refresh_token_field("refresh")
///     .response_fields(TokenResponseFields::default().access_token("token").refresh_token("refresh"));
///
/// let cache = TokenCache::builder(source)
///     .refresh_token(std::env::var("API_REFRESH_TOKEN")?)
///     .build();
/// match cache.token().await {
///     Ok(_token) => { /* call the API with the token */ }
///     Err(error) if error.needs_reauthentication() => {
///         // Refused or missing: ask the user for a new refresh token.
///         cache.set_refresh_token(std::env::var("NEW_REFRESH_TOKEN")?);
///     }
///     Err(other) => return Err(other.into()),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct JsonRefresh {
    refresh: RefreshRequest,
    fields: TokenResponseFields,
    http: Http,
}

impl JsonRefresh {
    /// A source that refreshes at `refresh_url`.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized (no TLS backend
    /// or system resolver configuration); pass your own with
    /// [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(refresh_url: Url) -> Self {
        Self {
            refresh: RefreshRequest::new(Endpoint::new(refresh_url)),
            fields: TokenResponseFields::default(),
            http: Http::new(),
        }
    }
}

refresh_methods!(JsonRefresh);
http_methods!(JsonRefresh);
dpop_method!(JsonRefresh);

impl TokenSource for JsonRefresh {
    fn grant_type(&self) -> &'static str {
        "json_refresh"
    }

    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        let Some((previous, refresh_token)) =
            previous.and_then(|previous| Some((previous, previous.refresh_token()?)))
        else {
            return Err(AuthError::reauthenticate(EndpointError::unanswered(
                &self.refresh.endpoint,
                "not sent: there is no refresh token to renew with, and this API has no \
                 login; give the cache a refresh token with `TokenCacheBuilder::refresh_token` \
                 or `TokenCache::set_refresh_token`"
                    .to_owned(),
            )));
        };
        self.refresh
            .send(
                &self.http,
                &self.fields,
                previous,
                refresh_token.expose_secret(),
                &[],
                |status, code| match refresh_refused(status, code) {
                    Remedy::Reauthenticate => (
                        Remedy::Reauthenticate,
                        Some(
                            "the refresh token was refused; give the cache a new one with \
                             `TokenCache::set_refresh_token`",
                        ),
                    ),
                    remedy => (remedy, None),
                },
            )
            .await
    }
}
