// Input: an MCP server's URL (or a metadata URL given instead), under the opt-in
// `Issuer::mcp_2025_03_26_fallback`.
// Output: the authorization server metadata by the MCP specification of 2025-03-26: read at the
// origin's well-known location without the issuer check, or, on a 404, the default endpoints.

use http::StatusCode;
use reqwest::Url;

use super::discovery::ServerMetadata;
use super::endpoint::exchange::{Http, get};
use super::endpoint::url::Endpoint;
use crate::AuthError;

/// Where those rules look: RFC 8414's location at the origin of the MCP server's URL.
const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

/// The metadata of the authorization server of the MCP server at `server`, read at
/// `metadata_url` when given, else at its origin's well-known location.
pub(super) async fn fetch(
    http: &Http,
    server: &Url,
    metadata_url: Option<&Url>,
) -> Result<ServerMetadata, AuthError> {
    let origin = origin_of(server);
    let url = metadata_url.cloned().unwrap_or_else(|| {
        let mut url = origin.clone();
        url.set_path(WELL_KNOWN);
        url
    });
    let endpoint = Endpoint::new(url);
    let answer = get(http, &endpoint).await?;
    if answer.status == StatusCode::NOT_FOUND {
        return Ok(ServerMetadata::mcp_2025_03_26_defaults(&origin));
    }
    if !answer.status.is_success() {
        return Err(AuthError::rejected(format!(
            "no authorization server metadata for the MCP server {}: {} answered {} (the MCP \
             2025-03-26 rules take the default endpoints only on a 404); check the MCP \
             server's URL",
            Endpoint::new(server.clone()).name(),
            endpoint.name(),
            answer.status
        )));
    }
    ServerMetadata::read_at_origin(&endpoint, &answer.body, &origin)
}

/// `url` without its path, query and fragment: the "authorization base URL" of those rules.
fn origin_of(url: &Url) -> Url {
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    origin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_drops_path_query_and_fragment_and_keeps_the_port() {
        let origin = origin_of(&"http://127.0.0.1:8080/mcp/v1?x=1#y".parse().unwrap());
        assert_eq!(origin.as_str(), "http://127.0.0.1:8080/");
    }

    #[test]
    fn the_defaults_are_authorize_token_and_register_at_the_origin_with_s256() {
        let metadata =
            ServerMetadata::mcp_2025_03_26_defaults(&"https://mcp.example/".parse().unwrap());
        assert_eq!(metadata.issuer(), "https://mcp.example");
        assert_eq!(
            metadata.authorization_endpoint().unwrap().as_str(),
            "https://mcp.example/authorize"
        );
        assert_eq!(
            metadata.token_endpoint().as_str(),
            "https://mcp.example/token"
        );
        assert_eq!(
            metadata.registration_endpoint().unwrap().as_str(),
            "https://mcp.example/register"
        );
        assert!(metadata.supports_pkce_s256());
    }
}
