// Input: the OAuth2 client's id and, for a confidential client, its secret and where to send it.
// Output: the `Authorization: Basic` header or the form fields that authenticate the client
// to the token endpoint (RFC 6749 section 2.3.1), and a public client's `client_id`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;
use http::header::AUTHORIZATION;
use zeroize::Zeroizing;

use super::error_response::{authenticated_client_remedy, oauth_remedy};
use super::exchange::CredentialHeader;
use super::redaction::Redactions;
use super::request_body::form_urlencode;
use super::token_request::Judge;
use super::url::Endpoint;
use crate::{AuthError, ClientSecret};

/// How a failed answer is read for a client that did (`authenticated`) or did not prove who
/// it is.
pub(crate) fn judge_for(authenticated: bool) -> Judge {
    if authenticated {
        |status, code| (authenticated_client_remedy(status, code), None)
    } else {
        |status, code| (oauth_remedy(status, code), None)
    }
}

/// How an OAuth2 client proves who it is to the token endpoint (RFC 6749 section 2.3).
///
/// `Debug` never shows the secret.
///
/// ```
/// use freshtoken::oauth::ClientAuth;
///
/// // `client_secret_basic`: the most widely supported, and what RFC 6749 requires servers
/// // to accept.
/// let basic = ClientAuth::basic("my-app", "client-secret");
/// // `client_secret_post`: for servers that want the secret in the form body.
/// let body = ClientAuth::body("my-app", "client-secret");
/// // A public client (a CLI, a mobile app) has no secret and sends only its id.
/// let public = ClientAuth::public("my-cli");
/// assert_eq!(public.client_id(), "my-cli");
/// assert!(!format!("{basic:?} {body:?}").contains("client-secret"));
/// ```
#[derive(Debug, Clone)]
pub struct ClientAuth {
    client_id: String,
    method: Method,
}

#[derive(Debug, Clone)]
enum Method {
    Basic(ClientSecret),
    Body(ClientSecret),
    Public,
    /// No client authentication at all (the JWT bearer grant's assertion names the client).
    Nothing,
    #[cfg(feature = "jsonwebtoken")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jsonwebtoken")))]
    PrivateKeyJwt(super::assertion::JwtSigner, Audience),
}

/// The `aud` of `private_key_jwt` assertions.
#[cfg(feature = "jsonwebtoken")]
#[derive(Debug, Clone, PartialEq, Eq)]
enum Audience {
    /// The URL of the endpoint the request goes to (the default for a hand-built source).
    Endpoint,
    /// The issuer of the server's metadata: the default of a source built by an `Issuer`.
    Issuer(String),
    /// What the user chose with `ClientAuth::audience`; never replaced.
    Chosen(String),
}

/// RFC 7523 section 2.2: how a client assertion says what it is.
#[cfg(feature = "jsonwebtoken")]
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The form fields that identify the client to one endpoint, with the client assertion made
/// for it (`private_key_jwt`), if any.
pub(crate) struct ClientFields<'a> {
    fields: Vec<(&'static str, &'a str)>,
    assertion: Option<Zeroizing<String>>,
}

impl ClientFields<'_> {
    /// The fields, the assertion's among them.
    pub(crate) fn pairs(&self) -> Vec<(&str, &str)> {
        #[cfg_attr(not(feature = "jsonwebtoken"), allow(unused_mut))]
        let mut pairs: Vec<(&str, &str)> = self.fields.clone();
        #[cfg(feature = "jsonwebtoken")]
        if let Some(assertion) = &self.assertion {
            pairs.push(("client_assertion_type", CLIENT_ASSERTION_TYPE));
            pairs.push(("client_assertion", assertion));
        }
        pairs
    }

    /// The client assertion, to be kept out of error messages.
    pub(crate) fn assertion(&self) -> Option<&str> {
        self.assertion.as_deref().map(String::as_str)
    }

    /// The client assertion, kept after the fields are gone.
    pub(crate) fn into_assertion(self) -> Option<Zeroizing<String>> {
        self.assertion
    }
}

