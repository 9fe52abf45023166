//! The demo README's first command runs: a Tasks SDK written with freshtoken, against the
//! reference auth server started here on 127.0.0.1 (or against `--base-url URL`), walked
//! through login, cached calls, a herd of concurrent calls, expiry, server-side revocation
//! and a revoked session. Ends with a table of what each step cost; exits non-zero if any
//! step did not behave as described.
//!
//! ```text
//! cargo run -p freshtoken-examples --bin demo
//! cargo run -p freshtoken-examples --bin demo -- --base-url http://127.0.0.1:8080
//! ```

use std::process::ExitCode;

use freshtoken_examples::server::{self, ServerConfig};
use freshtoken_examples::walkthrough;

const USAGE: &str = "usage: demo [--base-url URL] [--user NAME --password PASSWORD]";

#[tokio::main]
async fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    // Started here unless the user points at a server of their own; stops when dropped.
    let local = match &options.base_url {
        Some(_) => None,
        None => match server::start(ServerConfig::default()).await {
            Ok(server) => Some(server),
            Err(error) => {
                eprintln!("could not start the reference server on 127.0.0.1: {error}");
                return ExitCode::FAILURE;
            }
        },
    };
    let base_url = options
        .base_url
        .clone()
        .or_else(|| local.as_ref().map(server::RunningServer::base_url))
        .unwrap_or_default();
    println!(
        "freshtoken demo: a Tasks SDK against {base_url}, signed in as {}",
        options.user
    );

    let mut say = |line: &str| println!("{line}");
    let reports =
        match walkthrough::run(&base_url, &options.user, &options.password, &mut say).await {
            Ok(reports) => reports,
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::FAILURE;
            }
        };
    println!("\n{}", walkthrough::table(&reports));
    println!(
        "(the steps force refreshes back to back, so each waits for the cache's minimum \
         interval between token requests, 1 s: the guard that keeps a token of any lifetime \
         from refreshing in a loop; real tokens live minutes)\n"
    );
    if let Some(server) = local {
        server.shutdown().await;
    }

    let failed: Vec<_> = reports.iter().filter(|report| !report.ok).collect();
    if failed.is_empty() {
        println!("every step behaved as described");
        ExitCode::SUCCESS
    } else {
        for report in failed {
            eprintln!(
                "step \"{}\" did not behave as described: {}",
                report.name,
                report.problem.as_deref().unwrap_or("?")
            );
        }
        ExitCode::FAILURE
    }
}

struct Options {
    base_url: Option<String>,
    user: String,
    password: String,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut options = Self {
            base_url: None,
            user: "alice".to_owned(),
            password: "wonderland".to_owned(),
        };
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
            match arg.as_str() {
                "--base-url" => options.base_url = Some(value("--base-url")?),
                "--user" => options.user = value("--user")?,
                "--password" => options.password = value("--password")?,
                "-h" | "--help" => return Err("the freshtoken demo".to_owned()),
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        Ok(options)
    }
}
