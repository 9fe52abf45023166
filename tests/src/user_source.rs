//! The token source of one user of a [`UserTokenServer`](crate::user_tokens::UserTokenServer),
//! over real HTTP: a login (`grant_type=password`) when it has no refresh token, else a
//! refresh with the previous token's (rotating) refresh token; with the scopes a partition
//! asks for as `scope`.

use std::time::Duration;

use freshtoken::{AuthError, Token, TokenSource};

/// Logs `user` in, or renews the user's token, at a token endpoint.
#[derive(Debug, Clone)]
pub struct UserSource {
    user: String,
    token_url: String,
    http: reqwest::Client,
}

impl UserSource {
    /// The source of `user`'s tokens at `token_url`, sending with `http` (one client shared by
    /// every user's source, as a service would).
    #[must_use]
    pub fn new(user: &str, token_url: &str, http: &reqwest::Client) -> Self {
        Self {
            user: user.to_owned(),
            token_url: token_url.to_owned(),
            http: http.clone(),
        }
    }

    async fn request(
        &self,
        previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        let mut form = match previous.and_then(Token::refresh_token) {
            Some(refresh) => format!(
                "grant_type=refresh_token&refresh_token={}",
                refresh.expose_secret()
            ),
            None => format!("grant_type=password&username={}&password=pw", self.user),
        };
        if !scopes.is_empty() {
            form.push_str("&scope=");
            form.push_str(&scopes.join("%20"));
        }
        let response = self
            .http
            .post(&self.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(AuthError::refresh_failed)?;
        let body = response.bytes().await.map_err(AuthError::refresh_failed)?;
        let body: serde_json::Value =
            serde_json::from_slice(&body).map_err(AuthError::refresh_failed)?;
        let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
        let mut token = Token::builder(field("access_token"))
            .expires_in(Duration::from_secs(
                body["expires_in"].as_u64().unwrap_or(0),
            ))
            .refresh_token(field("refresh_token"));
        if let Some(scope) = body["scope"].as_str() {
            token = token.scope(scope);
        }
        token.build()
    }
}

impl TokenSource for UserSource {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        self.request(previous, &[]).await
    }

    async fn fetch_with_scopes(
        &self,
        previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        self.request(previous, scopes).await
    }
}
