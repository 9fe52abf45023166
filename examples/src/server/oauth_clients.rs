// Input: the OAuth clients of the configuration, and a token request's credentials (HTTP
// Basic, or `client_id`/`client_secret` in the form; assertions are `jwt_bearer`'s).
// Output: `OAuthClient` (the public configuration type), the registry with each client's
// parsed public keys, and which client a request authenticated as, or `invalid_client`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::{fmt, io};

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;

use super::form::Form;
use super::jwt_bearer::VerifyingKey;
use super::oauth_errors::OAuthError;
use super::secrets::same_secret;

/// The id of the confidential client of [`ServerConfig::default`](super::ServerConfig).
pub const DEMO_CONFIDENTIAL_CLIENT_ID: &str = "demo-backend";
/// The secret of [`DEMO_CONFIDENTIAL_CLIENT_ID`]. A demo value: never use it elsewhere.
pub const DEMO_CONFIDENTIAL_CLIENT_SECRET: &str = "demo-backend-secret";
/// The id of the public client of [`ServerConfig::default`](super::ServerConfig): no secret,
/// loopback redirect URIs allowed.
pub const DEMO_PUBLIC_CLIENT_ID: &str = "demo-cli";

/// An OAuth client the server knows (RFC 6749 §2).
///
/// A client with a [`secret`](Self::secret) is confidential and must authenticate with it,
/// by HTTP Basic or in the form; a client with [`jwt_public_keys`](Self::jwt_public_keys)
/// and no secret authenticates with a signed assertion (`private_key_jwt`); a client with
/// neither is public and only names itself with `client_id`.
///
/// ```
/// use freshtoken_examples::server::{OAuthClient, ServerConfig};
///
/// let mut config = ServerConfig::default();
/// config.clients.push(OAuthClient::confidential("reports", "reports-secret"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// The `client_id`.
    pub id: String,
    /// The client secret; `None` for a public client.
    pub secret: Option<String>,
    /// Whether `/oauth/authorize` accepts any loopback redirect URI
    /// `http://127.0.0.1:<any port>/<any path>` for this client (RFC 8252 §7.3: a native
    /// app listens on a port it gets from the system). On for [`public`](Self::public)
    /// clients. No other redirect URI is ever accepted.
    pub loopback_redirects: bool,
    /// Redirect URIs `/oauth/authorize` accepts for this client, as registered: exactly,
    /// except that the port of a loopback URI (`http://127.0.0.1/...`) may be any (RFC
    /// 8252 §7.3). Empty for the configured clients, which use
    /// [`loopback_redirects`](Self::loopback_redirects).
    pub redirect_uris: Vec<String>,
    /// Public keys, PEM (`-----BEGIN PUBLIC KEY-----`, RSA for RS256 or EC P-256 for
    /// ES256), that verify this client's JWTs: `private_key_jwt` client assertions and JWT
    /// bearer grant assertions (RFC 7523). A key that does not parse stops the server from
    /// starting.
    pub jwt_public_keys: Vec<String>,
    /// Besides the client id, the `sub` a JWT bearer grant assertion of this client may
    /// name: the service account the access token is then issued to.
    pub service_account: Option<String>,
}

impl OAuthClient {
    /// A confidential client that authenticates with `secret`.
    #[must_use]
    pub fn confidential(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: Some(secret.into()),
            loopback_redirects: false,
            redirect_uris: Vec::new(),
            jwt_public_keys: Vec::new(),
            service_account: None,
        }
    }

    /// A public client: it sends its `client_id` and no secret, and may use loopback
    /// redirect URIs.
    #[must_use]
    pub fn public(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: None,
            loopback_redirects: true,
            redirect_uris: Vec::new(),
            jwt_public_keys: Vec::new(),
            service_account: None,
        }
    }

    /// A client that authenticates with JWTs signed by the private half of one of
    /// `public_keys_pem` (RSA or EC P-256 public keys, PEM): `private_key_jwt`, and the JWT
    /// bearer grant.
    #[must_use]
    pub fn with_jwt_keys(
        id: impl Into<String>,
        public_keys_pem: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            id: id.into(),
            secret: None,
            loopback_redirects: false,
            redirect_uris: Vec::new(),
            jwt_public_keys: public_keys_pem.into_iter().map(Into::into).collect(),
            service_account: None,
        }
    }

    /// Whether the client must prove who it is (it has a secret or keys).
    pub(crate) fn is_confidential(&self) -> bool {
        self.secret.is_some() || !self.jwt_public_keys.is_empty()
    }
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("id", &self.id)
            .field("confidential", &self.is_confidential())
            .field("loopback_redirects", &self.loopback_redirects)
            .field("redirect_uris", &self.redirect_uris)
            .field("jwt_public_keys", &self.jwt_public_keys.len())
            .field("service_account", &self.service_account)
            .finish_non_exhaustive()
    }
}

/// A configured client and its parsed keys.
struct Registered {
    client: OAuthClient,
    keys: Vec<VerifyingKey>,
}

