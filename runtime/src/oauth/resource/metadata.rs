// Input: the URL of a protected resource, and the `resource_metadata` URL of its challenge if
// it sent one.
// Output: its metadata (RFC 9728), read from the first location that has it and checked to
// describe that resource, or an error listing every location tried.

use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Host;

use crate::AuthError;
use crate::oauth::endpoint::exchange::{Found, Http, first_json_object};
use crate::oauth::endpoint::url::Endpoint;
use crate::oauth::grants::builder_methods::http_methods;

/// A protected resource's metadata (RFC 9728 section 2): which authorization servers issue
/// its tokens, the scopes it knows, how it takes them.
///
/// Every field of the RFC has its own member; the members a server adds of its own (or that
/// later specifications define) are kept in [`additional_fields`](Self::additional_fields).
/// URLs are kept as the server wrote them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceMetadata {
    /// The resource's identifier: the URL it is known by (required).
    pub resource: String,
    /// The issuer identifiers of the authorization servers whose tokens it takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_servers: Option<Vec<String>>,
    /// Where its public keys are (a JWK Set), for signed responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// The scopes it uses in authorization requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// How it takes a bearer token: `header`, `body`, `query` (RFC 6750).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_methods_supported: Option<Vec<String>>,
    /// The JWS algorithms it signs responses with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_signing_alg_values_supported: Option<Vec<String>>,
    /// A name to show to people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// A page for developers using it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_documentation: Option<String>,
    /// A page on how clients may use its data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy_uri: Option<String>,
    /// Its terms of service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_tos_uri: Option<String>,
    /// Whether it takes only tokens bound to a client certificate (RFC 8705); absent means
    /// `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_certificate_bound_access_tokens: Option<bool>,
    /// The `authorization_details` types it takes (RFC 9396).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details_types_supported: Option<Vec<String>>,
    /// The JWS algorithms it takes for `DPoP` proofs (RFC 9449).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    /// Whether it takes only `DPoP`-bound tokens (RFC 9449); absent means `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_bound_access_tokens_required: Option<bool>,
    /// Every other member of the document, as it was.
    #[serde(flatten)]
    pub additional_fields: Map<String, Value>,
}

impl ResourceMetadata {
    /// Reads a metadata document.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when `body` is not a JSON
    /// object, has no string `resource`, or a member of the wrong type (the message says
    /// which; it never quotes the document).
    ///
    /// ```
    /// use freshtoken::oauth::resource::ResourceMetadata;
    ///
    /// let body = br#"{"resource": "https://api.example.com/mcp",
    ///                 "authorization_servers": ["https://auth.example.com"]}"#;
    /// let metadata = ResourceMetadata::from_json(body)?;
    /// assert_eq!(metadata.resource, "https://api.example.com/mcp");
    /// # Ok::<(), freshtoken::AuthError>(())
    /// ```
    pub fn from_json(body: &[u8]) -> Result<Self, AuthError> {
        Self::read(body)
            .map_err(|what| AuthError::rejected(format!("protected resource metadata: {what}")))
    }

    /// The document in `body`, or what is wrong with it.
    fn read(body: &[u8]) -> Result<Self, String> {
        if !matches!(serde_json::from_slice(body), Ok(Value::Object(_))) {
            return Err("not a JSON object".to_owned());
        }
        // serde_json's message names the member and the type it wanted; metadata is public,
        // so the little of it a type mismatch quotes reveals nothing.
        serde_json::from_slice(body)
            .map_err(|error| format!("not valid (RFC 9728 section 2): {error}"))
    }
}

