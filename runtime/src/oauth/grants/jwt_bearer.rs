// Input: a service account's private key, who it is, and the token endpoint.
// Output: tokens from the JWT bearer grant (RFC 7523 section 2.1): a fresh signed assertion
// (or one supplied from elsewhere) with every request, no refresh token needed (Google
// service accounts, Salesforce, workload identity federation).

use reqwest::Url;

use super::builder_methods::{dpop_method, grant_methods, http_methods};
use super::form_grant::FormGrant;
use super::token_supplier::TokenSupplier;
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
/// An assertion made elsewhere (an ID token of another identity provider, a workload
/// identity token the platform writes to a file) is sent with
/// [`with_assertion`](Self::with_assertion) instead.
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
    assertion: Assertion,
    scope_in_claim: bool,
    scope: Option<String>,
    params: Vec<(String, String)>,
    fields: TokenResponseFields,
    http: Http,
}

/// Where each request's assertion comes from.
#[derive(Debug, Clone)]
enum Assertion {
    /// Signed here, by `issuer` about `subject`.
    Signed {
        signer: JwtSigner,
        issuer: String,
        subject: String,
    },
    /// Made elsewhere.
    Supplied(TokenSupplier),
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
            assertion: Assertion::Signed {
                signer,
                issuer: issuer.into(),
                subject: subject.into(),
            },
            scope_in_claim: false,
            scope: None,
            params: Vec::new(),
            fields: TokenResponseFields::default(),
            http: Http::new(),
        }
    }

    /// A source that asks `token_url` for tokens with the assertion `assertion` supplies,
    /// asked for anew for every token request: an ID token of another identity provider, a
    /// workload identity token, a JWT another service signed. The assertion is a secret:
    /// it never appears in an error or a log line.
    ///
    /// ```no_run
    /// use freshtoken::TokenCache;
    /// use freshtoken::oauth::{ClientAuth, JwtBearerGrant, TokenSupplier};
    ///
    /// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let identity = TokenSupplier::from_fn(|| async {
    ///     std::fs::read_to_string("/var/run/secrets/tokens/identity")
    ///         .map(|token| token.trim().to_owned())
    ///         .map_err(|error| {
    ///             freshtoken::AuthError::refresh_failed(format!("no identity token: {error}"))
    ///         })
    /// });
    /// let source = JwtBearerGrant::with_assertion(
    ///     "https://auth.example.com/oauth/token".parse()?,
    ///     ClientAuth::public("reports-service"),
    ///     identity,
    /// )
    /// .scopes(["reports:read"]);
    /// let cache = TokenCache::new(source);
    /// # let _ = cache;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized; pass your own
    /// with [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn with_assertion(token_url: Url, client: ClientAuth, assertion: TokenSupplier) -> Self {
        Self {
            endpoint: Endpoint::new(token_url),
            client,
            assertion: Assertion::Supplied(assertion),
            scope_in_claim: false,
            scope: None,
            params: Vec::new(),
            fields: TokenResponseFields::default(),
            http: Http::new(),
        }
    }

    /// Puts the scopes in the assertion's `scope` claim as well as in the form (for an
    /// assertion signed here; a supplied one is sent as it is).
    #[must_use]
    pub fn scope_claim(mut self) -> Self {
        self.scope_in_claim = true;
        self
    }
}

grant_methods!(JwtBearerGrant);
http_methods!(JwtBearerGrant);
dpop_method!(JwtBearerGrant);

impl JwtBearerGrant {
    /// One token request for `scope`, with a new assertion.
    async fn request(&self, scope: Option<&str>) -> Result<Token, AuthError> {
        let assertion = match &self.assertion {
            Assertion::Signed {
                signer,
                issuer,
                subject,
            } => {
                let claim = scope.filter(|_| self.scope_in_claim);
                signer.sign(issuer, subject, self.endpoint.url().as_str(), claim)?
            }
            Assertion::Supplied(supplier) => supplier.get("assertion").await?,
        };
        let form = FormGrant {
            scope,
            ..self.form()
        };
        let sent = form
            .send(
                &[("grant_type", JWT_BEARER_GRANT), ("assertion", &assertion)],
                &[&assertion],
            )
            .await;
        match &self.assertion {
            Assertion::Supplied(supplier) => {
                sent.map_err(|error| supplier.refused(&assertion, "assertion", error))
            }
            Assertion::Signed { .. } => sent,
        }
    }
}

impl TokenSource for JwtBearerGrant {
    fn grant_type(&self) -> &'static str {
        "jwt_bearer"
    }

    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        self.request(self.scope.as_deref()).await
    }

    /// A new token request (with a new assertion) for `scopes` instead of the configured
    /// ones.
    async fn fetch_with_scopes(
        &self,
        _previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        self.request(Some(&scopes.join(" "))).await
    }
}
