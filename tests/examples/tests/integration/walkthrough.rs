//! The demo's walkthrough against the reference server on an ephemeral port: each step's
//! counts are asserted, not just printed.

use freshtoken_examples::sdk::TasksClient;
use freshtoken_examples::server::{self, ServerConfig};
use freshtoken_examples::trait_sdk;
use freshtoken_examples::walkthrough::{self, TraitSdk};

/// The counts every step must show, for either SDK.
const EXPECTED: [(&str, u32, u64, u64, bool); 6] = [
    ("first call logs in", 1, 1, 0, true),
    ("second call reuses the token", 1, 0, 0, true),
    ("100 concurrent calls, one refresh", 100, 1, 0, true),
    ("expired token refreshed before the call", 2, 1, 0, true),
    (
        "server revoked the token: 401, refresh, retry",
        1,
        1,
        1,
        true,
    ),
    ("refresh token revoked: log in again", 2, 2, 1, true),
];

async fn walk(
    client: &impl walkthrough::Sdk,
    base_url: &str,
) -> (Vec<(&'static str, u32, u64, u64, bool)>, String) {
    let mut printed = String::new();
    let mut say = |line: &str| {
        printed.push_str(line);
        printed.push('\n');
    };
    let reports = walkthrough::run(client, base_url, "alice", &mut say).await;
    let counts = reports
        .iter()
        .map(|r| (r.name, r.calls, r.refreshes, r.unauthorized, r.ok))
        .collect();
    (counts, printed)
}

/// Walks `sdk` (made for the server's base URL) against a server of its own, so the two SDKs'
/// walkthroughs run side by side without mixing the server's counters; both must show the
/// counts in [`EXPECTED`], so they show the same counts.
async fn walk_against_own_server<S: walkthrough::Sdk>(sdk: impl FnOnce(&str) -> S) {
    let server = server::start(ServerConfig::default()).await.unwrap();
    let base_url = server.base_url();
    let (counts, printed) = walk(&sdk(&base_url), &base_url).await;
    assert_eq!(counts, EXPECTED, "{printed}");
    assert!(printed.contains("log in again"), "{printed}");

    // The password was sent twice: at the start, and after the session was revoked.
    let stats = server.stats();
    assert_eq!(stats.logins, 2, "{stats:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hand_written_sdk_behaves_as_described() {
    walk_against_own_server(|base_url| TasksClient::new(base_url, "alice", "wonderland").unwrap())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trait_sdk_behaves_as_described_with_the_same_counts() {
    walk_against_own_server(|base_url| {
        let (client, cache) = trait_sdk::connect(base_url, "alice", "wonderland").unwrap();
        TraitSdk { client, cache }
    })
    .await;
}

#[test]
fn a_bad_base_url_is_a_clear_error() {
    let Err(error) = TasksClient::new("not a url", "alice", "wonderland") else {
        panic!("a client was built from `not a url`");
    };
    assert!(error.to_string().contains("invalid base URL"), "{error}");
    let Err(error) = trait_sdk::connect("not a url", "alice", "wonderland") else {
        panic!("a client was built from `not a url`");
    };
    assert!(error.to_string().contains("invalid base URL"), "{error}");
}
