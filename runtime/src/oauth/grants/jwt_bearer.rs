// Input: a service account's private key, who it is, and the token endpoint.
// Output: tokens from the JWT bearer grant (RFC 7523 section 2.1): a fresh signed assertion
// with every request, no refresh token needed (Google service accounts, Salesforce).

use reqwest::Url;

use super::builder_methods::{grant_methods, http_methods};
use crate::oauth::endpoint::assertion::JwtSigner;
use crate::oauth::endpoint::client_auth::ClientAuth;
use crate::oauth::endpoint::exchange::Http;
use crate::oauth::endpoint::response_fields::TokenResponseFields;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, Token, TokenSource};

const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Gets tokens with the JWT bearer grant of RFC 7523 section 2.1: each fetch signs a new
/// assertion (`iss` the issuer, `sub` the subject, `aud` the token endpoint, a fresh `jti`,
/// `exp` five minutes ahead) and POSTs it as `assertion`, with the scopes and the client
/// authentication of [`ClientAuth`] (often [`ClientAuth::public`], or none needed at all).
///
/// Like client credentials, the key itself buys each token: the cache can always get one.
/// Some servers (Google's) want the scopes inside the assertion: [`scope_claim`](Self::scope_claim).
///
/// ```no_run
/// use freshtoken::TokenCache;
/// use freshtoken::oauth::{ClientAuth, JwtBearerGrant, JwtSigner};
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let signer = JwtSigner::rs256_pem(&std::fs::read("service-account.pem")?)?;
/// let source = JwtBearerGrant::new(
///     "https://auth.example.com/oauth/token".parse()?,
///     ClientAuth::public("reports-service"),
///     signer,
///     "reports-service@example.com",
///     "reports-service@example.com",
/// )
/// .scopes(["reports:read"]);
/// let cache = TokenCache::new(source);
/// # let _ = cache;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct JwtBearerGrant {
    endpoint: Endpoint,
    client: ClientAuth,
    signer: JwtSigner,
    issuer: String,
    subject: String,
    scope_in_claim: bool,
    scope: Option<String>,
    params: Vec<(String, String)>,
    fields: TokenResponseFields,
    http: Http,
}

impl JwtBearerGrant {
    /// A source that asks `token_url` for tokens with assertions by `issuer` about `subject`,
    /// signed by `signer`.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized; pass your own
    /// with [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(
        token_url: Url,
        client: ClientAuth,
        signer: JwtSigner,
        issuer: impl Into<String>,
        subject: impl Into<String>,
    ) -> Self {
        Self {
            endpoint: Endpoint::new(token_url),
            client,
            signer,
            issuer: issuer.into(),
            subject: subject.into(),
            scope_in_claim: false,
            scope: None,
            params: Vec::new(),
            fields: TokenResponseFields::default(),
            http: Http::new(),
        }
    }

    /// Puts the scopes in the assertion's `scope` claim as well as in the form.
    #[must_use]
    pub fn scope_claim(mut self) -> Self {
        self.scope_in_claim = true;
        self
    }
}

grant_methods!(JwtBearerGrant);
http_methods!(JwtBearerGrant);

impl TokenSource for JwtBearerGrant {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        let scope = self.scope.as_deref().filter(|_| self.scope_in_claim);
        let assertion = self.signer.sign(
            &self.issuer,
            &self.subject,
            self.endpoint.url().as_str(),
            scope,
        )?;
        self.form()
            .send(
                &[("grant_type", JWT_BEARER_GRANT), ("assertion", &assertion)],
                &[&assertion],
            )
            .await
    }
}
