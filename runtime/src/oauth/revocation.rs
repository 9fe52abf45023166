// Input: a token to end, and the server's revocation endpoint (RFC 7009).
// Output: the server told to revoke the refresh token (and with it, on most servers, the
// access tokens issued from it); for a logout, the cache and its store cleared as well.

use reqwest::Url;

use super::endpoint::client_auth::ClientAuth;
use super::endpoint::exchange::{Http, post};
use super::endpoint::redaction::Redactions;
use super::endpoint::request_body::RequestBody;
use super::endpoint::token_request::refusal;
use super::endpoint::url::Endpoint;
use super::grants::builder_methods::http_methods;
use crate::{AuthError, Token, TokenCache, TokenSource};

/// Revokes tokens at an OAuth2 revocation endpoint (RFC 7009), and logs out.
///
/// [`revoke`](Self::revoke) sends the token's refresh token (or its access token, when it has
/// none) with `token_type_hint`, authenticated as [`ClientAuth`] says. The server answers 200
/// also for a token it does not know, so revoking twice is no error.
///
/// ```no_run
/// use freshtoken::TokenCache;
/// use freshtoken::oauth::{ClientAuth, PasswordGrant, Revocation};
///
/// # async fn demo(cache: TokenCache<PasswordGrant>) -> Result<(), freshtoken::AuthError> {
/// let revocation = Revocation::new(
///     "https://auth.example.com/oauth/revoke".parse().unwrap(),
///     ClientAuth::public("tasks-cli"),
/// );
/// // Forgets the token here and in the cache's store, then has the server revoke it.
/// revocation.log_out(&cache).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Revocation {
    endpoint: Endpoint,
    client: ClientAuth,
    http: Http,
}

impl Revocation {
    /// Revokes at `revocation_url`, authenticating as `client`.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized; pass your own
    /// with [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(revocation_url: Url, client: ClientAuth) -> Self {
        Self {
            endpoint: Endpoint::new(revocation_url),
            client,
            http: Http::new(),
        }
    }

    /// Asks the server to revoke `token`: its refresh token if it has one, else its access
    /// token.
    ///
    /// # Errors
    /// The errors of a token request: the server could not be reached (retryable), refused
    /// the client ([`AuthErrorKind::InvalidClient`](crate::AuthErrorKind::InvalidClient)), or
    /// refused the request.
    pub async fn revoke(&self, token: &Token) -> Result<(), AuthError> {
        let (value, hint) = match token.refresh_token() {
            Some(refresh) => (refresh.expose_secret(), "refresh_token"),
            None => (token.access_token().expose_secret(), "access_token"),
        };
        let client = self.client.fields(&self.endpoint)?;
        let mut form = vec![("token", value), ("token_type_hint", hint)];
        form.extend(client.pairs());
        let answer = post(
            &self.http,
            &self.endpoint,
            RequestBody::form(&form),
            self.client.authorization()?,
            None,
        )
        .await?;
        if answer.status.is_success() {
            return Ok(());
        }
        let mut secrets = Redactions::new(&[value]);
        self.client.add_secrets(&mut secrets);
        if let Some(assertion) = client.assertion() {
            secrets.add(assertion);
        }
        Err(refusal(
            &self.endpoint,
            &answer,
            &secrets,
            self.client.judge(),
        ))
    }

    /// Logs out: clears `cache` and its store ([`TokenCache::clear`]), then revokes the token
    /// it held. The local logout stands even when the server cannot be reached; the error
    /// says so, and [`revoke`](Self::revoke) can be tried again with the token.
    ///
    /// # Errors
    /// As [`TokenCache::clear`] and [`revoke`](Self::revoke).
    pub async fn log_out<S: TokenSource>(&self, cache: &TokenCache<S>) -> Result<(), AuthError> {
        match cache.clear().await? {
            Some(token) => self.revoke(&token).await,
            None => Ok(()),
        }
    }
}

http_methods!(Revocation);
