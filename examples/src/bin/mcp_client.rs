//! An MCP client with freshtoken and rmcp: connects to the MCP endpoint of `mcp_server`,
//! lists its tools and calls one that needs a scope step-up. With no argument it starts the
//! server itself, on a free port.
//!
//! ```text
//! cargo run -p freshtoken-examples --bin mcp_client
//! cargo run -p freshtoken-examples --bin mcp_client -- http://127.0.0.1:8090/mcp
//! ```

use std::process::ExitCode;

use freshtoken_examples::mcp_client;
use freshtoken_examples::server::{ServerConfig, mcp};

#[tokio::main]
async fn main() -> ExitCode {
    let url = std::env::args().nth(1);
    if url.as_deref().is_some_and(|arg| arg.starts_with('-')) {
        println!("usage: mcp_client [MCP_URL]   (no URL: start mcp_server in process)");
        return ExitCode::SUCCESS;
    }
    // Started here when no URL is given; kept until the end.
    let mut local = None;
    let mcp_url = match url {
        Some(url) => url,
        None => match mcp::start(ServerConfig::default(), 0).await {
            Ok(server) => local.insert(server).mcp_url(),
            Err(error) => {
                eprintln!("could not start the MCP server: {error}");
                return ExitCode::FAILURE;
            }
        },
    };
    // The MCP server and its auth server share an origin here; a client that discovers the
    // auth server from the 401 needs only the MCP URL.
    let auth_server = mcp_url.trim_end_matches(mcp::MCP_PATH).to_owned();
    let result = mcp_client::run(&mcp_url, &auth_server, &mut |line| println!("{line}")).await;
    if let Some(server) = local {
        server.shutdown().await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("{problem}");
            ExitCode::FAILURE
        }
    }
}
