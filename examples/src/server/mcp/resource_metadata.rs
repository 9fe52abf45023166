// Input: `GET /.well-known/oauth-protected-resource/mcp`.
// Output: the MCP endpoint's protected resource metadata (RFC 9728): which authorization
// server issues its tokens and which scopes it knows.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::{McpState, READ_SCOPE, WRITE_SCOPE};

pub(crate) async fn resource_metadata(State(mcp): State<McpState>) -> Json<Value> {
    Json(json!({
        "resource": mcp.resource,
        "authorization_servers": [mcp.auth.issuer],
        "scopes_supported": [READ_SCOPE, WRITE_SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": "freshtoken notes (MCP)",
    }))
}
