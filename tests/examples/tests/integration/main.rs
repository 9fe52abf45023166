//! The examples against the reference server over real HTTP, one module per subject, all in
//! one test binary: each test binary links the whole server and client stack again, which
//! costs the suite seconds of build per binary. The modules share the process safely: log
//! captures are per thread (`common::Logs`), and each test starts its own server on an
//! ephemeral port.
//!
//! This binary is in a package of its own rather than in `freshtoken-examples`: cargo builds
//! every binary of a package for its integration tests, and these tests run none of the
//! examples' binaries (they start the servers in-process).

mod common;
#[path = "common/dpop_proofs.rs"]
mod dpop_proofs;
#[allow(unreachable_pub)]
#[path = "../../../src/stepped_clock.rs"]
mod stepped_clock;

mod assertions_and_exchange;
mod dpop;
mod logins;
mod logins_secrets;
mod metrics_walkthrough;
mod oauth_secrets_in_logs;
mod oauth_server;
mod paginated_tasks;
mod resource_logins;
mod server;
mod token_apis;
mod walkthrough;