/// Finds the metadata of the protected resource at a URL, as a client does after the
/// resource answers 401.
///
/// The metadata is looked for in this order, for a resource `https://host/api/mcp`:
///
/// 1. the URL given with [`resource_metadata`](Self::resource_metadata): the
///    `resource_metadata` of the resource's `WWW-Authenticate` challenge;
/// 2. `https://host/.well-known/oauth-protected-resource/api/mcp` (RFC 9728 section 3.1, the
///    path inserted after the well-known part);
/// 3. `https://host/.well-known/oauth-protected-resource` (at the root, where a server with
///    one resource puts it).
///
/// A location that answers an error status, or a 2xx that is not a JSON object (a web app's
/// catch-all page), is passed over for the next; one that cannot be reached ends the search
/// (retryable), and when none has the metadata, the error lists every location tried and
/// what each answered. Each request has a timeout (default 30 s, set with
/// [`timeout`](Self::timeout)) and at most 1 MiB of an answer is read.
///
/// The metadata's `resource` must be the resource's URL (RFC 9728 section 3.3) or a parent of
/// it on the same origin (an API's identifier, `https://api.example`, covers its routes,
/// `https://api.example/tasks/7`, as the MCP TypeScript SDK accepts), compared as URLs:
/// scheme and host in any case, a default port written or not, a trailing slash aside, path
/// segments whole (`/api` does not cover `/apis`). A document naming another resource is
/// refused, and no further location is tried, so that
/// a misdirected or substituted document cannot send the client to another authorization
/// server.
///
/// A challenge's `resource_metadata` is followed only over `https`, except on a loopback host
/// (`localhost`, `127.0.0.1` and the rest of `127.0.0.0/8`, `::1`), where a local server or a
/// test may use `http`: a challenge arrives on the response of any request, and following
/// it over plain `http` would let anyone on the network choose the authorization server.
/// The well-known locations use the resource URL's own scheme, which is the caller's choice.
///
/// ```no_run
/// use freshtoken::oauth::resource::ResourceDiscovery;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let metadata = ResourceDiscovery::new("https://api.example.com/mcp".parse()?)
///     .fetch()
///     .await?;
/// println!("{:?}", metadata.authorization_servers);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ResourceDiscovery {
    resource: Url,
    from_challenge: Option<Url>,
    http: Http,
}

impl ResourceDiscovery {
    /// The protected resource at `resource`: the URL the client requests. Nothing is fetched
    /// yet.
    ///
    /// # Panics
    /// Like `reqwest::Client::new`, if the HTTP client cannot be initialized; pass your own
    /// with [`http_client`](Self::http_client) to choose.
    #[must_use]
    pub fn new(resource: Url) -> Self {
        Self {
            resource,
            from_challenge: None,
            http: Http::new(),
        }
    }

    /// Looks first at `url`, the `resource_metadata` of the resource's `WWW-Authenticate`
    /// challenge.
    #[must_use]
    pub fn resource_metadata(mut self, url: Url) -> Self {
        self.from_challenge = Some(url);
        self
    }

    /// Fetches the metadata.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when the challenge's URL
    /// is plain `http` on a host other than loopback, no location has the metadata (the
    /// message lists every location tried and what each answered), or the metadata found is
    /// not valid or names another resource; the errors of a token request when a location
    /// cannot be reached (retryable).
    pub async fn fetch(&self) -> Result<ResourceMetadata, AuthError> {
        let mut locations = Vec::new();
        if let Some(url) = &self.from_challenge {
            refuse_plain_http(url)?;
            locations.push(url.clone());
        }
        for url in well_known_urls(&self.resource) {
            if !locations.contains(&url) {
                locations.push(url);
            }
        }
        let passed_over = match first_json_object(&self.http, locations).await? {
            Found::Document(endpoint, answer) => return self.checked(&endpoint, &answer.body),
            Found::Nowhere(passed_over) => passed_over,
        };
        Err(AuthError::rejected(format!(
            "no protected resource metadata found for {}: {}; check the resource URL (the \
             metadata's `resource` must be it), or give the metadata's URL with \
             `ResourceDiscovery::resource_metadata` if the resource publishes it elsewhere",
            Endpoint::new(self.resource.clone()).name(),
            passed_over.join(", ")
        )))
    }

