//! Per-call options of a `#[freshtoken::client]` client (`client.with(CallOptions)`) against
//! httpmock on 127.0.0.1: a timeout, a header and a request id for one call only, each seen by
//! the server (or the log), and the plain client unaffected after.

use std::time::Duration;

use freshtoken::client::{CallOptions, Error};
use freshtoken_tests::GatedSource;
use freshtoken_tests::client::open_cache;
use freshtoken_tests::faults::SecretWatch;
use httpmock::Method::GET;
use httpmock::MockServer;

/// How late `/slow` answers: far longer than the per-call timeout, far shorter than the
/// client's.
const SERVER_DELAY: Duration = Duration::from_millis(300);

/// A task API with a method that answers at once and one that answers late.
#[freshtoken::client]
pub trait Tasks {
    /// One task's title.
    #[get("/tasks/{id}")]
    async fn get_task(&self, id: u64) -> Result<String>;

    /// Answers after [`SERVER_DELAY`].
    #[get("/slow")]
    async fn slow(&self) -> Result<String>;
}

async fn server() -> MockServer {
    tokio::task::unconstrained(MockServer::start_async()).await
}

fn client(server: &MockServer) -> TasksClient<GatedSource> {
    let (_, cache) = open_cache();
    TasksClient::builder(server.base_url(), cache)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a valid base URL")
}

#[tokio::test]
async fn a_per_call_timeout_bounds_that_call_only() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/slow");
            then.status(200).body("late").delay(SERVER_DELAY);
        })
        .await;
    let client = client(&server);

    let error = client
        .with(CallOptions::new().timeout(Duration::from_millis(50)))
        .slow()
        .await
        .expect_err("50 ms is shorter than the server's delay");
    assert!(error.is_timeout(), "a timeout, not: {error:?}");
    assert!(error.to_string().contains("GET /slow"), "{error}");

    let body = client
        .slow()
        .await
        .expect("the client's own timeout is 30 s");
    assert_eq!(body, "late");
}

#[tokio::test]
async fn a_per_call_header_and_request_id_reach_the_server_for_that_call_only() {
    let server = server().await;
    let with_options = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/tasks/7")
                .header("x-tenant", "acme")
                .header("x-request-id", "req-42");
            then.status(200).body("with options");
        })
        .await;
    let plain = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/tasks/7")
                .header_missing("x-tenant")
                .header_missing("x-request-id");
            then.status(200).body("plain");
        })
        .await;
    let client = client(&server);

    let options = CallOptions::new()
        .header("x-tenant", "acme")
        .request_id("req-42");
    let body = client
        .with(options)
        .get_task(7)
        .await
        .expect("the server answers");
    assert_eq!(body, "with options");
    with_options.assert_async().await;

    let body = client.get_task(7).await.expect("the server answers");
    assert_eq!(body, "plain", "the plain client sends neither header");
    plain.assert_async().await;
}

#[tokio::test]
async fn a_request_id_goes_under_the_header_name_given() {
    let server = server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/tasks/1")
                .header("x-correlation-id", "corr-1")
                .header_missing("x-request-id");
            then.status(200).body("ok");
        })
        .await;
    let client = client(&server);
    let options = CallOptions::new()
        .request_id_header("x-correlation-id")
        .request_id("corr-1");
    client
        .with(options)
        .get_task(1)
        .await
        .expect("the server answers");
    mock.assert_async().await;
}

#[tokio::test]
async fn a_call_with_options_is_logged_with_its_method_and_request_id_but_no_header_value() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/tasks/3");
            then.status(200).body("ok");
        })
        .await;
    let client = client(&server);
    let watch = SecretWatch::start();
    let options = CallOptions::new()
        .header("x-api-key", "key-value-not-for-logs")
        .request_id("req-logged");
    client
        .with(options)
        .get_task(3)
        .await
        .expect("the server answers");
    let logs = watch.logs();
    let line = logs
        .lines()
        .find(|line| line.contains("DEBUG") && line.contains("request_id"))
        .unwrap_or_else(|| panic!("a debug line with the request id: {logs}"));
    assert!(line.contains("get_task"), "names the method: {line}");
    assert!(line.contains("req-logged"), "names the request id: {line}");
    assert!(!logs.contains("key-value-not-for-logs"), "{logs}");
    assert!(!logs.contains("access-1"), "never the token: {logs}");
}

#[tokio::test]
async fn an_invalid_per_call_header_is_an_error_naming_it_not_a_panic() {
    let server = server().await;
    let any = server
        .mock_async(|_, then| {
            then.status(200).body("ok");
        })
        .await;
    let client = client(&server);
    for (options, named) in [
        (CallOptions::new().header("bad name", "x"), "bad name"),
        (CallOptions::new().header("x-ok", "line\nbreak"), "x-ok"),
        (CallOptions::new().request_id("id\r\n"), "x-request-id"),
        (CallOptions::new().request_id_header("bad:name"), "bad:name"),
    ] {
        let error = client
            .with(options)
            .get_task(1)
            .await
            .expect_err("the header cannot be sent");
        assert!(
            matches!(error, Error::InvalidArgument { .. }),
            "an invalid argument, not: {error:?}"
        );
        let text = error.to_string();
        assert!(text.contains(named), "names the header `{named}`: {text}");
        assert!(!text.contains("break"), "never the value: {text}");
    }
    assert_eq!(any.calls_async().await, 0, "nothing was sent");
}
