//! The example MCP client: rmcp over freshtoken's [`AuthorizedHttpClient`], against the MCP
//! endpoint of [`server::mcp`](crate::server::mcp).
//!
//! It holds no OAuth code of its own: a PKCE login from the auth server's metadata in a
//! `TokenCache`, and the transport over that cache. It logs in with `notes:read` only, so its
//! call of `write_note` is refused with 403 `insufficient_scope`; the cache then logs in
//! again for `notes:read notes:write`, and the call is sent again and succeeds.
//! [`browser`] stands in for the user, who would open the login page in a browser.

pub mod browser;

use std::time::Duration;

use freshtoken::TokenCache;
use freshtoken::oauth::{ClientAuth, Issuer};
use freshtoken::rmcp::AuthorizedHttpClient;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig, ContentBlock};

use crate::server::DEMO_PUBLIC_CLIENT_ID;
use crate::server::mcp::{LIST_NOTES_TOOL, READ_SCOPE, WRITE_NOTE_TOOL};

/// Connects to the MCP server at `mcp_url`, whose tokens come from the auth server
/// `auth_server`, lists its tools, writes a note (a step-up) and reads the notes back,
/// saying what happens. The error says which step failed.
///
/// # Errors
/// A description of the first step that failed.
pub async fn run(
    mcp_url: &str,
    auth_server: &str,
    say: &mut impl FnMut(&str),
) -> Result<(), String> {
    let issuer = Issuer::new(auth_server.parse().map_err(|error| format!("{error}"))?);
    let login = issuer
        .authorization_code_pkce(ClientAuth::public(DEMO_PUBLIC_CLIENT_ID), browser::open)
        .await
        .map_err(|error| format!("no login for the MCP server: {error}"))?
        .scopes([READ_SCOPE])
        .login_timeout(Duration::from_secs(10));
    let transport = AuthorizedHttpClient::new(TokenCache::new(login)).transport(mcp_url);

    let mcp = ClientConfig::default()
        .serve(transport)
        .await
        .map_err(|error| format!("cannot connect to the MCP server: {error}"))?;
    say(&format!(
        "connected to {mcp_url} (logged in with {READ_SCOPE})"
    ));

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
