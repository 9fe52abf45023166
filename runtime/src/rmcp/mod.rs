//! An [rmcp](https://docs.rs/rmcp) streamable-HTTP client transport authorized by a
//! [`TokenCache`](crate::TokenCache): [`AuthorizedHttpClient`].
//!
//! An MCP client built on rmcp needs no OAuth code of its own. From the MCP server's URL,
//! [`ProtectedResource`](crate::oauth::resource::ProtectedResource) finds how to log in (the
//! server's 401, its resource metadata, its authorization server) and makes a `TokenCache`
//! of tokens for it; give the transport an `AuthorizedHttpClient` over that cache. Any other
//! [`TokenSource`](crate::TokenSource) in a `TokenCache` will do as well (client credentials,
//! a token from a vault). Each request of the transport (the POST of a JSON-RPC message, the
//! GET of the server's SSE stream, the DELETE of the session) then carries the cache's
//! token; a 401 gets one resend with a new token, and a 403 `insufficient_scope` one resend
//! after the cache steps the token up to the scopes the server asked for.
//!
//! ```no_run
//! use std::sync::Arc;
//! use freshtoken::FileStore;
//! use freshtoken::oauth::resource::{ClientIdentity, ClientRegistration, ProtectedResource};
//! use freshtoken::rmcp::AuthorizedHttpClient;
//! use rmcp::ServiceExt;
//! use rmcp::model::{CallToolRequestParams, ClientConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mcp_url = "https://mcp.example/mcp";
//! let resource = ProtectedResource::discover(mcp_url.parse()?).await?;
//! let identity = ClientIdentity::new().registration(ClientRegistration::loopback("Notes CLI"));
//! let store = Arc::new(FileStore::new("notes-cli-login.json"));
//! let cache = resource
//!     .pkce_cache(&identity, store, |url| println!("Open {url} to log in"))
//!     .await?;
//!
//! let mcp = ClientConfig::default()
//!     .serve(AuthorizedHttpClient::new(cache).transport(mcp_url))
//!     .await?;
//! let tools = mcp.list_all_tools().await?;
//! // A tool that needs more scope: the server's 403 makes the cache step up (a new login
//! // for the wider scope), and the call is sent again with the new token.
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
