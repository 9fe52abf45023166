//! freshtoken's integration tests across crate boundaries, one module per subject, all in one
//! test binary: each test binary links the whole stack (reqwest, hyper, tonic, redis) again,
//! which costs the suite seconds of build per binary. The modules share the process safely:
//! log captures are per thread (`freshtoken_tests::faults::SecretWatch`), thread counts are by
//! runtime name (`file_store_lock`), allocation counts are per thread
//! (`fast_path_allocations`), and child processes are the crate's own binaries.

pub mod anyhow_unauthorized;
pub mod assertion_sources;
pub mod blocking;
pub mod client;
pub mod client_lints;
pub mod fast_path_allocations;
pub mod faults;
pub mod faults_crash;
pub mod file_store_lock;
pub mod file_store_processes;
pub mod generated_code_lints;
pub mod herd_on_many_threads;
pub mod middleware;
pub mod oauth_resource_grants;
pub mod oauth_sources;
pub mod partitions;
pub mod received_answers;
pub mod redaction_echo;
pub mod redis_store;
pub mod refresh_token_http;
pub mod token_api_requests;
pub mod tower_clients;
