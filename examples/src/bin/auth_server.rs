//! The reference auth server and Tasks API, standalone on 127.0.0.1 until Ctrl-C: point the
//! demo (`--base-url`), curl or your own client at it.
//!
//! ```text
//! cargo run -p freshtoken-examples --bin auth_server
//! cargo run -p freshtoken-examples --bin auth_server -- --port 0 --access-ttl-secs 5
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use freshtoken_examples::server::{self, ServerConfig};

const USAGE: &str =
    "usage: auth_server [--port PORT] [--access-ttl-secs SECS] [--refresh-ttl-secs SECS]

  --port PORT              port on 127.0.0.1 (default 8080; 0 picks a free one)
  --access-ttl-secs SECS   access token lifetime (default 900, at least 1)
  --refresh-ttl-secs SECS  refresh token lifetime (default 604800, at least 1)";

#[tokio::main]
async fn main() -> ExitCode {
    let (port, config) = match parse(std::env::args().skip(1)) {
        Ok(Some(parsed)) => parsed,
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

    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let summary = format!(
        "access tokens live {} s, refresh tokens {} s",
        config.access_ttl.as_secs().max(1),
        config.refresh_ttl.as_secs().max(1)
    );
    let users: Vec<String> = config
        .users
        .iter()
        .map(|(name, password)| format!("{name} / {password}"))
        .collect();
    let server = match server::start_on(config, addr).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("could not start the server on {addr}: {error} (try --port 0)");
            return ExitCode::FAILURE;
        }
    };
    println!("reference auth server at {}", server.base_url());
    println!("  {summary}");
    println!("  demo users: {}", users.join(", "));
    println!(
        "  try: cargo run -p freshtoken-examples --bin demo -- --base-url {}",
        server.base_url()
    );
    println!("  Ctrl-C to stop");

    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("cannot wait for Ctrl-C: {error}");
    }
    let stats = server.stats();
    server.shutdown().await;
    println!("stopped; {stats:?}");
    ExitCode::SUCCESS
}

/// The port and configuration from the command line; `None` for `--help`.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<(u16, ServerConfig)>, String> {
    let mut port = 8080;
    let mut config = ServerConfig::default();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => port = number(&arg, &value()?)?,
            "--access-ttl-secs" => {
                config.access_ttl = Duration::from_secs(number(&arg, &value()?)?);
            }
            "--refresh-ttl-secs" => {
                config.refresh_ttl = Duration::from_secs(number(&arg, &value()?)?);
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some((port, config)))
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{name} takes a whole number, not `{value}`"))
}
