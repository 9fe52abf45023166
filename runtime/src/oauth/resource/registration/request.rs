// Input: the metadata of a client to register (RFC 7591 section 2), and the authorization
// server's registration endpoint.
// Output: the registered client, or a classified error that names the endpoint and the
// server's RFC 7591 error code; with a store, the client registered once per server.

use http::HeaderValue;
use http::header::AUTHORIZATION;
use reqwest::Url;
use serde_json::{Map, Value};

use super::{RegisteredClient, RegistrationStore};
use crate::oauth::ServerMetadata;
use crate::oauth::endpoint::error_response::{ErrorBody, error_from_answer, oauth_remedy};
use crate::oauth::endpoint::exchange::{Http, post};
use crate::oauth::endpoint::redaction::Redactions;
use crate::oauth::endpoint::request_body::RequestBody;
use crate::oauth::endpoint::url::Endpoint;
use crate::oauth::grants::builder_methods::http_methods;
use crate::{AuthError, ClientSecret};

/// The redirect URI of [`ClientRegistration::loopback`]: what
/// [`AuthorizationCodePkce`](crate::oauth::AuthorizationCodePkce) listens on by default. A
/// server matches a loopback redirect URI on any port (RFC 8252 section 7.3).
const LOOPBACK_REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// The kind of client (the `application_type` of OIDC dynamic client registration,
/// which RFC 7591 servers commonly take).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApplicationType {
    /// A program on the user's device (a CLI, a desktop or mobile app): loopback or
    /// private-use redirect URIs.
    Native,
    /// A web application: `https` redirect URIs.
    Web,
}

impl ApplicationType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::Web => "web",
        }
    }
}

/// Registers a client with an authorization server (dynamic client registration, RFC 7591):
/// the client metadata to send, and the registration itself.
///
/// [`register_once`](Self::register_once) is what a CLI calls at start: it reuses the client
/// kept in a [`RegistrationStore`] for that server, and registers (and keeps) a new one
/// only when there is none or its secret has expired.
///
/// ```no_run
/// use freshtoken::FileStore;
/// use freshtoken::oauth::{AuthorizationCodePkce, Issuer};
/// use freshtoken::oauth::resource::ClientRegistration;
///
/// # async fn run() -> Result<(), freshtoken::AuthError> {
/// let issuer = Issuer::new("https://auth.example".parse().unwrap());
/// let metadata = issuer.metadata().await?;
/// let store = FileStore::new("/home/me/.config/tasks-cli/token.json");
/// let client = ClientRegistration::loopback("Tasks CLI")
///     .scopes(["tasks:read"])
///     .register_once(&store, metadata)
///     .await?;
/// let login = issuer
///     .authorization_code_pkce(client.client_auth()?, |url| println!("open {url}"))
///     .await?;
/// # let _ = login;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ClientRegistration {
    metadata: Map<String, Value>,
    initial_access_token: Option<ClientSecret>,
    http: Http,
}

