// Input: an authorization server's issuer URL, and optionally where its metadata is.
// Output: its endpoints, read once from its metadata (RFC 8414, or OpenID Connect Discovery,
// at every well-known location servers use), checked against the issuer, and the sources
// built on them.

use std::sync::Arc;

use reqwest::Url;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::endpoint::exchange::{Found, Http, first_json_object};
use super::endpoint::url::Endpoint;
use super::grants::builder_methods::{dpop_method, http_methods};
use super::grants::token_exchange::TOKEN_EXCHANGE_GRANT;
use super::mcp_2025_03_26;
use super::{
    AuthorizationCodePkce, ClientAuth, ClientCredentials, DeviceAuthorization, DeviceCodeGrant,
    PasswordGrant, RefreshTokenGrant, Revocation, TokenExchangeGrant, TokenSupplier,
};
use crate::{AuthError, ClientSecret};

/// `$source` with the issuer's HTTP client and, when the issuer was given a DPoP key, that
/// key: a source built here proves possession of it on its token requests, as one built by
/// hand with `.dpop(key)` does.
macro_rules! with_issuer_http {
    ($http:expr, $source:expr) => {{
        let source = $source.http_client($http.client.clone());
        #[cfg(feature = "dpop")]
        let source = match &$http.dpop {
            Some(key) => source.dpop(key.clone()),
            None => source,
        };
        source
    }};
}

/// An authorization server known by its issuer URL: its endpoints come from its metadata,
/// fetched on first use and kept (a failed fetch is tried again on the next use).
///
/// The metadata is looked for where servers put it, in this order, for an issuer
/// `https://host/tenant`:
///
/// 1. `https://host/.well-known/oauth-authorization-server/tenant` (RFC 8414, the path
///    inserted after the well-known part);
/// 2. `https://host/tenant/.well-known/oauth-authorization-server` (the same appended, as
///    django-oauth-toolkit and others serve it);
/// 3. `https://host/tenant/.well-known/openid-configuration` (`OpenID` Connect Discovery);
/// 4. `https://host/.well-known/openid-configuration/tenant` (the same, path inserted).
///
/// An issuer without a path has two: `/.well-known/oauth-authorization-server` and
/// `/.well-known/openid-configuration`. A location that answers an error status, or a 2xx
/// that is not JSON (a web app's catch-all page), is passed over for the next; one that
/// cannot be reached ends the search (retryable). Elsewhere, say so with
/// [`metadata_url`](Self::metadata_url).
///
/// The metadata's `issuer` must be the issuer URL given here (a trailing slash aside): a
/// document naming another issuer is refused, as RFC 8414 section 3.3 requires, so a
/// misdirected URL cannot hand your credentials to another server.
///
/// The sources it builds send their requests with its HTTP client (`http_client`) and,
/// when it was given a DPoP key (`dpop`, with the `dpop` feature), prove possession of that
/// key on their token requests, as if each had been given it.
///
/// MCP servers that follow the older MCP authorization rules of 2025-03-26 publish no
/// resource metadata and may have no metadata at all: for them, opt in with
/// [`mcp_2025_03_26_fallback`](Self::mcp_2025_03_26_fallback).
///
/// ```no_run
/// use freshtoken::TokenCache;
/// use freshtoken::oauth::{ClientAuth, Issuer};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let issuer = Issuer::new("https://auth.example.com".parse()?);
/// let source = issuer
///     .password_grant(ClientAuth::public("tasks-cli"), "alice", std::env::var("PASSWORD")?)
///     .await?;
/// let cache = TokenCache::new(source);
/// # let _ = cache;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Issuer {
    issuer: Url,
    metadata_url: Option<Url>,
    metadata: Arc<OnceCell<ServerMetadata>>,
    http: Http,
    mcp_2025_03_26: bool,
}

