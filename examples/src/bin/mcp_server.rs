//! The reference auth server with a protected MCP endpoint (`/mcp`), standalone on 127.0.0.1
//! until Ctrl-C: point `mcp_client` or any MCP client at it.
//!
//! ```text
//! cargo run -p freshtoken-examples --bin mcp_server
//! cargo run -p freshtoken-examples --bin mcp_server -- --port 0
//! ```

use std::process::ExitCode;

use freshtoken_examples::server::ServerConfig;
use freshtoken_examples::server::mcp;

const USAGE: &str = "usage: mcp_server [--port PORT]

  --port PORT   port on 127.0.0.1 (default 8090; 0 picks a free one)";

#[tokio::main]
async fn main() -> ExitCode {
    let port = match parse_port(std::env::args().skip(1)) {
        Ok(Some(port)) => port,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("{problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .init();
    let server = match mcp::start(ServerConfig::default(), port).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("could not start the server on 127.0.0.1:{port}: {error} (try --port 0)");
            return ExitCode::FAILURE;
        }
    };
    println!("MCP endpoint at {}", server.mcp_url());
    println!("auth server (issuer) at {}", server.base_url());
    println!(
        "try: cargo run -p freshtoken-examples --bin mcp_client -- {}",
        server.mcp_url()
    );
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// `Ok(None)` for `--help`.
fn parse_port(mut args: impl Iterator<Item = String>) -> Result<Option<u16>, String> {
    let mut port = 8090;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value
                    .parse()
                    .map_err(|_| format!("--port takes a port number, not {value:?}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(port))
}
