// Input: a token to exchange (the subject), optionally the token of who acts for it (the
// actor), each from another cache or a function, and what to exchange it for.
// Output: tokens from the token exchange grant (RFC 8693): a token for another audience or
// resource, delegated or impersonated, with the subject and actor tokens of the moment.

use reqwest::Url;

use super::builder_methods::{dpop_method, grant_methods, http_methods};
use super::form_grant::FormGrant;
use super::token_supplier::TokenSupplier;
use crate::oauth::endpoint::client_auth::ClientAuth;
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, Token, TokenSource};

/// The `grant_type` of RFC 8693 section 2.1.
pub(crate) const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// Gets tokens with the token exchange grant of RFC 8693: a service that holds a token
/// (the subject token: a user's access token it was called with, an ID token) exchanges it
/// for one to call another service with, for that service's
/// [`audience`](Self::audience) or `resource`, with narrower [`scopes`](Self::scopes), or
/// naming itself as the [`actor`](Self::actor) (delegation: the new token's `act` claim).
///
/// The subject and actor tokens come from a [`TokenSupplier`]: another
/// [`TokenCache`](crate::TokenCache), or a function. They are asked for anew for every
/// exchange, so the exchanged token always stems from current ones, and they never appear
/// in an error or a log line. The subject token's type is an access token unless
/// [`subject_token_type`](Self::subject_token_type) says otherwise; the actor token's, an
/// access token unless [`actor_token_type`](Self::actor_token_type) says otherwise.
///
/// For a `resource` (RFC 8707), use `.param("resource", ...)`, once for each. The answer's
/// `issued_token_type` is not checked. A token that is not an access token (asked for with
/// [`requested_token_type`](Self::requested_token_type)) comes with the token type `N_A`:
/// the [`Token`] then carries it as its [`token_type`](Token::token_type), its string is
/// [`access_token`](Token::access_token), and its
/// [`authorization`](Token::authorization) header is of no use.
///
/// ```no_run
/// use freshtoken::TokenCache;
/// use freshtoken::oauth::{ClientAuth, ClientCredentials, TokenExchangeGrant, TokenSupplier};
///
/// # fn demo(user_cache: TokenCache<freshtoken::oauth::RefreshTokenGrant>)
/// # -> Result<(), Box<dyn std::error::Error>> {
/// let token_url: freshtoken::oauth::Url = "https://auth.example.com/oauth/token".parse()?;
/// // The service's own token, to act for the user.
/// let service = TokenCache::new(ClientCredentials::new(
///     token_url.clone(),
///     ClientAuth::basic("gateway", std::env::var("CLIENT_SECRET")?),
/// ));
/// let source = TokenExchangeGrant::new(
///     token_url,
///     ClientAuth::basic("gateway", std::env::var("CLIENT_SECRET")?),
///     TokenSupplier::cache(user_cache),
/// )
/// .actor(TokenSupplier::cache(service))
/// .audience("https://billing.example.com")
/// .scopes(["invoices:read"]);
/// let billing_tokens = TokenCache::new(source);
/// # let _ = billing_tokens;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct TokenExchangeGrant {
    endpoint: Endpoint,
    client: ClientAuth,
    subject: TokenSupplier,
    subject_token_type: String,
    actor: Option<TokenSupplier>,
    actor_token_type: String,
    requested_token_type: Option<String>,
    audiences: Vec<String>,
    scope: Option<String>,
    params: Vec<(String, String)>,
    fields: TokenResponseFields,
    http: Http,
}

impl TokenExchangeGrant {
    /// RFC 8693 section 3: an OAuth 2.0 access token.
    pub const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
    /// RFC 8693 section 3: an OAuth 2.0 refresh token.
    pub const REFRESH_TOKEN: &str = "urn:ietf:params:oauth:token-type:refresh_token";
    /// RFC 8693 section 3: an `OpenID` Connect ID token.
    pub const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
    /// RFC 8693 section 3: a JWT.
    pub const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

    /// A source that exchanges the token `subject` supplies at `token_url`, authenticating
    /// as `client`.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized; pass your own
    /// with [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(token_url: Url, client: ClientAuth, subject: TokenSupplier) -> Self {
        Self {
            endpoint: Endpoint::new(token_url),
            client,
            subject,
            subject_token_type: Self::ACCESS_TOKEN.to_owned(),
            actor: None,
            actor_token_type: Self::ACCESS_TOKEN.to_owned(),
            requested_token_type: None,
            audiences: Vec::new(),
            scope: None,
            params: Vec::new(),
            fields: TokenResponseFields::default(),
            http: Http::new(),
        }
    }

    /// The type of the subject token (default [`ACCESS_TOKEN`](Self::ACCESS_TOKEN)).
    #[must_use]
    pub fn subject_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.subject_token_type = token_type.into();
        self
    }

    /// Sends the token `actor` supplies as the actor token: who acts for the subject
    /// (delegation, RFC 8693 section 1.1).
    #[must_use]
    pub fn actor(mut self, actor: TokenSupplier) -> Self {
        self.actor = Some(actor);
        self
    }

    /// The type of the actor token (default [`ACCESS_TOKEN`](Self::ACCESS_TOKEN)).
    #[must_use]
    pub fn actor_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.actor_token_type = token_type.into();
        self
    }

    /// Asks for a token of this type (for example [`JWT`](Self::JWT)); by default the server
    /// issues an access token.
    #[must_use]
    pub fn requested_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.requested_token_type = Some(token_type.into());
        self
    }

    /// Asks for a token for the service named `audience` (a logical name the server knows;
    /// for a URL, RFC 8707's `resource` is the parameter). Call once for each audience.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// One exchange, asking for `scope`.
    async fn exchange(&self, scope: Option<&str>) -> Result<Token, AuthError> {
        let subject = self.subject.get("subject token").await?;
        let actor = match &self.actor {
            Some(actor) => Some(actor.get("actor token").await?),
            None => None,
        };
        let mut grant: Vec<(&str, &str)> = vec![
            ("grant_type", TOKEN_EXCHANGE_GRANT),
            ("subject_token", &subject),
            ("subject_token_type", &self.subject_token_type),
        ];
        let mut secrets: Vec<&str> = vec![&subject];
        if let Some(actor) = &actor {
            grant.push(("actor_token", actor));
            grant.push(("actor_token_type", &self.actor_token_type));
            secrets.push(actor);
        }
        if let Some(requested) = &self.requested_token_type {
            grant.push(("requested_token_type", requested));
        }
        grant.extend(self.audiences.iter().map(|aud| ("audience", aud.as_str())));
        let form = FormGrant {
            scope,
            ..self.form()
        };
        form.send(&grant, &secrets).await.map_err(|error| {
            // Which of the two was refused, the answer does not say: both are renewed.
            if error.needs_reauthentication()
                && let (Some(supplier), Some(actor)) = (&self.actor, &actor)
            {
                supplier.forget(actor);
            }
            self.subject
                .refused(&subject, "subject or actor token", error)
        })
    }
}

grant_methods!(TokenExchangeGrant);
http_methods!(TokenExchangeGrant);
dpop_method!(TokenExchangeGrant);

impl TokenSource for TokenExchangeGrant {
    fn grant_type(&self) -> &'static str {
        "token_exchange"
    }

    /// Exchanges the subject token of the moment; `previous` plays no part (a refresh token
    /// the server may have issued is not used: a new exchange needs none).
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        self.exchange(self.scope.as_deref()).await
    }

    /// An exchange for `scopes` instead of the configured ones.
    async fn fetch_with_scopes(
        &self,
        _previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        self.exchange(Some(&scopes.join(" "))).await
    }
}