impl Issuer {
    /// The authorization server whose issuer identifier is `issuer`. Nothing is fetched yet.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized; pass your own
    /// with [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(issuer: Url) -> Self {
        Self {
            issuer,
            metadata_url: None,
            metadata: Arc::new(OnceCell::new()),
            http: Http::new(),
            mcp_2025_03_26: false,
        }
    }

    /// Follows the older discovery rules of the MCP specification of 2025-03-26, for an
    /// `Issuer` made from an MCP server's URL: the metadata is read at
    /// `/.well-known/oauth-authorization-server` at the *origin* of that URL (its path
    /// dropped), the `issuer` it names is taken as it is (not compared with the URL), and
    /// when the origin answers 404 the server is taken to have the default endpoints
    /// `/authorize`, `/token` and `/register` at that origin (with PKCE `S256`, which those
    /// rules require). Another error status, or a document that is not metadata, is still
    /// refused. A URL given with [`metadata_url`](Self::metadata_url) is read instead of the
    /// origin's, under the same rules.
    ///
    /// Off by default: these rules trust whatever the MCP server's origin says about the
    /// authorization server. Current MCP servers publish protected resource metadata (see
    /// [`resource`](crate::oauth::resource)) naming their issuer, which discovery checks.
    ///
    /// ```
    /// use freshtoken::oauth::Issuer;
    ///
    /// let issuer = Issuer::new("https://mcp.example.com/mcp".parse()?).mcp_2025_03_26_fallback();
    /// # let _ = issuer;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn mcp_2025_03_26_fallback(mut self) -> Self {
        self.mcp_2025_03_26 = true;
        self.metadata = Arc::new(OnceCell::new());
        self
    }

    /// Reads the metadata at `url` alone, instead of the well-known locations: for a server
    /// that publishes it elsewhere. Its `issuer` must still be this issuer.
    #[must_use]
    pub fn metadata_url(mut self, url: Url) -> Self {
        self.metadata_url = Some(url);
        self.metadata = Arc::new(OnceCell::new());
        self
    }

    /// The server's metadata, fetched on the first call.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when no metadata is found
    /// (the message lists every location tried and what each answered), it names another
    /// issuer, or it lacks a `token_endpoint`; the errors of a token request when the server
    /// cannot be reached (retryable).
    pub async fn metadata(&self) -> Result<&ServerMetadata, AuthError> {
        self.metadata
            .get_or_try_init(|| async { self.fetch().await })
            .await
    }

    /// A [`RefreshTokenGrant`] at the server's token endpoint.
    ///
    /// # Errors
    /// As [`metadata`](Self::metadata).
    pub async fn refresh_token_grant(
        &self,
        client: ClientAuth,
    ) -> Result<RefreshTokenGrant, AuthError> {
        let client = client.for_issuer(self.metadata().await?.issuer());
        let token_url = self.metadata().await?.token_endpoint().clone();
        Ok(with_issuer_http!(
            self.http,
            RefreshTokenGrant::new(token_url, client)
        ))
    }

    /// A [`PasswordGrant`] at the server's token endpoint.
    ///
    /// # Errors
    /// As [`metadata`](Self::metadata).
    pub async fn password_grant(
        &self,
        client: ClientAuth,
        username: impl Into<String>,
        password: impl Into<ClientSecret>,
    ) -> Result<PasswordGrant, AuthError> {
        let client = client.for_issuer(self.metadata().await?.issuer());
        let token_url = self.metadata().await?.token_endpoint().clone();
        Ok(with_issuer_http!(
            self.http,
            PasswordGrant::new(token_url, client, username, password)
        ))
    }

    /// A [`ClientCredentials`] source at the server's token endpoint.
    ///
    /// # Errors
    /// As [`metadata`](Self::metadata).
    pub async fn client_credentials(
        &self,
        client: ClientAuth,
    ) -> Result<ClientCredentials, AuthError> {
        let client = client.for_issuer(self.metadata().await?.issuer());
        let token_url = self.metadata().await?.token_endpoint().clone();
        Ok(with_issuer_http!(
            self.http,
            ClientCredentials::new(token_url, client)
        ))
    }

    /// A [`DeviceCodeGrant`] at the server's device authorization and token endpoints, handing
    /// what the user must see to `show` (see [`DeviceCodeGrant::new`]).
    ///
    /// # Errors
    /// As [`metadata`](Self::metadata), and
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when the metadata names no
    /// `device_authorization_endpoint`.
    #[doc(alias = "device_code")]
    pub async fn device_code_grant(
        &self,
        client: ClientAuth,
        show: impl Fn(&DeviceAuthorization) + Send + Sync + 'static,
    ) -> Result<DeviceCodeGrant, AuthError> {
        let client = client.for_issuer(self.metadata().await?.issuer());
        let metadata = self.metadata().await?;
        let device_url = required(
            metadata,
            metadata.device_authorization_endpoint(),
            "device_authorization_endpoint",
            "DeviceCodeGrant::new",
        )?;
        Ok(with_issuer_http!(
            self.http,
            DeviceCodeGrant::new(
                device_url.clone(),
                metadata.token_endpoint().clone(),
                client,
                show,
            )
        ))
    }

    /// An [`AuthorizationCodePkce`] source at the server's authorization and token endpoints,
    /// handing the URL to open in the browser to `show` (see [`AuthorizationCodePkce::new`]).
    ///
    /// # Errors
    /// As [`metadata`](Self::metadata), and
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when the metadata names no
    /// `authorization_endpoint`.
    #[doc(alias = "pkce")]
    pub async fn authorization_code_pkce(
        &self,
        client: ClientAuth,
        show: impl Fn(&Url) + Send + Sync + 'static,
    ) -> Result<AuthorizationCodePkce, AuthError> {
        let client = client.for_issuer(self.metadata().await?.issuer());
        let metadata = self.metadata().await?;
        let authorization_url = required(
            metadata,
            metadata.authorization_endpoint(),
            "authorization_endpoint",
            "AuthorizationCodePkce::new",
        )?;
        if !metadata.supports_pkce_s256() {
            // A server that does not list S256 may ignore the code challenge, and a code
            // intercepted on its way to the loopback listener could then be redeemed.
            return Err(AuthError::rejected(format!(
                "the metadata of issuer {} does not list `S256` in \
                 `code_challenge_methods_supported`, so PKCE may not protect the login; ask \
                 the server's operator to enable it, or build `AuthorizationCodePkce::new` \
                 by hand if you know it checks S256",
                metadata.issuer()
            )));
        }
        let source = with_issuer_http!(
            self.http,
            AuthorizationCodePkce::new(
                authorization_url.clone(),
                metadata.token_endpoint().clone(),
                client,
                show,
            )
        );
        Ok(if metadata.issuer_known {
            source.issuer_from_metadata(
                metadata.issuer(),
                metadata.authorization_response_iss_parameter_supported(),
            )
        } else {
            source
        })
    }

    /// A [`Revocation`] at the server's revocation endpoint.
    ///
    /// # Errors
    /// As [`metadata`](Self::metadata), and
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when the metadata names no
    /// `revocation_endpoint`.
    pub async fn revocation(&self, client: ClientAuth) -> Result<Revocation, AuthError> {
        let client = client.for_issuer(self.metadata().await?.issuer());
        let metadata = self.metadata().await?;
        let url = required(
            metadata,
            metadata.revocation_endpoint(),
            "revocation_endpoint",
            "Revocation::new",
        )?;
        Ok(Revocation::new(url.clone(), client).http_client(self.http.client.clone()))
    }

    /// A [`TokenExchangeGrant`] (RFC 8693) at the server's token endpoint, exchanging the
    /// token `subject` supplies.
    ///
    /// # Errors
    /// As [`metadata`](Self::metadata), and
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when the metadata's
    /// `grant_types_supported` does not list the token exchange grant.
    pub async fn token_exchange(
        &self,
        client: ClientAuth,
        subject: TokenSupplier,
    ) -> Result<TokenExchangeGrant, AuthError> {
        let metadata = self.metadata().await?;
        if !metadata
            .grant_types_supported()
            .contains(&TOKEN_EXCHANGE_GRANT)
        {
            return Err(AuthError::rejected(format!(
                "the metadata of issuer {} does not list `{TOKEN_EXCHANGE_GRANT}` in \
                 `grant_types_supported`; ask the server's operator whether it supports token \
                 exchange, or build `TokenExchangeGrant::new` by hand if it does",
                metadata.issuer()
            )));
        }
        let client = client.for_issuer(metadata.issuer());
        Ok(with_issuer_http!(
            self.http,
            TokenExchangeGrant::new(metadata.token_endpoint().clone(), client, subject)
        ))
    }

    async fn fetch(&self) -> Result<ServerMetadata, AuthError> {
        if self.mcp_2025_03_26 {
            return mcp_2025_03_26::fetch(&self.http, &self.issuer, self.metadata_url.as_ref())
                .await;
        }
        let locations = match &self.metadata_url {
            Some(url) => vec![url.clone()],
            None => well_known_urls(&self.issuer),
        };
        let passed_over = match first_json_object(&self.http, locations).await? {
            Found::Document(endpoint, answer) => {
                return ServerMetadata::read(&endpoint, &answer.body, &self.issuer);
            }
            Found::Nowhere(passed_over) => passed_over,
        };
        let fix = if self.metadata_url.is_some() {
            "check the URL given to `Issuer::metadata_url`"
        } else {
            "check the issuer URL (it must be the `issuer` the server's metadata names), or \
             give the metadata's URL with `Issuer::metadata_url` if the server publishes it \
             elsewhere"
        };
        Err(AuthError::rejected(format!(
            "no authorization server metadata found for issuer {}: {}; {fix}",
            Endpoint::new(self.issuer.clone()).name(),
            passed_over.join(", ")
        )))
    }
}

