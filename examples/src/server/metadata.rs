// Input: `GET /.well-known/oauth-authorization-server` or `/.well-known/openid-configuration`.
// Output: the server's RFC 8414 metadata: its issuer, endpoints, grants and client
// authentication methods.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::dpop;
use super::state::Shared;

/// Both well-known routes answer this document. It is not a full OIDC provider
/// configuration (no ID tokens, no `jwks_uri`): `openid-configuration` is served because
/// many clients discover OAuth endpoints there.
pub(crate) async fn metadata(State(state): State<Shared>) -> Json<Value> {
    let mut metadata = json!({
        "issuer": state.issuer,
        "authorization_endpoint": state.url("/oauth/authorize"),
        "token_endpoint": state.url("/oauth/token"),
        "device_authorization_endpoint": state.url("/oauth/device_authorization"),
        "revocation_endpoint": state.url("/oauth/revoke"),
        "registration_endpoint": state.url("/oauth/register"),
        "client_id_metadata_document_supported": true,
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "grant_types_supported": [
            "authorization_code",
            "client_credentials",
            "password",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "response_types_supported": ["code"],
        "authorization_response_iss_parameter_supported": true,
    });
    if state.dpop.supported() {
        metadata["dpop_signing_alg_values_supported"] = json!(dpop::ALGORITHMS);
    }
    Json(metadata)
}
