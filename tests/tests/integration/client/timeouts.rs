//! The timeouts of a `#[freshtoken::client]` client against a real server that answers late
//! (httpmock on 127.0.0.1, `delay`): a method's `timeout = "200ms"` over the client's
//! default, and the client's `.timeout(..)` for a method without its own. The server's delay
//! is far longer than either, so the outcome never depends on how fast the machine is.

use std::time::Duration;

use freshtoken::client::Error;
use freshtoken_tests::GatedSource;
use freshtoken_tests::client::open_cache;
use httpmock::Method::GET;
use httpmock::MockServer;

/// How late the server answers: if a timeout did not apply, the call would succeed.
const SERVER_DELAY: Duration = Duration::from_secs(10);

/// An API with a method that has its own timeout and one that has none.
#[freshtoken::client]
pub trait Slow {
    /// Bounded by its own timeout.
    #[get("/slow", timeout = "200ms")]
    async fn bounded(&self) -> Result<String>;

    /// Bounded by the client's timeout, if any.
    #[get("/slow")]
    async fn unbounded(&self) -> Result<String>;
}

async fn slow_server() -> MockServer {
    // httpmock (0.7 did) may spin in this poll on a spent coop budget; unconstrained, it does not.
    let server = tokio::task::unconstrained(MockServer::start_async()).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/slow");
            then.status(200).body("too late").delay(SERVER_DELAY);
        })
        .await;
    server
}

fn client(server: &MockServer, timeout: Duration) -> SlowClient<GatedSource> {
    let (_, cache) = open_cache();
    SlowClient::builder(server.base_url(), cache)
        .timeout(timeout)
        .build()
        .expect("a valid base URL")
}

fn assert_timed_out(error: &Error) {
    assert!(error.is_timeout(), "a timeout, not: {error:?}");
    assert!(error.status().is_none());
    let text = error.to_string();
    assert!(
        text.contains("GET /slow") && text.contains("timed out"),
        "the message names the call and says it timed out: {text}"
    );
}

#[tokio::test]
async fn a_methods_timeout_bounds_it_over_the_clients() {
    let server = slow_server().await;
    let client = client(&server, Duration::from_secs(60));
    let error = client.bounded().await.expect_err("the server answers late");
    assert_timed_out(&error);
}

#[tokio::test]
async fn the_clients_timeout_bounds_a_method_without_its_own() {
    let server = slow_server().await;
    let client = client(&server, Duration::from_millis(200));
    let error = client
        .unbounded()
        .await
        .expect_err("the server answers late");
    assert_timed_out(&error);
}
