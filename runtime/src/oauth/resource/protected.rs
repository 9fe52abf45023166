// Input: the URL of a protected resource (an MCP server, an API), and optionally the
// challenge of a 401 the program already got from it.
// Output: everything a login for it needs, found step by step: the challenge, the resource's
// metadata (RFC 9728), its authorization server's metadata (RFC 8414), the scopes to ask for;
// then the login source for that resource and a `TokenCache` over it.

use reqwest::Url;
use reqwest::header::WWW_AUTHENTICATE;

use super::select_scopes;
use super::{Challenge, ClientIdentity, RegistrationStore, ResourceDiscovery, ResourceMetadata};
use crate::oauth::endpoint::exchange::{Http, transport_error};
use crate::oauth::endpoint::url::Endpoint;
use crate::oauth::grants::builder_methods::{dpop_method, http_methods};
use crate::oauth::{
    AuthorizationCodePkce, ClientAuth, ClientCredentials, DeviceAuthorization, DeviceCodeGrant,
    Issuer, ServerMetadata,
};
use crate::{AuthError, TokenCache, TokenStore};

/// A protected resource found from its URL: the one entry point from "a URL that answers 401"
/// to a [`TokenCache`] of tokens for it.
///
/// [`discover`](Self::discover) chains the steps of the MCP authorization specification:
///
/// 1. the resource's `WWW-Authenticate` challenge, from a request without a token (or the one
///    given to [`ProtectedResourceBuilder::challenge`]);
/// 2. its metadata (RFC 9728, [`ResourceDiscovery`]): from the challenge's
///    `resource_metadata`, else the well-known locations; it must name this resource;
/// 3. its authorization server's metadata (RFC 8414 / `OpenID` Connect discovery,
///    [`Issuer`]): the first of `authorization_servers`, or the one chosen with
///    [`ProtectedResourceBuilder::authorization_server`];
/// 4. the scopes to ask for ([`select_scopes`]).
///
/// Then a login source for the resource ([`authorization_code_pkce`](Self::authorization_code_pkce),
/// [`device_code_grant`](Self::device_code_grant),
/// [`client_credentials`](Self::client_credentials)), which sends the canonical resource as
/// `resource` (RFC 8707) on every request and asks for the chosen scopes, with a client from a
/// [`ClientIdentity`] (pre-registered, a client ID metadata document, or registered once and
/// kept in the store). [`pkce_cache`](Self::pkce_cache) does all of it in one call. A DPoP
/// key given to the discovery (`ProtectedResourceBuilder::dpop`, with the `dpop` feature)
/// goes to each of these sources, whose tokens are then bound to it.
///
/// Every step is public, so any of them can be replaced: the steps above are
/// [`ResourceDiscovery`], [`Issuer`], [`select_scopes`] and [`ClientIdentity::client_auth`].
///
/// ```no_run
/// use std::sync::Arc;
/// use freshtoken::FileStore;
/// use freshtoken::oauth::resource::{ClientIdentity, ClientRegistration, ProtectedResource};
///
/// # async fn run() -> Result<(), freshtoken::AuthError> {
/// let resource = ProtectedResource::discover("https://mcp.example/mcp".parse().unwrap()).await?;
/// let identity = ClientIdentity::new().registration(ClientRegistration::loopback("Notes CLI"));
/// let store = Arc::new(FileStore::new("notes-cli-login.json"));
/// let cache = resource
///     .pkce_cache(&identity, store, |url| println!("Open {url} to log in"))
///     .await?;
/// let token = cache.token().await?; // the login runs here, once; then refreshes
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ProtectedResource {
    url: Url,
    challenge: Option<Challenge>,
    metadata: ResourceMetadata,
    issuer: Issuer,
    server: ServerMetadata,
}

/// How [`ProtectedResource::discover`] looks: the HTTP client, a challenge already received,
/// the authorization server to use. Made by [`ProtectedResource::builder`].
#[derive(Debug, Clone)]
pub struct ProtectedResourceBuilder {
    url: Url,
    challenge: Option<Challenge>,
    authorization_server: Option<Url>,
    http: Http,
}