impl ClientAuth {
    /// HTTP Basic authentication with the client id and secret, each form-urlencoded first as
    /// RFC 6749 section 2.3.1 requires (`client_secret_basic`).
    pub fn basic(client_id: impl Into<String>, client_secret: impl Into<ClientSecret>) -> Self {
        Self {
            client_id: client_id.into(),
            method: Method::Basic(client_secret.into()),
        }
    }

    /// `client_id` and `client_secret` as fields of the form body (`client_secret_post`).
    pub fn body(client_id: impl Into<String>, client_secret: impl Into<ClientSecret>) -> Self {
        Self {
            client_id: client_id.into(),
            method: Method::Body(client_secret.into()),
        }
    }

    /// A public client: no secret, `client_id` in the form body.
    pub fn public(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            method: Method::Public,
        }
    }

    /// `private_key_jwt` (RFC 7523 section 2.2, `OpenID` Connect): no secret; each request
    /// carries a JWT assertion signed by `signer`, issued by and about the client.
    ///
    /// The assertion's `aud` is, unless chosen with [`audience`](Self::audience):
    /// - for a source built by an [`Issuer`](crate::oauth::Issuer), the issuer identifier of
    ///   the server's metadata, which current practice asks for (a token endpoint URL as
    ///   `aud` lets a malicious server that shares the URL of another reuse the assertion);
    /// - for a source built by hand, the URL of the endpoint the request goes to, which RFC
    ///   7523 servers have long accepted and which needs nothing but that URL.
    ///
    /// ```
    /// use freshtoken::oauth::{ClientAuth, JwtSigner};
    ///
    /// # fn demo(pem: &[u8]) -> Result<(), freshtoken::AuthError> {
    /// let client = ClientAuth::private_key_jwt("reports-service", JwtSigner::rs256_pem(pem)?)
    ///     .audience("https://auth.example.com");
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "jsonwebtoken")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jsonwebtoken")))]
    pub fn private_key_jwt(
        client_id: impl Into<String>,
        signer: super::assertion::JwtSigner,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            method: Method::PrivateKeyJwt(signer, Audience::Endpoint),
        }
    }

    /// The `aud` of this client's `private_key_jwt` assertions, for every endpoint and
    /// however the source is built: the issuer identifier, or the URL a server documents.
    /// The other methods sign nothing, and are left as they are.
    #[cfg(feature = "jsonwebtoken")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jsonwebtoken")))]
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        if let Method::PrivateKeyJwt(_, chosen) = &mut self.method {
            *chosen = Audience::Chosen(audience.into());
        }
        self
    }

    /// This client, its `private_key_jwt` assertions for `issuer` unless an audience was
    /// chosen: what a source built from the server's metadata sends.
    #[must_use]
    #[cfg_attr(not(feature = "jsonwebtoken"), allow(unused_mut))]
    pub(crate) fn for_issuer(mut self, issuer: &str) -> Self {
        #[cfg(feature = "jsonwebtoken")]
        if let Method::PrivateKeyJwt(_, audience @ Audience::Endpoint) = &mut self.method {
            *audience = Audience::Issuer(issuer.to_owned());
        }
        #[cfg(not(feature = "jsonwebtoken"))]
        let _ = issuer;
        self
    }

    /// No client authentication: nothing about the client is sent. For grants whose request
    /// names the client by itself, such as the JWT bearer grant of a Google service account.
    /// [`client_id`](Self::client_id) is empty.
    #[must_use]
    pub fn none() -> Self {
        Self {
            client_id: String::new(),
            method: Method::Nothing,
        }
    }

    /// The client id.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The secret, to be kept out of error messages.
    pub(crate) fn secret(&self) -> Option<&str> {
        match &self.method {
            Method::Basic(secret) | Method::Body(secret) => Some(secret.expose_secret()),
            Method::Public | Method::Nothing => None,
            #[cfg(feature = "jsonwebtoken")]
            Method::PrivateKeyJwt(..) => None,
        }
    }

    /// Adds what the client sends that must be kept out of error messages: the secret, and
    /// for Basic the credentials as the header carries them (in base64, which a server may
    /// echo), both as sent and without their form-urlencoding.
    pub(crate) fn add_secrets<'a>(&'a self, redactions: &mut Redactions<'a>) {
        let Some(secret) = self.secret() else {
            return;
        };
        redactions.add(secret);
        if let Method::Basic(_) = self.method {
            redactions.add_basic_credentials(&basic_credentials(&self.client_id, secret));
            let mut raw =
                Zeroizing::new(Vec::with_capacity(self.client_id.len() + 1 + secret.len()));
            raw.extend_from_slice(self.client_id.as_bytes());
            raw.push(b':');
            raw.extend_from_slice(secret.as_bytes());
            redactions.add_basic_credentials(&raw);
        }
    }

    /// How an RFC 6749 token endpoint's refusal reads for this client: with a secret, a 401
    /// means the client was refused.
    pub(crate) fn judge(&self) -> Judge {
        judge_for(!matches!(self.method, Method::Public | Method::Nothing))
    }

    /// The form fields that identify the client to `audience`: none for Basic, where the
    /// header does; a fresh assertion for `private_key_jwt`.
    // Only a signed assertion can fail to be made.
    #[cfg_attr(not(feature = "jsonwebtoken"), allow(clippy::unnecessary_wraps))]
    pub(crate) fn fields(&self, audience: &Endpoint) -> Result<ClientFields<'_>, AuthError> {
        let _ = audience;
        let (fields, assertion) = match &self.method {
            Method::Basic(_) | Method::Nothing => (Vec::new(), None),
            Method::Body(secret) => (
                vec![
                    ("client_id", self.client_id.as_str()),
                    ("client_secret", secret.expose_secret()),
                ],
                None,
            ),
            Method::Public => (vec![("client_id", self.client_id.as_str())], None),
            #[cfg(feature = "jsonwebtoken")]
            Method::PrivateKeyJwt(signer, aud) => {
                let aud = match aud {
                    Audience::Endpoint => audience.url().as_str(),
                    Audience::Issuer(aud) | Audience::Chosen(aud) => aud.as_str(),
                };
                (
                    vec![("client_id", self.client_id.as_str())],
                    Some(signer.sign(&self.client_id, &self.client_id, aud, None)?),
                )
            }
        };
        Ok(ClientFields { fields, assertion })
    }

    /// The `Authorization` header for Basic authentication, marked sensitive and zeroed on
    /// drop; `None` for the other methods.
    pub(crate) fn authorization(&self) -> Result<Option<CredentialHeader>, AuthError> {
        let Method::Basic(secret) = &self.method else {
            return Ok(None);
        };
        basic_authorization(&self.client_id, secret.expose_secret())
            .map(|value| Some((AUTHORIZATION, value)))
    }
}

