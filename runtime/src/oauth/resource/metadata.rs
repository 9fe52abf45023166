// Input: the URL of a protected resource, and the `resource_metadata` URL of its challenge if
// it sent one.
// Output: its metadata (RFC 9728), read from the first location that has it and checked to
// describe that resource, or an error listing every location tried.

use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::AuthError;
use crate::oauth::endpoint::exchange::Http;
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
        if !matches!(serde_json::from_slice(body), Ok(Value::Object(_))) {
            return Err(AuthError::rejected(
                "protected resource metadata is not a JSON object".to_owned(),
            ));
        }
        // serde_json's message names the member and the type it wanted, and quotes no value
        // longer than a type mismatch shows; metadata holds no secrets either way.
        serde_json::from_slice(body).map_err(|error| {
            AuthError::rejected(format!(
                "protected resource metadata is not valid (RFC 9728 section 2): {error}"
            ))
        })
    }
}

/// Finds the metadata of the protected resource at a URL.
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
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when none is found.
    pub async fn fetch(&self) -> Result<ResourceMetadata, AuthError> {
        let _ = (&self.resource, &self.from_challenge, &self.http);
        Err(AuthError::rejected("not yet".to_owned()))
    }
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

    #[test]
    fn a_document_without_resource_or_with_a_wrong_type_is_refused_naming_the_member() {
        for (body, expected) in [
            (&br#"[]"#[..], "not a JSON object"),
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