impl ProtectedResource {
    /// Finds what a login for the resource at `url` needs; see the type's documentation.
    ///
    /// # Errors
    /// As [`ProtectedResourceBuilder::discover`].
    pub async fn discover(url: Url) -> Result<Self, AuthError> {
        Self::builder(url).discover().await
    }

    /// A discovery of the resource at `url` to configure before it runs.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized; pass your own
    /// with [`ProtectedResourceBuilder::http_client`] to choose.
    #[must_use]
    pub fn builder(url: Url) -> ProtectedResourceBuilder {
        ProtectedResourceBuilder {
            url,
            challenge: None,
            authorization_server: None,
            http: Http::new(),
        }
    }

    /// The URL the discovery started from.
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The resource's identifier, as its metadata names it: what is sent as `resource`.
    #[must_use]
    pub fn resource(&self) -> &str {
        &self.metadata.resource
    }

    /// The challenge of the resource's answer to a request without a token, if it sent one.
    #[must_use]
    pub fn challenge(&self) -> Option<&Challenge> {
        self.challenge.as_ref()
    }

    /// The resource's metadata.
    #[must_use]
    pub fn metadata(&self) -> &ResourceMetadata {
        &self.metadata
    }

    /// The authorization server whose tokens the resource takes (its metadata is fetched).
    #[must_use]
    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The authorization server's metadata.
    #[must_use]
    pub fn server_metadata(&self) -> &ServerMetadata {
        &self.server
    }

    /// The scopes to ask for: the challenge's `scope`, else the resource's
    /// `scopes_supported`, else none; `offline_access` added when the authorization server
    /// lists it ([`select_scopes`]).
    #[must_use]
    pub fn scopes(&self) -> Vec<String> {
        select_scopes(
            self.challenge.as_ref().and_then(|c| c.param("scope")),
            self.metadata.scopes_supported.as_deref(),
            Some(self.server.scopes_supported()),
        )
    }

    /// The client to log in as, from `identity`: registered once per authorization server
    /// and kept in `store` when registration is the way ([`ClientIdentity::client_auth`]).
    ///
    /// # Errors
    /// As [`ClientIdentity::client_auth`].
    pub async fn client(
        &self,
        identity: &ClientIdentity,
        store: &impl RegistrationStore,
    ) -> Result<ClientAuth, AuthError> {
        identity.client_auth(store, &self.server).await
    }

    /// The browser login (authorization code with PKCE) for this resource: the chosen scopes,
    /// `resource` on the authorization request, the token request and every refresh, the
    /// server's `iss` checked on the redirect when it says it sends one.
    ///
    /// # Errors
    /// As [`Issuer::authorization_code_pkce`]. A resource identifier that cannot be sent as
    /// `resource` (not an absolute URL, or one with a fragment) fails the first fetch.
    pub async fn authorization_code_pkce(
        &self,
        client: ClientAuth,
        show: impl Fn(&Url) + Send + Sync + 'static,
    ) -> Result<AuthorizationCodePkce, AuthError> {
        let source = self.issuer.authorization_code_pkce(client, show).await?;
        Ok(self.scoped(source.resource(self.resource())))
    }

    /// The device login (RFC 8628) for this resource, as
    /// [`authorization_code_pkce`](Self::authorization_code_pkce) is the browser one.
    ///
    /// # Errors
    /// As [`Issuer::device_code_grant`].
    pub async fn device_code_grant(
        &self,
        client: ClientAuth,
        show: impl Fn(&DeviceAuthorization) + Send + Sync + 'static,
    ) -> Result<DeviceCodeGrant, AuthError> {
        let source = self.issuer.device_code_grant(client, show).await?;
        Ok(self.scoped(source.resource(self.resource())))
    }

    /// Client credentials (a service, no user) for this resource.
    ///
    /// # Errors
    /// As [`Issuer::client_credentials`].
    pub async fn client_credentials(
        &self,
        client: ClientAuth,
    ) -> Result<ClientCredentials, AuthError> {
        let source = self.issuer.client_credentials(client).await?;
        Ok(self.scoped(source.resource(self.resource())))
    }