http_methods!(Issuer);
dpop_method!(
    Issuer,
    "Proves possession of `key` (DPoP, RFC 9449) on every token request of the sources this \
     issuer builds."
);

/// The endpoint `field` of `metadata`, or an error naming it and `constructor`, which takes
/// the URL the server documents instead.
fn required<'m>(
    metadata: &ServerMetadata,
    endpoint: Option<&'m Url>,
    field: &str,
    constructor: &str,
) -> Result<&'m Url, AuthError> {
    endpoint.ok_or_else(|| {
        AuthError::rejected(format!(
            "the metadata of issuer {} names no `{field}`; give `{constructor}` the URL the \
             server documents",
            metadata.issuer()
        ))
    })
}

/// Where servers put the metadata of `issuer`, in the order they are tried: RFC 8414's
/// location (path inserted), the same appended, `OpenID` Connect Discovery's (appended), the
/// same inserted. Without a path, inserted and appended are one location.
fn well_known_urls(issuer: &Url) -> Vec<Url> {
    const RFC_8414: &str = "/.well-known/oauth-authorization-server";
    const OPENID: &str = "/.well-known/openid-configuration";
    let path = issuer.path().trim_end_matches('/');
    let paths = [
        format!("{RFC_8414}{path}"),
        format!("{path}{RFC_8414}"),
        format!("{path}{OPENID}"),
        format!("{OPENID}{path}"),
    ];
    let mut urls: Vec<Url> = Vec::with_capacity(paths.len());
    for path in paths {
        let mut url = issuer.clone();
        url.set_path(&path);
        url.set_query(None);
        url.set_fragment(None);
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    urls
}

/// What an authorization server says about itself, from its metadata (RFC 8414 section 2,
/// or the OIDC discovery document): the endpoints and every capability a client acts on; the
/// members it does not know are kept in [`additional_fields`](Self::additional_fields).
///
/// ```
/// use freshtoken::oauth::{ServerMetadata, Url};
///
/// let issuer: Url = "https://auth.example".parse()?;
/// let metadata = ServerMetadata::from_json(
///     br#"{"issuer": "https://auth.example", "token_endpoint": "https://auth.example/token",
///          "code_challenge_methods_supported": ["S256"], "x_vendor": 1}"#,
///     &issuer,
/// )?;
/// assert!(metadata.supports_pkce_s256());
/// assert!(metadata.additional_fields().contains_key("x_vendor"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServerMetadata {
    issuer: String,
    token_endpoint: Url,
    authorization_endpoint: Option<Url>,
    device_authorization_endpoint: Option<Url>,
    revocation_endpoint: Option<Url>,
    registration_endpoint: Option<Url>,
    scopes_supported: Vec<String>,
    grant_types_supported: Option<Vec<String>>,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    token_endpoint_auth_signing_alg_values_supported: Vec<String>,
    code_challenge_methods_supported: Vec<String>,
    authorization_response_iss_parameter_supported: bool,
    client_id_metadata_document_supported: bool,
    additional_fields: serde_json::Map<String, Value>,
    /// Whether `issuer` is what the server named (not a default of the MCP 2025-03-26
    /// rules): the PKCE redirect's `iss` is compared with it then.
    issuer_known: bool,
}

