// Input: a token request of a grant freshtoken has no source for: the token endpoint, the
// client's authentication, and the form fields, some marked secret.
// Output: the same request the built-in sources send (client authentication, timeout, no
// redirects, a body zeroed on drop) and the same reading of the answer: a `Token`, or the
// classified `AuthError` with every secret cut out.

use std::time::Duration;

use reqwest::Url;

use super::client_auth::{ClientAuth, ClientFields};
use super::exchange::{DEFAULT_TIMEOUT, Http};
use super::redaction::Redactions;
use super::request_body::RequestBody;
use super::response_fields::TokenResponseFields;
use super::token_request::{Rebuild, Rebuilt, TokenRequest};
use super::url::Endpoint;
use crate::{AuthError, Token};

/// A token request of a grant of your own (a `grant_type` of your server's, or one freshtoken
/// has no source for), sent and read exactly as the built-in sources send and read theirs.
///
/// The form is the fields in the order added, then the fields of [`ClientAuth`] (Basic goes
/// in the `Authorization` header; `private_key_jwt` adds a fresh client assertion). The
/// answer becomes a [`Token`], or an [`AuthError`] classified as in
/// [the module docs](crate::oauth): `invalid_grant` means log in again, `invalid_client`
/// check the client, 5xx and 429 retry (with `Retry-After`). The values of
/// [`secret_field`](Self::secret_field)s, the client secret and the client assertion are cut
/// out of every error, in every spelling a server may echo them in. The request times out
/// after 30 s unless told otherwise, and no redirect is followed.
///
/// Field values are borrowed, not copied: a secret stays where you keep it, and the body
/// holding it is zeroed when dropped.
///
/// ```
/// use freshtoken::oauth::{ClientAuth, GrantRequest, Url};
/// use freshtoken::{AuthError, ClientSecret, Token, TokenSource};
///
/// /// A grant of the user's own: a device's enrollment key buys its tokens.
/// struct DeviceKeyGrant {
///     token_url: Url,
///     client: ClientAuth,
///     device_key: ClientSecret,
///     http: reqwest::Client,
/// }
///
/// impl TokenSource for DeviceKeyGrant {
///     async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
///         GrantRequest::new(self.token_url.clone(), &self.client)
///             .field("grant_type", "urn:example:params:oauth:grant-type:device-key")
///             .secret_field("device_key", self.device_key.expose_secret())
///             .http_client(self.http.clone())
///             .send()
///             .await
///     }
///
///     async fn fetch_with_scopes(
///         &self,
///         _previous: Option<&Token>,
///         scopes: &[String],
///     ) -> Result<Token, AuthError> {
///         let scope = scopes.join(" ");
///         GrantRequest::new(self.token_url.clone(), &self.client)
///             .field("grant_type", "urn:example:params:oauth:grant-type:device-key")
///             .secret_field("device_key", self.device_key.expose_secret())
///             .field("scope", &scope)
///             .http_client(self.http.clone())
///             .send()
///             .await
///     }
/// }
/// ```
pub struct GrantRequest<'a> {
    endpoint: Endpoint,
    client: &'a ClientAuth,
    fields: Vec<(&'a str, &'a str)>,
    secrets: Vec<&'a str>,
    response_fields: Option<&'a TokenResponseFields>,
    http_client: Option<reqwest::Client>,
    timeout: Option<Duration>,
    #[cfg(feature = "dpop")]
    dpop: Option<crate::dpop::DpopKey>,
}

impl std::fmt::Debug for GrantRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(name, _)| *name).collect();
        f.debug_struct("GrantRequest")
            .field("endpoint", &self.endpoint)
            .field("client", &self.client)
            .field("fields", &names)
            .finish_non_exhaustive()
    }
}

impl<'a> GrantRequest<'a> {
    /// A request to `token_url`, authenticated as `client`, with no fields yet.
    #[must_use]
    pub fn new(token_url: Url, client: &'a ClientAuth) -> Self {
        Self {
            endpoint: Endpoint::new(token_url),
            client,
            fields: Vec::new(),
            secrets: Vec::new(),
            response_fields: None,
            http_client: None,
            timeout: None,
            #[cfg(feature = "dpop")]
            dpop: None,
        }
    }

    /// Adds the form field `name=value` (`grant_type` first, by convention). Its value may
    /// appear in error messages; for a secret, use [`secret_field`](Self::secret_field).
    #[must_use]
    pub fn field(mut self, name: &'a str, value: &'a str) -> Self {
        self.fields.push((name, value));
        self
    }

    /// Adds the form field `name=value` whose value is a secret (an assertion, a token, a
    /// key): it is cut out of whatever the server says back.
    #[must_use]
    pub fn secret_field(mut self, name: &'a str, value: &'a str) -> Self {
        self.fields.push((name, value));
        self.secrets.push(value);
        self
    }

    /// The names of the answer's fields, when they are not RFC 6749's.
    #[must_use]
    pub fn response_fields(mut self, fields: &'a TokenResponseFields) -> Self {
        self.response_fields = Some(fields);
        self
    }

    /// Sends the request with this client (to share its connection pool, proxies and TLS
    /// roots). Without one, a client that follows no redirects is built for this request;
    /// a source that sends many requests should keep one and pass it here.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// How long the request may take, from connecting to the last byte of the answer.
    /// Default 30 s; past it, [`AuthErrorKind::Timeout`](crate::AuthErrorKind::Timeout).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Proves possession of `key` (DPoP, RFC 9449): the request carries a proof, is sent
    /// once more with the server's nonce if it asks for one, and a `DPoP` token in the answer
    /// is bound to the key. To refresh a bound refresh token, pass the key of the token it
    /// came with ([`Token::dpop_key`](crate::Token::dpop_key)).
    #[cfg(feature = "dpop")]
    #[cfg_attr(docsrs, doc(cfg(feature = "dpop")))]
    #[must_use]
    pub fn dpop(mut self, key: crate::dpop::DpopKey) -> Self {
        self.dpop = Some(key);
        self
    }

    /// Sends the form and reads the answer.
    ///
    /// # Errors
    /// The errors of the built-in sources (see [the module docs](crate::oauth)), and
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when a client assertion
    /// cannot be signed.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if no HTTP client was given and one cannot be
    /// initialized.
    pub async fn send(self) -> Result<Token, AuthError> {
        let http = Http {
            client: self.http_client.unwrap_or_else(|| Http::new().client),
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            #[cfg(feature = "dpop")]
            dpop: self.dpop,
        };
        let body_with = |client: &ClientFields<'_>| {
            let mut form = self.fields.clone();
            form.extend(client.pairs());
            RequestBody::form(&form)
        };
        let client = self.client.fields(&self.endpoint)?;
        // A resend signs a new client assertion: the first may have been spent.
        let rebuild = || -> Result<Rebuilt, AuthError> {
            let client = self.client.fields(&self.endpoint)?;
            Ok((body_with(&client), client.into_assertion()))
        };
        let rebuild: Option<&Rebuild<'_>> = client.assertion().map(|_| &rebuild as &Rebuild<'_>);

        let mut redactions = Redactions::new(&self.secrets);
        self.client.add_secrets(&mut redactions);
        if let Some(assertion) = client.assertion() {
            redactions.add(assertion);
        }
        let default_fields = TokenResponseFields::default();
        TokenRequest {
            endpoint: &self.endpoint,
            body: body_with(&client),
            credential: self.client.authorization()?,
            fields: self.response_fields.unwrap_or(&default_fields),
            secrets: redactions,
            judge: self.client.judge(),
        }
        .send_rebuilding(&http, rebuild)
        .await
    }
}