    /// The whole chain for a program with a user at hand: the client from `identity`
    /// (registered once, kept in `store`), the browser login for this resource, and a
    /// [`TokenCache`] that keeps its tokens in `store`. The login itself runs at the first
    /// [`token`](TokenCache::token).
    ///
    /// `store` keeps one resource's token: give each resource its own (a `FileStore` path, a
    /// `RedisStore` prefix). The cache is this resource's
    /// ([`TokenCacheBuilder::resource`](crate::TokenCacheBuilder::resource)): it never serves
    /// a token the store holds for another.
    ///
    /// # Errors
    /// As [`client`](Self::client) and
    /// [`authorization_code_pkce`](Self::authorization_code_pkce).
    pub async fn pkce_cache<St>(
        &self,
        identity: &ClientIdentity,
        store: St,
        show: impl Fn(&Url) + Send + Sync + 'static,
    ) -> Result<TokenCache<AuthorizationCodePkce>, AuthError>
    where
        St: TokenStore + RegistrationStore,
    {
        let client = self.client(identity, &store).await?;
        let source = self.authorization_code_pkce(client, show).await?;
        Ok(TokenCache::builder(source)
            .resource(self.resource())
            .store(store)
            .build())
    }

    fn scoped<S: Scoped>(&self, source: S) -> S {
        let scopes = self.scopes();
        if scopes.is_empty() {
            source
        } else {
            source.with_scopes(scopes)
        }
    }
}

/// The sources whose scopes the chain sets.
trait Scoped {
    fn with_scopes(self, scopes: Vec<String>) -> Self;
}

macro_rules! scoped {
    ($($source:ty),*) => {$(
        impl Scoped for $source {
            fn with_scopes(self, scopes: Vec<String>) -> Self {
                self.scopes(scopes)
            }
        }
    )*};
}

scoped!(AuthorizationCodePkce, DeviceCodeGrant, ClientCredentials);

impl ProtectedResourceBuilder {
    /// Uses `challenge`, from a 401 the program already got from the resource, instead of
    /// asking the resource without a token.
    #[must_use]
    pub fn challenge(mut self, challenge: Challenge) -> Self {
        self.challenge = Some(challenge);
        self
    }

    /// Uses this authorization server (its issuer identifier), which must be one the
    /// resource's metadata lists, rather than the first listed.
    #[must_use]
    pub fn authorization_server(mut self, issuer: Url) -> Self {
        self.authorization_server = Some(issuer);
        self
    }

    /// Runs the discovery.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when the resource's
    /// metadata is not found or names another resource, lists no authorization server (or
    /// not the one chosen), or the authorization server's metadata is not found (each message
    /// says what was tried); a retryable error when the resource or a server cannot be
    /// reached.
    pub async fn discover(self) -> Result<ProtectedResource, AuthError> {
        let challenge = match self.challenge {
            Some(challenge) => Some(challenge),
            None => probe(&self.http, &self.url).await?,
        };
        let mut discovery = ResourceDiscovery::new(self.url.clone())
            .http_client(self.http.client.clone())
            .timeout(self.http.timeout);
        if let Some(url) = challenge.as_ref().map(Challenge::resource_metadata) {
            // A challenge whose URL cannot be used is reported as such: the metadata at the
            // well-known locations may still be right, but the server is misconfigured.
            if let Some(url) = url.map_err(|error| AuthError::rejected(error.to_string()))? {
                discovery = discovery.resource_metadata(url);
            }
        }
        let metadata = discovery.fetch().await?;
        let issuer = authorization_server(&metadata, self.authorization_server.as_ref())?;
        let issuer = Issuer::new(issuer)
            .http_client(self.http.client.clone())
            .timeout(self.http.timeout);
        // The issuer hands the key on to every source it builds for this resource.
        #[cfg(feature = "dpop")]
        let issuer = match &self.http.dpop {
            Some(key) => issuer.dpop(key.clone()),
            None => issuer,
        };
        let server = issuer.metadata().await?.clone();
        Ok(ProtectedResource {
            url: self.url,
            challenge,
            metadata,
            issuer,
            server,
        })
    }
}

