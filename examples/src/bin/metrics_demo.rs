//! The demo's walkthrough as an operator sees it: freshtoken's metrics exported as Prometheus
//! text on `http://127.0.0.1:PORT/metrics`, and printed after each step as a table of the
//! series the step changed. The hand-written Tasks SDK's cache is named `tasks-api` (the
//! `freshtoken.cache` attribute) and keeps its token in a store that goes down in the last
//! step. Runs against the reference server started here on 127.0.0.1; exits non-zero if a
//! step did not behave as described.
//!
//! ```text
//! cargo run -p freshtoken-examples --bin metrics_demo
//! cargo run -p freshtoken-examples --bin metrics_demo -- --port 9464 --serve
//! ```
//!
//! With `--serve` the `/metrics` route stays up after the walkthrough, for a Prometheus to
//! scrape, until Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use freshtoken_examples::metrics_view;
use freshtoken_examples::outage_store::OutageStore;
use freshtoken_examples::sdk::TasksClient;
use freshtoken_examples::server::{self, ServerConfig};
use freshtoken_examples::walkthrough;

const USAGE: &str = "usage: metrics_demo [--port PORT] [--serve]";

#[tokio::main]
async fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let prometheus = match PrometheusBuilder::new().install_recorder() {
        Ok(handle) => handle,
        Err(error) => {
            eprintln!("could not install the Prometheus recorder: {error}");
            return ExitCode::FAILURE;
        }
    };
    freshtoken::metrics::describe();

    let listener =
        match TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, options.port))).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("could not listen on 127.0.0.1:{}: {error}", options.port);
                return ExitCode::FAILURE;
            }
        };
    let metrics_url = listener
        .local_addr()
        .map(|addr| format!("http://{addr}/metrics"))
        .unwrap_or_default();
    let exporter = tokio::spawn(serve_metrics(listener, prometheus.clone()));

    let server = match server::start(ServerConfig::default()).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("could not start the reference server on 127.0.0.1: {error}");
            return ExitCode::FAILURE;
        }
    };
    let base_url = server.base_url();
    println!("freshtoken metrics demo: a Tasks SDK against {base_url}; metrics on {metrics_url}");

    let store = OutageStore::new();
    let client = match TasksClient::with_cache(&base_url, "alice", "wonderland", |cache| {
        cache.name("tasks-api").store(store.clone())
    }) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };

    let mut seen = metrics_view::series(&prometheus.render());
    let mut show_changes = |_: &walkthrough::StepReport| {
        let now = metrics_view::series(&prometheus.render());
        println!(
            "\n{}",
            metrics_view::table(&metrics_view::changes(&seen, &now))
        );
        seen = now;
    };
    let mut say = |line: &str| println!("{line}");
    let mut reports =
        walkthrough::run_observed(&client, &base_url, "alice", &mut say, &mut show_changes).await;
    let outage = walkthrough::store_outage(&client, &store, &base_url, "alice", &mut say).await;
    show_changes(&outage);
    reports.push(outage);
    server.shutdown().await;

    println!("\n{}", walkthrough::table(&reports));
    if options.serve {
        println!("serving {metrics_url} until Ctrl-C");
        let _ = tokio::signal::ctrl_c().await;
    }
    exporter.abort();

    let mut ok = true;
    for report in reports.iter().filter(|report| !report.ok) {
        ok = false;
        eprintln!(
            "step \"{}\" did not behave as described: {}",
            report.name,
            report.problem.as_deref().unwrap_or("?")
        );
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Serves the recorder's Prometheus text on `/metrics`.
async fn serve_metrics(listener: TcpListener, prometheus: PrometheusHandle) {
    let app = Router::new().route("/metrics", get(move || async move { prometheus.render() }));
    if let Err(error) = axum::serve(listener, app).await {
        eprintln!("the /metrics server stopped: {error}");
    }
}

struct Options {
    port: u16,
    serve: bool,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut options = Self {
            port: 0,
            serve: false,
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--port" => {
                    let port = args.next().ok_or("--port needs a value")?;
                    options.port = port
                        .parse()
                        .map_err(|_| format!("--port: `{port}` is not a port"))?;
                }
                "--serve" => options.serve = true,
                "-h" | "--help" => return Err("the freshtoken metrics demo".to_owned()),
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        Ok(options)
    }
}