/// The configured clients by id, and the clients added while the server runs (dynamic
/// registration, client ID metadata documents), which never have keys.
pub(crate) struct ClientRegistry {
    configured: HashMap<String, Registered>,
    added: Mutex<HashMap<String, OAuthClient>>,
}

impl ClientRegistry {
    /// Fails when a configured public key is not an RSA or EC public key in PEM.
    pub(crate) fn new(clients: &[OAuthClient]) -> io::Result<Self> {
        let mut registry = HashMap::with_capacity(clients.len());
        for client in clients {
            let keys = client
                .jwt_public_keys
                .iter()
                .map(|pem| {
                    VerifyingKey::from_pem(pem).ok_or_else(|| {
                        io::Error::new(
                            io::ErrorKind::InvalidInput,
                            format!(
                                "client `{}`: a JWT public key is not an RSA or EC P-256 public key in PEM",
                                client.id
                            ),
                        )
                    })
                })
                .collect::<io::Result<_>>()?;
            let client = client.clone();
            registry.insert(client.id.clone(), Registered { client, keys });
        }
        Ok(Self {
            configured: registry,
            added: Mutex::default(),
        })
    }

    /// A configured client (the only ones with keys).
    pub(crate) fn get(&self, id: &str) -> Option<&OAuthClient> {
        self.configured.get(id).map(|registered| &registered.client)
    }

    /// A configured or an added client.
    pub(crate) fn find(&self, id: &str) -> Option<Cow<'_, OAuthClient>> {
        if let Some(client) = self.get(id) {
            return Some(Cow::Borrowed(client));
        }
        let added = self.added.lock().unwrap_or_else(PoisonError::into_inner);
        added.get(id).cloned().map(Cow::Owned)
    }

    /// Adds (or replaces) a client that has no keys.
    pub(crate) fn add(&self, client: OAuthClient) {
        let mut added = self.added.lock().unwrap_or_else(PoisonError::into_inner);
        added.insert(client.id.clone(), client);
    }

    /// The public keys that verify JWTs of client `id`.
    pub(crate) fn keys(&self, id: &str) -> &[VerifyingKey] {
        self.configured
            .get(id)
            .map_or(&[], |registered| registered.keys.as_slice())
    }

    /// The client a token or revocation request authenticates as (RFC 6749 §2.3).
    ///
    /// `Ok(None)`: the request names no client at all (only a JWT bearer grant may do
    /// without one). A request that uses two methods at once is `invalid_request`; an
    /// unknown client, a wrong secret, or a confidential client without its secret is
    /// `invalid_client`. Client assertions (`private_key_jwt`) are checked by
    /// [`authenticate_with_assertion`](super::jwt_bearer::authenticate_with_assertion)
    /// instead.
    pub(crate) fn authenticate(
        &self,
        headers: &HeaderMap,
        form: &Form,
    ) -> Result<Option<Cow<'_, OAuthClient>>, OAuthError> {
        let basic = basic_credentials(headers)?;
        let body_secret = form.get("client_secret");
        if basic.is_some() && body_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not several",
            ));
        }
        let body_id = form.get("client_id");
        let (id, secret) = match basic {
            Some((id, secret)) => {
                if body_id.is_some_and(|body_id| body_id != id) {
                    return Err(OAuthError::invalid_client(
                        "client_id differs from the client of the Authorization header",
                    ));
                }
                (id, Some(secret))
            }
            None => match body_id {
                Some(id) => (id.to_owned(), body_secret.map(str::to_owned)),
                None if body_secret.is_some() => {
                    return Err(OAuthError::invalid_client(
                        "client_secret was sent without client_id",
                    ));
                }
                None => return Ok(None),
            },
        };
        let client = self
            .find(&id)
            .ok_or(OAuthError::invalid_client("unknown client"))?;
        match (&client.secret, secret) {
            (Some(expected), Some(given)) if same_secret(expected, &given) => Ok(Some(client)),
            (Some(_), Some(_)) => Err(OAuthError::invalid_client("wrong client secret")),
            (Some(_), None) => Err(OAuthError::invalid_client(
                "this client is confidential: authenticate with its secret",
            )),
            (None, _) if client.is_confidential() => Err(OAuthError::invalid_client(
                "this client authenticates with a client assertion (private_key_jwt)",
            )),
            (None, Some(_)) => Err(OAuthError::invalid_client(
                "this client is public: send client_id without a secret",
            )),
            (None, None) => Ok(Some(client)),
        }
    }
}

/// Whether the request carries `Authorization: Basic`, well-formed or not.
pub(crate) fn sends_basic(headers: &HeaderMap) -> bool {
    !matches!(basic_credentials(headers), Ok(None))
}

/// `(client_id, client_secret)` of an `Authorization: Basic` header, each form-urlencoded
/// before base64 (RFC 6749 §2.3.1). Another scheme is no client authentication; a Basic
/// header that does not decode is `invalid_client`.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let Some((scheme, encoded)) = value.to_str().ok().and_then(|v| v.split_once(' ')) else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let malformed = || OAuthError::invalid_client("the Basic credentials do not decode");
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |part: &str| {
        percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .map(std::borrow::Cow::into_owned)
            .map_err(|_| malformed())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}
