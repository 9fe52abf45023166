// Input: a request to the MCP endpoint.
// Output: the request passed on to the MCP service when its bearer token is valid, issued
// for this resource (`aud`) and, for a `tools/call` of a tool that needs a scope, holds it;
// else a 401 with a challenge that points to the resource metadata (RFC 9728 §5.1), or a
// 403 `insufficient_scope` naming the scope (RFC 6750 §3.1).

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::caller::{Refused, authenticate};
use super::notes::WRITE_NOTE_TOOL;
use super::{McpState, READ_SCOPE, WRITE_SCOPE};

/// The largest JSON-RPC body the guard reads to find the tool called.
const MAX_BODY: usize = 1024 * 1024;

/// Lets through a request whose token may do what it asks.
pub(crate) async fn guard(State(mcp): State<McpState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let caller = match authenticate(&parts, &mcp) {
        Ok(caller) => caller,
        Err(refused) => return unauthorized(&mcp, refused),
    };
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "the JSON-RPC body is too large",
        )
            .into_response();
    };
    if let Some(needed) = needed_scope(&body)
        && !holds(caller.scope.as_deref(), needed)
    {
        tracing::info!(user = %caller.user, needed, "MCP tool call refused for lack of scope");
        return insufficient_scope(&mcp, needed);
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// The scope the JSON-RPC message (or batch) in `body` needs beyond a valid token.
fn needed_scope(body: &[u8]) -> Option<&'static str> {
    let message: Value = serde_json::from_slice(body).ok()?;
    let messages = match &message {
        Value::Array(batch) => batch.iter().collect(),
        single => vec![single],
    };
    messages
        .into_iter()
        .any(|message| {
            message.get("method").and_then(Value::as_str) == Some("tools/call")
                && message.pointer("/params/name").and_then(Value::as_str) == Some(WRITE_NOTE_TOOL)
        })
        .then_some(WRITE_SCOPE)
}

/// Whether a token whose `scope` claim is `granted` holds `needed`. Unlike the Tasks API,
/// the MCP server gives a token without a scope claim no scope at all.
fn holds(granted: Option<&str>, needed: &str) -> bool {
    granted.is_some_and(|scope| scope.split(' ').any(|item| item == needed))
}

/// 401: no token, or one the auth server does not honour. The challenge points to the
/// resource metadata, where a client finds the authorization server, and names the scope
/// every session needs, which a client asks for first (the MCP authorization spec's scope
/// selection).
fn unauthorized(mcp: &McpState, refused: Refused) -> Response {
    // RFC 6750 §3.1: no error code when the request had no token at all.
    let error = match refused {
        Refused::InvalidToken => ", error=\"invalid_token\"",
        Refused::NoToken => "",
    };
    let challenge = format!(
        "Bearer resource_metadata=\"{}\", scope=\"{READ_SCOPE}\"{error}",
        mcp.resource_metadata_url
    );
    challenge_response(StatusCode::UNAUTHORIZED, &challenge)
}

/// 403: the token is valid but lacks `needed`.
fn insufficient_scope(mcp: &McpState, needed: &str) -> Response {
    let challenge = format!(
        "Bearer error=\"insufficient_scope\", scope=\"{needed}\", resource_metadata=\"{}\"",
        mcp.resource_metadata_url
    );
    challenge_response(StatusCode::FORBIDDEN, &challenge)
}

fn challenge_response(status: StatusCode, challenge: &str) -> Response {
    let mut response = status.into_response();
    if let Ok(value) = HeaderValue::from_str(challenge) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}