    /// The metadata in `body`, found at `endpoint`, if it describes this resource.
    fn checked(&self, endpoint: &Endpoint, body: &[u8]) -> Result<ResourceMetadata, AuthError> {
        let refuse = |what: String| {
            AuthError::rejected(format!(
                "the protected resource metadata at {}: {what}",
                endpoint.name()
            ))
        };
        let metadata = ResourceMetadata::read(body).map_err(refuse)?;
        if !covers_resource(&metadata.resource, &self.resource) {
            return Err(refuse(format!(
                "it describes the resource {:?}, which does not cover {}; the metadata must \
                 name the URL the client requests or a parent of it on the same origin (RFC \
                 9728 section 3.3), so it is not used",
                metadata.resource,
                Endpoint::new(self.resource.clone()).name()
            )));
        }
        Ok(metadata)
    }
}

/// Where RFC 9728 section 3.1 puts the metadata of `resource`: the path (and query) inserted
/// after the well-known part, then the well-known part alone. Without a path, one location.
fn well_known_urls(resource: &Url) -> Vec<Url> {
    const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";
    let mut inserted = resource.clone();
    inserted.set_path(&format!(
        "{WELL_KNOWN}{}",
        resource.path().trim_end_matches('/')
    ));
    inserted.set_fragment(None);
    let mut root = inserted.clone();
    root.set_path(WELL_KNOWN);
    root.set_query(None);
    if inserted == root {
        vec![root]
    } else {
        vec![inserted, root]
    }
}

