//! The example MCP client: rmcp over freshtoken's [`AuthorizedHttpClient`], against the MCP
//! endpoint of [`server::mcp`](crate::server::mcp).
//!
//! It holds no OAuth code of its own, and knows nothing but the MCP server's URL:
//! [`ProtectedResource::discover`] follows the server's 401 to its resource metadata and its
//! authorization server, the client registers there (RFC 7591) and logs in with PKCE for
//! the scope the 401 named (`notes:read`), and the transport takes its tokens from that
//! cache. Its call of `write_note` is refused with 403 `insufficient_scope`; the cache then
//! logs in again for `notes:read notes:write`, and the call is sent again and succeeds.
//! [`browser`] stands in for the user, who would open the login page in a browser.

pub mod browser;

use freshtoken::MemoryStore;
use freshtoken::oauth::resource::{ClientIdentity, ClientRegistration, ProtectedResource};
use freshtoken::rmcp::AuthorizedHttpClient;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig, ContentBlock};

use crate::server::mcp::{LIST_NOTES_TOOL, WRITE_NOTE_TOOL};

/// Connects to the MCP server at `mcp_url`, lists its tools, writes a note (a step-up) and
/// reads the notes back, saying what happens. The error says which step failed.
///
/// # Errors
/// A description of the first step that failed.
pub async fn run(mcp_url: &str, say: &mut impl FnMut(&str)) -> Result<(), String> {
    let url = mcp_url
        .parse()
        .map_err(|error| format!("{mcp_url:?} is not a URL: {error}"))?;
    let resource = ProtectedResource::discover(url)
        .await
        .map_err(|error| format!("cannot find how to log in to {mcp_url}: {error}"))?;
    say(&format!(
        "{mcp_url}: tokens from {}, scopes {}",
        resource.server_metadata().issuer(),
        resource.scopes().join(" ")
    ));
    let identity =
        ClientIdentity::new().registration(ClientRegistration::loopback("freshtoken notes"));
    let cache = resource
        .pkce_cache(&identity, MemoryStore::default(), browser::open)
        .await
        .map_err(|error| format!("no login for the MCP server: {error}"))?;
    let transport = AuthorizedHttpClient::new(cache).transport(mcp_url);

    let mcp = ClientConfig::default()
        .serve(transport)
        .await
        .map_err(|error| format!("cannot connect to the MCP server: {error}"))?;
    say("connected");

    let tools = mcp
        .list_all_tools()
        .await
        .map_err(|error| format!("cannot list the tools: {error}"))?;
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    say(&format!("tools: {}", names.join(", ")));

    let arguments = serde_json::json!({ "text": "written through a step-up" });
    let written = mcp
        .call_tool(
            CallToolRequestParams::new(WRITE_NOTE_TOOL)
                .with_arguments(arguments.as_object().cloned().unwrap_or_default()),
        )
        .await
        .map_err(|error| format!("{WRITE_NOTE_TOOL} failed: {error}"))?;
    say(&format!("{WRITE_NOTE_TOOL}: {}", text_of(&written.content)));

    let notes = mcp
        .call_tool(CallToolRequestParams::new(LIST_NOTES_TOOL))
        .await
        .map_err(|error| format!("{LIST_NOTES_TOOL} failed: {error}"))?;
    say(&format!("{LIST_NOTES_TOOL}: {}", text_of(&notes.content)));

    mcp.cancel()
        .await
        .map_err(|error| format!("cannot close the MCP session: {error}"))?;
    Ok(())
}

/// The text parts of a tool's answer, one per line.
fn text_of(content: &[ContentBlock]) -> String {
    content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text(text) => Some(text.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}
