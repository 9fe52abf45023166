//! The examples against the reference server over real HTTP, one module per subject, all in
//! one test binary: each test binary links the whole server and client stack again, which
//! costs the suite seconds of build per binary. The modules share the process safely: log
//! captures are per thread (`common::Logs`), and each test starts its own server on an
//! ephemeral port.

mod common;
#[allow(unreachable_pub)]
#[path = "../../../tests/src/stepped_clock.rs"]
mod stepped_clock;

mod assertions_and_exchange;
mod logins;
mod logins_secrets;
mod oauth_secrets_in_logs;
mod oauth_server;
mod resource_logins;
mod server;
mod walkthrough;