/// `id:secret`, each form-urlencoded, as RFC 6749 section 2.3.1 puts them in the header.
fn basic_credentials(client_id: &str, secret: &str) -> Zeroizing<Vec<u8>> {
    // Sized up front: a reallocation would leave an unzeroed copy of the secret.
    let mut credentials =
        Zeroizing::new(Vec::with_capacity(3 * (client_id.len() + secret.len()) + 1));
    form_urlencode(&mut credentials, client_id);
    credentials.push(b':');
    form_urlencode(&mut credentials, secret);
    credentials
}

fn basic_authorization(client_id: &str, secret: &str) -> Result<HeaderValue, AuthError> {
    let credentials = basic_credentials(client_id, secret);

    // Base64 of the credentials, sized up front, then the shared header builder.
    let mut encoded = Zeroizing::new(String::with_capacity(credentials.len().div_ceil(3) * 4));
    STANDARD.encode_string(credentials.as_slice(), &mut encoded);
    crate::authorization::header_value("Basic", &encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audience() -> Endpoint {
        Endpoint::new("https://auth.example/token".parse().unwrap())
    }

    #[test]
    fn basic_credentials_are_urlencoded_before_base64() {
        let auth = ClientAuth::basic("my client", "s3cr:t/+");
        let (name, value) = auth.authorization().unwrap().unwrap();
        assert_eq!(name, AUTHORIZATION);
        assert!(value.is_sensitive());
        let encoded = value.to_str().unwrap().strip_prefix("Basic ").unwrap();
        let decoded = STANDARD.decode(encoded).unwrap();
        assert_eq!(decoded, b"my+client:s3cr%3At%2F%2B");
        assert!(
            auth.fields(&audience()).unwrap().pairs().is_empty(),
            "Basic sends nothing in the body"
        );
        assert_eq!(auth.secret(), Some("s3cr:t/+"));
    }

    #[test]
    fn body_and_public_send_form_fields_and_no_header() {
        let body = ClientAuth::body("id", "secret");
        assert!(body.authorization().unwrap().is_none());
        assert_eq!(
            body.fields(&audience()).unwrap().pairs(),
            [("client_id", "id"), ("client_secret", "secret")]
        );
        let public = ClientAuth::public("cli");
        assert!(public.authorization().unwrap().is_none());
        assert_eq!(
            public.fields(&audience()).unwrap().pairs(),
            [("client_id", "cli")]
        );
        assert_eq!(public.secret(), None);
    }

    #[test]
    fn basic_secrets_include_the_header_credentials() {
        let auth = ClientAuth::basic("my client", "s3cr:t/+");
        let mut redactions = Redactions::default();
        auth.add_secrets(&mut redactions);
        let (_, header) = auth.authorization().unwrap().unwrap();
        let encoded = header.to_str().unwrap().strip_prefix("Basic ").unwrap();
        let raw = STANDARD.encode("my client:s3cr:t/+");
        let text = format!("{encoded} {raw} s3cr%3At%2F%2B");
        assert_eq!(
            redactions.redact(&text, 100).0,
            "[redacted] [redacted] [redacted]"
        );
        let public_client = ClientAuth::public("cli");
        let mut public = Redactions::default();
        public_client.add_secrets(&mut public);
        assert_eq!(public.redact("cli", 100).0, "cli");
    }

    #[cfg(feature = "jsonwebtoken")]
    #[test]
    fn private_key_jwt_signs_for_the_endpoint_the_issuer_or_the_chosen_audience() {
        let signer = super::super::assertion::JwtSigner::rs256_pem(include_bytes!(
            "../test_keys/rsa_private.pem"
        ))
        .unwrap();
        let aud_of = |auth: &ClientAuth| {
            let fields = auth.fields(&audience()).unwrap();
            let assertion = fields.assertion().unwrap().to_owned();
            let payload = assertion.split('.').nth(1).unwrap();
            let claims: serde_json::Value = serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(payload)
                    .unwrap(),
            )
            .unwrap();
            claims["aud"].as_str().unwrap().to_owned()
        };
        let by_hand = ClientAuth::private_key_jwt("svc", signer);
        assert_eq!(aud_of(&by_hand), "https://auth.example/token");
        let from_metadata = by_hand.clone().for_issuer("https://auth.example");
        assert_eq!(aud_of(&from_metadata), "https://auth.example");
        let chosen = by_hand.audience("https://auth.example/tenant");
        assert_eq!(
            aud_of(&chosen.clone().for_issuer("https://auth.example")),
            "https://auth.example/tenant"
        );
        // The other methods sign nothing: an audience changes nothing there.
        let basic = ClientAuth::basic("id", "secret").audience("https://auth.example");
        assert!(basic.fields(&audience()).unwrap().pairs().is_empty());
    }

    #[test]
    fn debug_hides_the_secret() {
        let debug = format!("{:?}", ClientAuth::basic("id", "SECRET"));
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(debug.contains("id"), "{debug}");
    }
}
