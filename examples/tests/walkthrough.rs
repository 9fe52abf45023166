//! The demo's walkthrough against the reference server on an ephemeral port: each step's
//! counts are asserted, not just printed.

use freshtoken_examples::server::{self, ServerConfig};
use freshtoken_examples::walkthrough;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_step_of_the_demo_behaves_as_described() {
    let server = server::start(ServerConfig::default()).await.unwrap();
    let mut printed = String::new();
    let mut say = |line: &str| {
        printed.push_str(line);
        printed.push('\n');
    };
    let reports = walkthrough::run(&server.base_url(), "alice", "wonderland", &mut say)
        .await
        .unwrap();

    let counts: Vec<_> = reports
        .iter()
        .map(|r| (r.name, r.calls, r.refreshes, r.unauthorized, r.ok))
        .collect();
    assert_eq!(
        counts,
        [
            ("first call logs in", 1, 1, 0, true),
            ("second call reuses the token", 1, 0, 0, true),
            ("100 concurrent calls, one refresh", 100, 1, 0, true),
            ("expired token refreshed before the call", 2, 1, 0, true),
            (
                "server revoked the token: 401, refresh, retry",
                1,
                1,
                1,
                true
            ),
            ("refresh token revoked: log in again", 2, 2, 1, true),
        ],
        "{printed}"
    );
    assert!(printed.contains("log in again"), "{printed}");

    // The password was sent twice: at the start, and after the session was revoked.
    let stats = server.stats();
    assert_eq!(stats.logins, 2, "{stats:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_bad_base_url_is_a_clear_error() {
    let mut say = |_: &str| {};
    let error = walkthrough::run("not a url", "alice", "wonderland", &mut say)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("invalid base URL"), "{error}");
}