http_methods!(ProtectedResourceBuilder);
dpop_method!(
    ProtectedResourceBuilder,
    "Proves possession of `key` (DPoP, RFC 9449) on every token request of the sources the \
     discovered resource builds."
);

/// The `Bearer` challenge of the resource's answer to a request without a token, if any.
async fn probe(http: &Http, url: &Url) -> Result<Option<Challenge>, AuthError> {
    let endpoint = Endpoint::new(url.clone());
    let response = http
        .client
        .get(url.clone())
        .timeout(http.timeout)
        .send()
        .await
        .map_err(|error| transport_error(&endpoint, error, http.timeout))?;
    if response.headers().get(WWW_AUTHENTICATE).is_none() {
        tracing::debug!(
            target: "freshtoken",
            resource = endpoint.name(),
            status = %response.status(),
            "the resource sent no challenge; looking for its metadata at the well-known locations"
        );
    }
    Ok(Challenge::bearer(response.headers()))
}

/// The issuer to use: `chosen` if the metadata lists it, else the first listed.
fn authorization_server(
    metadata: &ResourceMetadata,
    chosen: Option<&Url>,
) -> Result<Url, AuthError> {
    let listed = metadata
        .authorization_servers
        .as_deref()
        .unwrap_or_default();
    let issuer = match chosen {
        // A resource that lists none leaves the choice to the client.
        Some(chosen) if listed.is_empty() => return Ok(chosen.clone()),
        Some(chosen) => listed
            .iter()
            .find(|issuer| Url::parse(issuer).is_ok_and(|issuer| &issuer == chosen))
            .ok_or_else(|| {
                AuthError::rejected(format!(
                    "the resource {} does not list the authorization server {chosen} (it lists \
                     {listed:?}); choose one of those",
                    metadata.resource
                ))
            })?,
        None => listed.first().ok_or_else(|| {
            AuthError::rejected(format!(
                "the metadata of the resource {} lists no `authorization_servers`, so there is \
                 no server to log in at; give one with \
                 `ProtectedResourceBuilder::authorization_server`",
                metadata.resource
            ))
        })?,
    };
    Url::parse(issuer).map_err(|error| {
        AuthError::rejected(format!(
            "the resource {} lists the authorization server {issuer:?}, which is not a URL: \
             {error}",
            metadata.resource
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(servers: &[&str]) -> ResourceMetadata {
        let body = serde_json::json!({
            "resource": "https://api.example/mcp",
            "authorization_servers": servers,
        });
        ResourceMetadata::from_json(body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn the_first_listed_authorization_server_is_used_unless_one_is_chosen() {
        let metadata = listing(&["https://a.example", "https://b.example"]);
        let first = authorization_server(&metadata, None).unwrap();
        assert_eq!(first.as_str(), "https://a.example/");
        let chosen: Url = "https://b.example".parse().unwrap();
        assert_eq!(
            authorization_server(&metadata, Some(&chosen)).unwrap(),
            chosen
        );
    }

    #[test]
    fn a_chosen_server_the_resource_does_not_list_is_refused_naming_both() {
        let metadata = listing(&["https://a.example"]);
        let chosen: Url = "https://evil.example".parse().unwrap();
        let error = authorization_server(&metadata, Some(&chosen)).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("evil.example") && message.contains("a.example"),
            "{message}"
        );
    }

    #[test]
    fn a_resource_that_lists_no_server_needs_one_chosen() {
        let metadata = listing(&[]);
        let error = authorization_server(&metadata, None).unwrap_err();
        assert!(
            error.to_string().contains("authorization_server"),
            "{error}"
        );
        let chosen: Url = "https://auth.example".parse().unwrap();
        assert_eq!(
            authorization_server(&metadata, Some(&chosen)).unwrap(),
            chosen
        );
    }

    #[test]
    fn a_listed_server_that_is_not_a_url_is_refused() {
        let error = authorization_server(&listing(&["not a url"]), None).unwrap_err();
        assert!(error.to_string().contains("not a URL"), "{error}");
    }
}