/// The members [`ServerMetadata`] reads; the others go to its `additional_fields`.
const KNOWN_MEMBERS: &[&str] = &[
    "issuer",
    "token_endpoint",
    "authorization_endpoint",
    "device_authorization_endpoint",
    "revocation_endpoint",
    "registration_endpoint",
    "scopes_supported",
    "grant_types_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "code_challenge_methods_supported",
    "authorization_response_iss_parameter_supported",
    "client_id_metadata_document_supported",
];

impl ServerMetadata {
    /// Reads metadata a program obtained itself (a file, a cache of its own), with the same
    /// checks as discovery: a JSON object, naming `issuer` (a trailing slash aside), with a
    /// `token_endpoint`, and every member it reads of the type RFC 8414 gives it.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) saying which member is
    /// missing or wrong, or which issuer the metadata names instead.
    pub fn from_json(body: &[u8], issuer: &Url) -> Result<Self, AuthError> {
        Self::read(&Endpoint::new(issuer.clone()), body, issuer)
    }

    fn read(endpoint: &Endpoint, body: &[u8], expected: &Url) -> Result<Self, AuthError> {
        Self::read_checking_issuer(endpoint, body, expected, true)
    }

    /// Reads metadata under the MCP 2025-03-26 rules: its `issuer` is taken as it is, and
    /// when it names none, the `origin` it was found at is the issuer.
    pub(super) fn read_at_origin(
        endpoint: &Endpoint,
        body: &[u8],
        origin: &Url,
    ) -> Result<Self, AuthError> {
        Self::read_checking_issuer(endpoint, body, origin, false)
    }