/// Whether the metadata's `named` resource covers the URL `requested`: the same origin, and
/// a path that is `requested`'s or one of its parents, segment by segment (`/api` covers
/// `/api/tasks`, not `/apis`). `Url` parsing folds the case of scheme and host and drops a
/// default port; a trailing slash and a fragment (which never reaches a server) are ignored;
/// a query in `named` must be `requested`'s.
///
/// RFC 9728 section 3.3 asks for the very URL requested; an API's resource identifier names
/// the API (`https://api.example`), not each of its routes (`/tasks/7`), so a parent is
/// accepted, as the MCP TypeScript SDK does. A resource can still never speak for another
/// origin, nor for a sibling path.
fn covers_resource(named: &str, requested: &Url) -> bool {
    let Ok(named) = Url::parse(named) else {
        return false;
    };
    let segments = |url: &Url| -> Vec<String> {
        url.path()
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (named_path, requested_path) = (segments(&named), segments(requested));
    named.origin() == requested.origin()
        && requested_path.starts_with(&named_path)
        && named
            .query()
            .is_none_or(|query| named_path == requested_path && requested.query() == Some(query))
}

/// Refuses a challenge's metadata URL that is plain `http` on a host other than loopback.
fn refuse_plain_http(url: &Url) -> Result<(), AuthError> {
    let loopback = match url.host() {
        Some(Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() == "https" || (url.scheme() == "http" && loopback) {
        return Ok(());
    }
    Err(AuthError::rejected(format!(
        "the resource's challenge names its metadata at {}, which is not https: it is not \
         followed (plain http only to a loopback host: localhost, 127.0.0.1, ::1), since anyone \
         on the network could have chosen it; serve the resource and its metadata over https",
        Endpoint::new(url.clone()).name()
    )))
}

http_methods!(ResourceDiscovery);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rfc_9728_field_is_read_and_unknown_ones_are_kept() {
        let body = br#"{
            "resource": "https://api.example/mcp",
            "authorization_servers": ["https://auth.example"],
            "jwks_uri": "https://api.example/jwks",
            "scopes_supported": ["read", "write"],
            "bearer_methods_supported": ["header"],
            "resource_signing_alg_values_supported": ["RS256"],
            "resource_name": "Files",
            "resource_documentation": "https://api.example/docs",
            "resource_policy_uri": "https://api.example/policy",
            "resource_tos_uri": "https://api.example/tos",
            "tls_client_certificate_bound_access_tokens": true,
            "authorization_details_types_supported": ["payment"],
            "dpop_signing_alg_values_supported": ["ES256"],
            "dpop_bound_access_tokens_required": false,
            "x_vendor": {"tier": 2}
        }"#;
        let metadata = ResourceMetadata::from_json(body).unwrap();
        assert_eq!(metadata.resource, "https://api.example/mcp");
        assert_eq!(
            metadata.authorization_servers.as_deref(),
            Some(&["https://auth.example".to_owned()][..])
        );
        assert_eq!(metadata.scopes_supported.as_ref().unwrap().len(), 2);
        assert_eq!(
            metadata.resource_tos_uri.as_deref(),
            Some("https://api.example/tos")
        );
        assert_eq!(
            metadata.tls_client_certificate_bound_access_tokens,
            Some(true)
        );
        assert_eq!(metadata.dpop_bound_access_tokens_required, Some(false));
        assert_eq!(
            metadata.dpop_signing_alg_values_supported.as_deref(),
            Some(&["ES256".to_owned()][..])
        );
        assert_eq!(metadata.additional_fields.len(), 1);
        assert_eq!(metadata.additional_fields["x_vendor"]["tier"], 2);
        let again: ResourceMetadata =
            serde_json::from_value(serde_json::to_value(&metadata).unwrap()).unwrap();
        assert_eq!(again, metadata, "not the same after a round trip");
    }

    fn urls(resource: &str) -> Vec<String> {
        well_known_urls(&resource.parse().unwrap())
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn well_known_urls_insert_the_path_then_fall_back_to_the_root() {
        assert_eq!(
            urls("https://api.example/v1/mcp/?tenant=7#top"),
            [
                "https://api.example/.well-known/oauth-protected-resource/v1/mcp?tenant=7",
                "https://api.example/.well-known/oauth-protected-resource",
            ]
        );
        assert_eq!(
            urls("https://api.example/"),
            ["https://api.example/.well-known/oauth-protected-resource"]
        );
    }

    #[test]
    fn the_resource_covers_its_own_url_and_the_urls_below_it_on_its_origin() {
        let requested: Url = "https://api.example/mcp".parse().unwrap();
        for covering in [
            "https://api.example/mcp",
            "HTTPS://API.Example:443/mcp/",
            "https://api.example/mcp#part",
            "https://api.example/",
            "https://api.example",
        ] {
            assert!(covers_resource(covering, &requested), "{covering}");
        }
        let below: Url = "https://api.example/mcp/tools?page=2".parse().unwrap();
        assert!(covers_resource("https://api.example/mcp", &below));
        for other in [
            "https://api.example/mcp2",
            "https://api.example/mcp/tools",
            "http://api.example/mcp",
            "https://api.example:8443/mcp",
            "https://other.example/mcp",
            "https://api.example/MCP",
            "https://api.example/mcp?x=1",
            "not a url",
        ] {
            assert!(!covers_resource(other, &requested), "{other}");
        }
    }

    #[test]
    fn plain_http_is_followed_only_to_loopback_hosts() {
        for allowed in [
            "https://metadata.example/prm",
            "http://127.0.0.1:8080/prm",
            "http://localhost/prm",
            "http://[::1]:9/prm",
        ] {
            assert!(
                refuse_plain_http(&allowed.parse().unwrap()).is_ok(),
                "{allowed}"
            );
        }
        for refused in [
            "http://metadata.example/prm",
            "http://10.0.0.1/prm",
            "ftp://127.0.0.1/prm",
        ] {
            let error = refuse_plain_http(&refused.parse().unwrap()).unwrap_err();
            assert!(
                error.to_string().contains("not https"),
                "{refused}: {error}"
            );
        }
    }

    #[test]
    fn a_document_without_resource_or_with_a_wrong_type_is_refused_naming_the_member() {
        for (body, expected) in [
            (&b"[]"[..], "not a JSON object"),
            (br#"{"authorization_servers": []}"#, "`resource`"),
            (
                br#"{"resource": "https://a.example", "scopes_supported": "read"}"#,
                "expected a sequence",
            ),
        ] {
            let error = ResourceMetadata::from_json(body).unwrap_err();
            assert!(error.to_string().contains(expected), "{expected}: {error}");
        }
    }
}
