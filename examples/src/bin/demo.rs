//! The demo README's first command runs: the Tasks SDK written with freshtoken twice (by hand
//! with `#[refresh_token]`, and as a trait with `#[freshtoken::client]`), against the
//! reference auth server started here on 127.0.0.1 (or against `--base-url URL`), each walked
//! through login, cached calls, a herd of concurrent calls, expiry, server-side revocation
//! and a revoked session. Ends with a table per SDK of what each step cost, then (against the
//! local server) a CLI's first login with PKCE, a refresh and a logout; exits non-zero if any
//! step did not behave as described or the two SDKs' counts differ.
//!
//! ```text
//! cargo run -p freshtoken-examples --bin demo
//! cargo run -p freshtoken-examples --bin demo -- --base-url http://127.0.0.1:8080
//! ```

use std::process::ExitCode;

use freshtoken_examples::sdk::TasksClient;
use freshtoken_examples::server::{self, ServerConfig};
use freshtoken_examples::walkthrough::{self, TraitSdk};
use freshtoken_examples::{login_step, trait_sdk};

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
    let hand_written = match TasksClient::new(&base_url, &options.user, options.password.clone()) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let generated = match trait_sdk::connect(&base_url, &options.user, options.password.clone()) {
        Ok((client, cache)) => TraitSdk { client, cache },
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    say("\n# the hand-written SDK (src/sdk: #[refresh_token] on async methods)");
    let by_hand = walkthrough::run(&hand_written, &base_url, &options.user, &mut say).await;
    say("\n# the trait SDK (src/trait_sdk: #[freshtoken::client] on a trait)");
    let by_trait = walkthrough::run(&generated, &base_url, &options.user, &mut say).await;
    println!("\nhand-written SDK:\n{}", walkthrough::table(&by_hand));
    println!("trait SDK:\n{}", walkthrough::table(&by_trait));
    println!(
        "(the steps force refreshes back to back, so each waits for the cache's minimum \
         interval between token requests, 1 s: the guard that keeps a token of any lifetime \
         from refreshing in a loop; real tokens live minutes)\n"
    );
    // The reference server consents automatically; another server would wait for a person.
    let login = if local.is_some() {
        say("# a CLI's first login: discovery, authorization code + PKCE, refresh, logout");
        let login = login_step::run(&base_url, &mut say).await;
        if let Err(problem) = &login {
            eprintln!("the login step did not behave as described: {problem}");
        }
        login.is_ok()
    } else {
        true
    };
    if let Some(server) = local {
        server.shutdown().await;
    }

    let counts = |reports: &[walkthrough::StepReport]| {
        reports
            .iter()
            .map(|report| (report.calls, report.refreshes, report.unauthorized))
            .collect::<Vec<_>>()
    };
    let mut ok = login && counts(&by_hand) == counts(&by_trait);
    if !ok {
        eprintln!("the two SDKs made different numbers of calls, refreshes or 401s");
    }
    for report in by_hand.iter().chain(&by_trait).filter(|report| !report.ok) {
        ok = false;
        eprintln!(
            "step \"{}\" did not behave as described: {}",
            report.name,
            report.problem.as_deref().unwrap_or("?")
        );
    }
    if ok {
        println!("every step behaved as described, with the same counts for both SDKs");
        ExitCode::SUCCESS
    } else {
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
