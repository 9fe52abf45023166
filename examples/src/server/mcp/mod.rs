//! An MCP server protected by the reference auth server: rmcp's streamable-HTTP server at
//! `/mcp`, next to the auth server's routes on the same origin.
//!
//! | route | answers |
//! |---|---|
//! | `POST`/`GET`/`DELETE /mcp` (bearer) | MCP over streamable HTTP, tools `list_notes` and `write_note` |
//! | `GET /.well-known/oauth-protected-resource/mcp` | RFC 9728 metadata: the resource, the auth server, the scopes |
//!
//! Every request to `/mcp` needs an access token of the auth server issued for this resource
//! (`aud` = `<base>/mcp`, from the login's RFC 8707 `resource`); without one, or with one
//! for another resource or one the auth server does not honour (expired, revoked), the
//! answer is 401 with `WWW-Authenticate: Bearer
//! resource_metadata="<base>/.well-known/oauth-protected-resource/mcp", scope="notes:read"`
//! (and `error="invalid_token"` when a token was sent). A `tools/call` of `write_note` also
//! needs the scope `notes:write` in the token: without it the answer is 403 with
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="notes:write", ...`, before
//! the MCP server sees the call. Every other route is the auth server's, as in
//! [`server`](crate::server).

mod caller;
mod guard;
mod notes;
mod resource_metadata;
mod running;

use super::state::Shared;

pub use notes::{LIST_NOTES_TOOL, WRITE_NOTE_TOOL};
pub use running::{RunningMcpServer, start};

/// The scope every MCP session needs, named in the 401's challenge: what a client logs in
/// with first.
pub const READ_SCOPE: &str = "notes:read";
/// The scope `write_note` needs.
pub const WRITE_SCOPE: &str = "notes:write";
/// The path of the MCP endpoint.
pub const MCP_PATH: &str = "/mcp";

/// What the MCP routes share: the auth server's state (to verify tokens) and the resource's
/// URLs.
#[derive(Clone)]
pub(crate) struct McpState {
    auth: Shared,
    /// `<base>/mcp`: the resource identifier (RFC 9728 §2).
    resource: String,
    resource_metadata_url: String,
}