    /// The endpoints the MCP 2025-03-26 rules give a server without metadata: `/authorize`,
    /// `/token` and `/register` at `origin`, with PKCE `S256`.
    pub(super) fn mcp_2025_03_26_defaults(origin: &Url) -> Self {
        let at = |path: &str| {
            let mut url = origin.clone();
            url.set_path(path);
            url
        };
        Self {
            issuer: origin.as_str().trim_end_matches('/').to_owned(),
            token_endpoint: at("/token"),
            authorization_endpoint: Some(at("/authorize")),
            device_authorization_endpoint: None,
            revocation_endpoint: None,
            registration_endpoint: Some(at("/register")),
            scopes_supported: Vec::new(),
            grant_types_supported: None,
            token_endpoint_auth_methods_supported: None,
            token_endpoint_auth_signing_alg_values_supported: Vec::new(),
            code_challenge_methods_supported: vec!["S256".to_owned()],
            authorization_response_iss_parameter_supported: false,
            client_id_metadata_document_supported: false,
            additional_fields: serde_json::Map::new(),
            issuer_known: false,
        }
    }

    fn read_checking_issuer(
        endpoint: &Endpoint,
        body: &[u8],
        expected: &Url,
        check_issuer: bool,
    ) -> Result<Self, AuthError> {
        let refuse = |what: String| {
            AuthError::rejected(format!("the metadata at {}: {what}", endpoint.name()))
        };
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return Err(refuse("not a JSON object".to_owned()));
        };
        let issuer = match fields.get("issuer").and_then(Value::as_str) {
            Some(issuer) => issuer,
            None if !check_issuer => expected.as_str().trim_end_matches('/'),
            None => return Err(refuse("no `issuer`".to_owned())),
        };
        if check_issuer && issuer.trim_end_matches('/') != expected.as_str().trim_end_matches('/') {
            return Err(refuse(format!(
                "it names the issuer {issuer:?}, not {:?}; the issuer URL must be the one the \
                 server names (RFC 8414 section 3.3)",
                expected.as_str()
            )));
        }
        let url = |name: &str| -> Result<Option<Url>, AuthError> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(url)) => url
                    .parse()
                    .map(Some)
                    .map_err(|error| refuse(format!("`{name}` is not a URL ({error})"))),
                Some(_) => Err(refuse(format!("`{name}` is not a string"))),
            }
        };
        let strings = |name: &str| -> Result<Option<Vec<String>>, AuthError> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .map(Some)
                    .ok_or_else(|| refuse(format!("`{name}` holds something other than strings"))),
                Some(_) => Err(refuse(format!("`{name}` is not an array of strings"))),
            }
        };
        let flag = |name: &str| -> Result<bool, AuthError> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(false),
                Some(Value::Bool(flag)) => Ok(*flag),
                Some(_) => Err(refuse(format!("`{name}` is not a boolean"))),
            }
        };
        Ok(Self {
            issuer: issuer.to_owned(),
            token_endpoint: url("token_endpoint")?
                .ok_or_else(|| refuse("no `token_endpoint`".to_owned()))?,
            authorization_endpoint: url("authorization_endpoint")?,
            device_authorization_endpoint: url("device_authorization_endpoint")?,
            revocation_endpoint: url("revocation_endpoint")?,
            registration_endpoint: url("registration_endpoint")?,
            scopes_supported: strings("scopes_supported")?.unwrap_or_default(),
            grant_types_supported: strings("grant_types_supported")?,
            token_endpoint_auth_methods_supported: strings(
                "token_endpoint_auth_methods_supported",
            )?,
            token_endpoint_auth_signing_alg_values_supported: strings(
                "token_endpoint_auth_signing_alg_values_supported",
            )?
            .unwrap_or_default(),
            code_challenge_methods_supported: strings("code_challenge_methods_supported")?
                .unwrap_or_default(),
            authorization_response_iss_parameter_supported: flag(
                "authorization_response_iss_parameter_supported",
            )?,
            client_id_metadata_document_supported: flag("client_id_metadata_document_supported")?,
            additional_fields: fields
                .iter()
                .filter(|(name, _)| !KNOWN_MEMBERS.contains(&name.as_str()))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
            issuer_known: true,
        })
    }

    /// The dynamic client registration endpoint (RFC 7591), if the server has one.
    #[must_use]
    pub fn registration_endpoint(&self) -> Option<&Url> {
        self.registration_endpoint.as_ref()
    }

    /// The scopes the server lists (empty when it lists none).
    #[must_use]
    pub fn scopes_supported(&self) -> &[String] {
        &self.scopes_supported
    }

    /// The grant types the server lists; omitted, RFC 8414 means `authorization_code` and
    /// `implicit`, which this returns then.
    #[must_use]
    pub fn grant_types_supported(&self) -> Vec<&str> {
        self.grant_types_supported.as_ref().map_or_else(
            || vec!["authorization_code", "implicit"],
            |types| types.iter().map(String::as_str).collect(),
        )
    }

    /// The client authentication methods of the token endpoint; omitted, RFC 8414 means
    /// `client_secret_basic`, which this returns then.
    #[must_use]
    pub fn token_endpoint_auth_methods_supported(&self) -> Vec<&str> {
        self.token_endpoint_auth_methods_supported
            .as_ref()
            .map_or_else(
                || vec!["client_secret_basic"],
                |methods| methods.iter().map(String::as_str).collect(),
            )
    }

    /// The signing algorithms the token endpoint accepts for `private_key_jwt` and
    /// `client_secret_jwt` (empty when it lists none).
    #[must_use]
    pub fn token_endpoint_auth_signing_alg_values_supported(&self) -> &[String] {
        &self.token_endpoint_auth_signing_alg_values_supported
    }

    /// The PKCE methods the server lists (empty when it lists none: RFC 8414 then says it
    /// does not support PKCE).
    #[must_use]
    pub fn code_challenge_methods_supported(&self) -> &[String] {
        &self.code_challenge_methods_supported
    }

    /// Whether the server lists PKCE's `S256`, the only method freshtoken sends.
    #[must_use]
    pub fn supports_pkce_s256(&self) -> bool {
        self.code_challenge_methods_supported
            .iter()
            .any(|method| method == "S256")
    }

    /// Whether the server sends `iss` on the authorization redirect (RFC 9207).
    #[must_use]
    pub fn authorization_response_iss_parameter_supported(&self) -> bool {
        self.authorization_response_iss_parameter_supported
    }

    /// Whether the server takes a client ID metadata document's URL as a client id.
    #[must_use]
    pub fn client_id_metadata_document_supported(&self) -> bool {
        self.client_id_metadata_document_supported
    }

    /// The members this type does not read, as the server sent them.
    #[must_use]
    pub fn additional_fields(&self) -> &serde_json::Map<String, Value> {
        &self.additional_fields
    }

    /// The issuer identifier the server names (the one given, a trailing slash aside).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The token endpoint.
    #[must_use]
    pub fn token_endpoint(&self) -> &Url {
        &self.token_endpoint
    }

    /// The authorization endpoint (authorization code flows), if the server has one.
    #[must_use]
    pub fn authorization_endpoint(&self) -> Option<&Url> {
        self.authorization_endpoint.as_ref()
    }

    /// The device authorization endpoint (RFC 8628), if the server has one.
    #[must_use]
    pub fn device_authorization_endpoint(&self) -> Option<&Url> {
        self.device_authorization_endpoint.as_ref()
    }

    /// The revocation endpoint (RFC 7009), if the server has one.
    #[must_use]
    pub fn revocation_endpoint(&self) -> Option<&Url> {
        self.revocation_endpoint.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str, issuer: &str) -> Result<ServerMetadata, AuthError> {
        let endpoint = Endpoint::new("https://auth.example/.well-known/x".parse().unwrap());
        ServerMetadata::read(&endpoint, body.as_bytes(), &issuer.parse().unwrap())
    }

    #[test]
    fn well_known_urls_follow_rfc_8414_then_openid_inserted_and_appended() {
        let urls = well_known_urls(&"https://auth.example/tenant/1/?x=y".parse().unwrap());
        let urls: Vec<&str> = urls.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "https://auth.example/.well-known/oauth-authorization-server/tenant/1",
                "https://auth.example/tenant/1/.well-known/oauth-authorization-server",
                "https://auth.example/tenant/1/.well-known/openid-configuration",
                "https://auth.example/.well-known/openid-configuration/tenant/1",
            ]
        );
        let urls = well_known_urls(&"https://auth.example/".parse().unwrap());
        let urls: Vec<&str> = urls.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "https://auth.example/.well-known/oauth-authorization-server",
                "https://auth.example/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn every_member_a_client_acts_on_is_read_and_unknown_ones_are_kept() {
        let body = r#"{"issuer":"https://auth.example","token_endpoint":"https://auth.example/token",
            "registration_endpoint":"https://auth.example/register",
            "scopes_supported":["openid","offline_access"],
            "grant_types_supported":["authorization_code","refresh_token"],
            "token_endpoint_auth_methods_supported":["private_key_jwt","none"],
            "token_endpoint_auth_signing_alg_values_supported":["ES256"],
            "code_challenge_methods_supported":["plain","S256"],
            "authorization_response_iss_parameter_supported":true,
            "client_id_metadata_document_supported":true,
            "x_vendor":{"a":1}}"#;
        let metadata =
            ServerMetadata::from_json(body.as_bytes(), &"https://auth.example".parse().unwrap())
                .unwrap();
        assert_eq!(
            metadata.registration_endpoint().unwrap().as_str(),
            "https://auth.example/register"
        );
        assert_eq!(metadata.scopes_supported(), ["openid", "offline_access"]);
        assert_eq!(
            metadata.grant_types_supported(),
            ["authorization_code", "refresh_token"]
        );
        assert_eq!(
            metadata.token_endpoint_auth_methods_supported(),
            ["private_key_jwt", "none"]
        );
        assert_eq!(
            metadata.token_endpoint_auth_signing_alg_values_supported(),
            ["ES256"]
        );
        assert!(metadata.supports_pkce_s256());
        assert!(metadata.authorization_response_iss_parameter_supported());
        assert!(metadata.client_id_metadata_document_supported());
        assert_eq!(
            metadata.additional_fields().keys().collect::<Vec<_>>(),
            ["x_vendor"]
        );
    }

    #[test]
    fn omitted_members_take_their_rfc_8414_defaults_and_wrong_types_are_refused() {
        let issuer: Url = "https://auth.example".parse().unwrap();
        let minimal =
            br#"{"issuer":"https://auth.example","token_endpoint":"https://auth.example/t"}"#;
        let metadata = ServerMetadata::from_json(minimal, &issuer).unwrap();
        assert_eq!(
            metadata.grant_types_supported(),
            ["authorization_code", "implicit"]
        );
        assert_eq!(
            metadata.token_endpoint_auth_methods_supported(),
            ["client_secret_basic"]
        );
        assert!(
            !metadata.supports_pkce_s256(),
            "no PKCE listed, none assumed"
        );
        assert!(!metadata.authorization_response_iss_parameter_supported());
        for (member, value, expected) in [
            (
                "scopes_supported",
                r#""openid""#,
                "is not an array of strings",
            ),
            (
                "code_challenge_methods_supported",
                "[1]",
                "other than strings",
            ),
            (
                "authorization_response_iss_parameter_supported",
                r#""yes""#,
                "is not a boolean",
            ),
        ] {
            let body = format!(
                r#"{{"issuer":"https://auth.example","token_endpoint":"https://auth.example/t","{member}":{value}}}"#
            );
            let error = ServerMetadata::from_json(body.as_bytes(), &issuer).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains(member) && message.contains(expected),
                "{message}"
            );
        }
    }

    #[test]
    fn metadata_is_read_and_checked() {
        let body = r#"{"issuer":"https://auth.example","token_endpoint":"https://auth.example/token",
                      "revocation_endpoint":"https://auth.example/revoke"}"#;
        let metadata = read(body, "https://auth.example/").unwrap();
        assert_eq!(
            metadata.token_endpoint().as_str(),
            "https://auth.example/token"
        );
        assert!(metadata.device_authorization_endpoint().is_none());
        assert!(metadata.revocation_endpoint().is_some());

        for (body, expected) in [
            (body, "not \"https://other.example/\""),
            ("[]", "not a JSON object"),
            (r#"{"issuer":"https://third.example"}"#, "names the issuer"),
            (
                r#"{"issuer":"https://other.example/"}"#,
                "no `token_endpoint`",
            ),
            (
                r#"{"issuer":"https://other.example","token_endpoint":7}"#,
                "`token_endpoint` is not a string",
            ),
        ] {
            let error = read(body, "https://other.example/").unwrap_err();
            assert!(error.to_string().contains(expected), "{expected}: {error}");
        }
    }
}
