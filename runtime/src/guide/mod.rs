//! The guide: how to use freshtoken, chapter by chapter.
//!
//! The crate's front page shows the pieces; these chapters go into depth. Every Rust example
//! in them is compiled and run as a doctest (`cargo test -p freshtoken --all-features --doc`),
//! so none of them can drift from the API. The guide is built with every feature on, as
//! docs.rs builds it; `cargo doc -p freshtoken --all-features --open` shows it locally.
//!
//! | chapter | read it when |
//! |---|---|
//! | [`generated_clients`] | you describe an HTTP API as a trait and want the client written for you |
//! | [`refresh_token`] | you write the client's methods yourself and want the token and 401 retry written for you |
//! | [`integrations`] | your client is a reqwest-middleware stack, a tower/hyper/tonic service, an MCP client on rmcp, blocking code, or picks its login at run time |
//! | [`protected_resources`] | you start from a resource's URL (an MCP server, an API that answers 401): discovery, registration, resource indicators, scope step-up |
//! | [`logins`] | you choose how the first token is obtained: PKCE, device code, password, client credentials, JWT bearer, a JSON login route |
//! | [`dpop`] | the server binds tokens to a key the client holds (DPoP, RFC 9449), or you want it to |
//! | [`stores_and_fleets`] | a token should survive restarts, or many processes and hosts should share one |
//! | [`many_identities`] | one process holds tokens for many users, tenants, resources or scope sets |
//! | [`observability`] | an operator wants metrics and spans of the cache on a dashboard |
//! | [`guarantees`] | you need to know what callers see when the token endpoint, the store or the network misbehaves |
//! | [`testing`] | you test code that uses freshtoken |
//! | [`runtime_requirements`] | you run freshtoken outside a plain `#[tokio::main]` |
//! | [`performance`] | you want the cost of a call and the targets it is measured against |
//!
//! # The repository
//!
//! | path | crate | holds |
//! |---|---|---|
//! | `runtime/` | `freshtoken` | what users depend on: `Token`, secret types, `TokenSource`, `TokenCache`, `AuthError`, `Unauthorized`, the attributes, OAuth2 and login sources (`oauth`), `TokenStore`s (`store`: memory, file, Redis), the generated clients' runtime (`client`), the integrations |
//! | `macros/` | `freshtoken-macros` | the `#[refresh_token]` and `#[freshtoken::client]` attributes (re-exported by `freshtoken`) |
//! | `tests/` | `freshtoken-tests` | integration tests over real HTTP (httpmock, and a scripted endpoint for the fault suite), threads and processes, a real `redis-server` |
//! | `tests/examples/` | `freshtoken-examples-tests` | the examples over real HTTP: the reference server's endpoints (DPoP checks included), every login against it, DPoP-bound tokens through every integration, the MCP example, the walkthrough |
//! | `tests/ui/` | `freshtoken-ui-tests` | the trybuild cases of both attributes: each misuse is a compile error that says what to write |
//! | `examples/` | `freshtoken-examples` | the example Tasks SDK written by hand (`sdk/`) and as a trait (`trait_sdk/`), a FastAPI client with no hand-written source (`fastapi_sdk`), the reference auth server, the demo, `quickstart`, `bench_report` |
//!
//! `cargo run -p freshtoken-examples --bin demo` starts the reference auth server (axum, real
//! signed JWTs, rotating refresh tokens) on 127.0.0.1 and walks a Tasks SDK written with
//! freshtoken through login, cached calls, 100 concurrent calls on an expired token, forced
//! expiry, a token revoked on the server, and a revoked session; then it prints what each
//! step cost and exits non-zero if any step did not behave as described. It does this twice,
//! with the SDK written by hand and with the same SDK generated from a trait by
//! `#[freshtoken::client]`, and checks both show the same counts. `--base-url URL` runs the
//! same walkthrough against a server elsewhere (see [`logins`] for running the reference
//! server on its own). `examples/README.md` explains the SDK's code as a template to copy.
//!
//! `cargo test --workspace --all-features` runs every test with every integration; the
//! `RedisStore` tests start and stop their own `redis-server` on a free loopback port, so it
//! must be on the `PATH` (`apt-get install redis-server`).

#[doc = include_str!("generated_clients.md")]
pub mod generated_clients {}

#[doc = include_str!("refresh_token.md")]
pub mod refresh_token {}

#[doc = include_str!("integrations.md")]
pub mod integrations {}

#[doc = include_str!("logins.md")]
pub mod logins {}

#[doc = include_str!("protected_resources.md")]
pub mod protected_resources {}

#[doc = include_str!("many_identities.md")]
pub mod many_identities {}

#[doc = include_str!("observability.md")]
pub mod observability {}

#[doc = include_str!("dpop.md")]
pub mod dpop {}

#[doc = include_str!("stores_and_fleets.md")]
pub mod stores_and_fleets {}

#[doc = include_str!("guarantees.md")]
pub mod guarantees {}

#[doc = include_str!("testing.md")]
pub mod testing {}

#[doc = include_str!("runtime_requirements.md")]
pub mod runtime_requirements {}

// The middle part is written by `bench_report markdown` from the last run's figures.
#[doc = include_str!("performance.md")]
#[doc = include_str!("performance_figures.md")]
#[doc = include_str!("performance_notes.md")]
pub mod performance {}
