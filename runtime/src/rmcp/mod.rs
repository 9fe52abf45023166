//! An [rmcp](https://docs.rs/rmcp) streamable-HTTP client transport authorized by a
//! [`TokenCache`](crate::TokenCache): [`AuthorizedHttpClient`].
//!
//! An MCP client built on rmcp needs no OAuth code of its own: pick a
//! [`TokenSource`](crate::TokenSource) (a PKCE login from [`oauth`](crate::oauth), client
//! credentials, a token from a vault), put it in a `TokenCache`, and give the transport an
//! `AuthorizedHttpClient` over that cache. Each request of the transport (the POST of a
//! JSON-RPC message, the GET of the server's SSE stream, the DELETE of the session) then
//! carries the cache's token; a 401 gets one resend with a new token, and a 403
//! `insufficient_scope` one resend after the cache steps the token up to the scopes the
//! server asked for.
//!
//! ```no_run
//! use freshtoken::TokenCache;
//! use freshtoken::oauth::{ClientAuth, Issuer};
//! use freshtoken::rmcp::AuthorizedHttpClient;
//! use rmcp::ServiceExt;
//! use rmcp::model::CallToolRequestParams;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let login = Issuer::new("https://auth.example".parse()?)
//!     .authorization_code_pkce(ClientAuth::public("notes-cli"), |url| {
//!         println!("Open this page to log in: {url}");
//!     })
//!     .await?
//!     .scopes(["notes:read"]);
//! let transport =
//!     AuthorizedHttpClient::new(TokenCache::new(login)).transport("https://mcp.example/mcp");
//! let mcp = ().serve(transport).await?;
//! let tools = mcp.list_all_tools().await?;
//! // A tool that needs `notes:write`: the server's 403 makes the cache step up, and the
//! // call is sent again with the new token.
//! let written = mcp
//!     .call_tool(CallToolRequestParams::new("write_note"))
//!     .await?;
//! # let _ = (tools, written);
//! mcp.cancel().await?;
//! # Ok(()) }
//! ```

mod attempts;
#[cfg(test)]
mod attempts_tests;
mod client;
mod error;

pub use client::AuthorizedHttpClient;
pub use error::AuthorizedHttpError;