impl ClientRegistration {
    /// A client named `client_name`, with no other metadata yet: the server's defaults
    /// apply (RFC 7591: the `authorization_code` grant, `client_secret_basic`).
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized; pass your own
    /// with [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(client_name: impl Into<String>) -> Self {
        let mut metadata = Map::new();
        metadata.insert("client_name".to_owned(), client_name.into().into());
        Self {
            metadata,
            initial_access_token: None,
            http: Http::new(),
        }
    }

    /// A public native client that logs in with
    /// [`AuthorizationCodePkce`](crate::oauth::AuthorizationCodePkce)'s defaults: redirect
    /// URI `http://127.0.0.1/callback` (any port), the `authorization_code` and
    /// `refresh_token` grants, response type `code`, `application_type` `native` and
    /// `token_endpoint_auth_method` `none`.
    #[must_use]
    pub fn loopback(client_name: impl Into<String>) -> Self {
        Self::new(client_name)
            .redirect_uri(LOOPBACK_REDIRECT_URI)
            .grant_types(["authorization_code", "refresh_token"])
            .metadata("response_types", Value::from(vec!["code"]))
            .application_type(ApplicationType::Native)
            .token_endpoint_auth_method("none")
    }

    /// Adds a redirect URI (`redirect_uris`).
    #[must_use]
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        let uris = self
            .metadata
            .entry("redirect_uris")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(uris) = uris {
            uris.push(uri.into().into());
        }
        self
    }

    /// The `application_type`.
    #[must_use]
    pub fn application_type(self, application_type: ApplicationType) -> Self {
        self.metadata("application_type", application_type.as_str().into())
    }

    /// The grants the client uses (`grant_types`): `authorization_code`, `refresh_token`,
    /// `client_credentials`, `password`, `urn:ietf:params:oauth:grant-type:device_code`...
    #[must_use]
    pub fn grant_types(self, grant_types: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let grant_types: Vec<String> = grant_types.into_iter().map(Into::into).collect();
        self.metadata("grant_types", grant_types.into())
    }

    /// The scopes the client may ask for (`scope`, space-separated).
    #[must_use]
    pub fn scopes(self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.metadata("scope", scopes.join(" ").into())
    }

    /// How the client authenticates at the token endpoint (`token_endpoint_auth_method`):
    /// `none` (a public client), `client_secret_basic` or `client_secret_post` (the server
    /// issues a secret); [`RegisteredClient::client_auth`] builds the `ClientAuth` for each.
    #[must_use]
    pub fn token_endpoint_auth_method(self, method: impl Into<String>) -> Self {
        self.metadata("token_endpoint_auth_method", method.into().into())
    }

    /// Any other client metadata member (`client_uri`, `logo_uri`, `contacts`,
    /// `software_id`, `jwks_uri`...), replacing the value set before, if any.
    #[must_use]
    pub fn metadata(mut self, name: impl Into<String>, value: Value) -> Self {
        self.metadata.insert(name.into(), value);
        self
    }

    /// The initial access token a server may require to register (RFC 7591 section 3),
    /// sent as `Authorization: Bearer`.
    #[must_use]
    pub fn initial_access_token(mut self, token: impl Into<ClientSecret>) -> Self {
        self.initial_access_token = Some(token.into());
        self
    }

    /// The client metadata that [`register`](Self::register) sends.
    #[must_use]
    pub fn client_metadata(&self) -> &Map<String, Value> {
        &self.metadata
    }

    /// Registers at the registration endpoint of `server`.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when the server's
    /// metadata lists no `registration_endpoint`; otherwise those of
    /// [`register_at`](Self::register_at).
    pub async fn register(&self, server: &ServerMetadata) -> Result<RegisteredClient, AuthError> {
        let endpoint = server.registration_endpoint().ok_or_else(|| {
            AuthError::rejected(format!(
                "the authorization server {} has no registration endpoint (its metadata lists \
                 no `registration_endpoint`): register the client by hand and use its client \
                 id, or use a client ID metadata document if the server supports them",
                server.issuer()
            ))
        })?;
        self.register_at(endpoint.clone()).await
    }

    /// Registers at the registration endpoint `endpoint`: POSTs the client metadata as JSON
    /// and reads the answer (RFC 7591 section 3).
    ///
    /// # Errors
    /// - [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when the endpoint
    ///   refuses the metadata (`invalid_redirect_uri`, `invalid_client_metadata`... with the
    ///   server's description, which the message and
    ///   [`EndpointError::error_code`](crate::oauth::EndpointError::error_code) carry) or
    ///   the initial access token (401, 403), or answers 2xx without a client (the message
    ///   describes the body, never quotes it);
    /// - [`AuthErrorKind::RefreshFailed`](crate::AuthErrorKind::RefreshFailed) (retryable)
    ///   on 5xx, 408, 429 or no answer; [`AuthErrorKind::Timeout`](crate::AuthErrorKind::Timeout)
    ///   past the timeout.
    pub async fn register_at(&self, endpoint: Url) -> Result<RegisteredClient, AuthError> {
        let endpoint = Endpoint::new(endpoint);
        let body = RequestBody::json_value(&Value::Object(self.metadata.clone()));
        let authorization = match &self.initial_access_token {
            Some(token) => {
                let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose_secret()))
                    .map_err(|_| {
                        AuthError::rejected(
                            "the initial access token holds characters a header cannot \
                                 carry; check where it was read from",
                        )
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let answer = post(
            &self.http,
            &endpoint,
            body,
            authorization.map(|value| (AUTHORIZATION, value)),
            None,
        )
        .await?;
        let mut secrets = Redactions::new(&[]);
        if let Some(token) = &self.initial_access_token {
            secrets.add(token.expose_secret());
        }
        if !answer.status.is_success() {
            let error_body = ErrorBody::read(&answer.body, &secrets);
            let remedy = oauth_remedy(answer.status, error_body.code.as_deref());
            let hint = "the registration endpoint refused the client metadata or the initial \
                        access token";
            return Err(error_from_answer(
                &endpoint,
                &answer,
                error_body,
                remedy,
                Some(hint),
            ));
        }
        let client = RegisteredClient::read(&answer.body).map_err(|reason| {
            AuthError::rejected(format!(
                "the registration endpoint {} answered {} but {reason} ({}), so no client was \
                 registered that this program can use",
                endpoint.name(),
                answer.status,
                answer.describe_body()
            ))
        })?;
        tracing::info!(
            target: "freshtoken",
            endpoint = endpoint.name(),
            client_id = client.client_id(),
            "client registered"
        );
        Ok(client)
    }

    /// The client registered at `server` kept in `store`, or else a new registration, kept
    /// there before it is returned. A kept client whose secret has expired is registered
    /// again. After the token endpoint answers `invalid_client` for a kept client, call
    /// [`RegistrationStore::forget_registration`] with `server.issuer()` and this again.
    ///
    /// # Errors
    /// [`AuthErrorKind::Store`](crate::AuthErrorKind::Store) when the store cannot be read
    /// or written (a client registered meanwhile is not kept: the next start registers
    /// again); otherwise those of [`register`](Self::register).
    pub async fn register_once(
        &self,
        store: &impl RegistrationStore,
        server: &ServerMetadata,
    ) -> Result<RegisteredClient, AuthError> {
        let issuer = server.issuer();
        if let Some(kept) = store.load_registration(issuer).await? {
            if !kept.is_expired() {
                return Ok(kept);
            }
            tracing::info!(
                target: "freshtoken",
                issuer,
                client_id = kept.client_id(),
                "registered client secret expired: registering again"
            );
        }
        let client = self.register(server).await?;
        store.save_registration(issuer, &client).await?;
        Ok(client)
    }
}

http_methods!(ClientRegistration);
