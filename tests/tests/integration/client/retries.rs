//! The `retry` option of a `#[freshtoken::client]` client against a real HTTP server on
//! 127.0.0.1 (in-process, on tokio's paused clock, so the pauses between attempts cost no real
//! time and can be measured): a 503's `Retry-After` waited for, and cut to `max_delay`; the
//! budget of attempts, after which the last error is returned; a POST left alone unless it
//! says it is idempotent; a 401 resend apart from the budget; a refused connection retried
//! until the server listens.

use std::time::Duration;

use freshtoken::client::Error;
use freshtoken_tests::GatedSource;
use freshtoken_tests::answers::{Answer, AnswerServer, Reserved};
use freshtoken_tests::client::open_cache;

/// Every idempotent method retries transient failures, by the trait's option.
#[freshtoken::client(retry = transient)]
pub trait Flaky {
    /// The trait's `retry`.
    #[get("/items")]
    async fn list(&self) -> Result<String>;

    /// Its own budget: three attempts, pauses of at most 2 s.
    #[get("/items", retry(attempts = 3, max_delay = "2s"))]
    async fn list_briefly(&self) -> Result<String>;

    /// Six attempts: a server that is down for a moment is waited for.
    #[get("/items", retry(attempts = 6))]
    async fn list_patiently(&self) -> Result<String>;

    /// No retries, over the trait's option.
    #[get("/items", retry = none)]
    async fn list_once(&self) -> Result<String>;

    /// A POST: the trait's `retry` is not for it.
    #[post("/orders")]
    async fn order(&self) -> Result<String>;

    /// A POST the server deduplicates by its key: safe to send twice.
    #[post("/orders", retry(idempotent, attempts = 2))]
    async fn order_once(&self, #[header("idempotency-key")] key: &str) -> Result<String>;
}

fn client(url: String) -> (GatedSource, FlakyClient<GatedSource>) {
    let (source, cache) = open_cache();
    let client = FlakyClient::builder(url, cache)
        .build()
        .expect("a valid base URL");
    (source, client)
}

/// The time between the arrivals of requests `i` and `i + 1`.
fn gaps(server: &AnswerServer) -> Vec<Duration> {
    let hits = server.hits();
    hits.windows(2)
        .map(|pair| pair[1].at - pair[0].at)
        .collect()
}

fn status_of(error: &Error) -> u16 {
    error
        .status()
        .unwrap_or_else(|| panic!("a status error, not {error:?}"))
        .as_u16()
}

#[tokio::test(start_paused = true)]
async fn a_503_is_retried_after_the_retry_after_it_sent() {
    let server = AnswerServer::start([
        Answer::status(503).retry_after("1"),
        Answer::ok(r#""items""#),
    ])
    .await;
    let (_, client) = client(server.url());
    assert_eq!(
        client.list().await.expect("the retry succeeds"),
        r#""items""#
    );
    let gaps = gaps(&server);
    assert_eq!(gaps.len(), 1, "two requests: {gaps:?}");
    assert!(
        gaps[0] >= Duration::from_secs(1) && gaps[0] < Duration::from_millis(1100),
        "the second request waited the 1 s the server asked for: {gaps:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_longer_than_max_delay_is_cut_to_it() {
    let server = AnswerServer::start([
        Answer::status(429).retry_after("3600"),
        Answer::ok(r#""items""#),
    ])
    .await;
    let (_, client) = client(server.url());
    assert_eq!(client.list_briefly().await.expect("retried"), r#""items""#);
    let gaps = gaps(&server);
    assert!(
        gaps.len() == 1
            && gaps[0] >= Duration::from_secs(2)
            && gaps[0] < Duration::from_millis(2100),
        "an hour asked for, `max_delay = \"2s\"` waited: {gaps:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn when_the_budget_is_spent_the_last_error_is_returned() {
    let server = AnswerServer::start([
        Answer::status(503),
        Answer::status(502),
        Answer::status(504),
        Answer::ok("never"),
    ])
    .await;
    let (_, client) = client(server.url());
    let error = client.list_briefly().await.expect_err("three failures");
    assert_eq!(status_of(&error), 504, "the last answer: {error}");
    assert_eq!(server.hits().len(), 3, "`attempts = 3` in all");
    // Full jitter under a ceiling of 100 ms, then 200 ms.
    let gaps = gaps(&server);
    assert!(
        gaps[0] <= Duration::from_millis(101) && gaps[1] <= Duration::from_millis(201),
        "{gaps:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn errors_that_are_not_transient_are_returned_at_once() {
    for status in [400, 404, 500] {
        let server = AnswerServer::start([Answer::status(status), Answer::ok("never")]).await;
        let (_, client) = client(server.url());
        let error = client.list().await.expect_err("not retried");
        assert_eq!(status_of(&error), status);
        assert_eq!(server.hits().len(), 1, "{status} is sent once");
    }
}

#[tokio::test(start_paused = true)]
async fn retry_none_on_a_method_turns_the_traits_retry_off() {
    let server = AnswerServer::start([Answer::status(503), Answer::ok("never")]).await;
    let (_, client) = client(server.url());
    let error = client.list_once().await.expect_err("not retried");
    assert_eq!(status_of(&error), 503);
    assert_eq!(server.hits().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_post_is_not_retried_by_the_traits_option() {
    let server = AnswerServer::start([Answer::status(503), Answer::ok(r#""created""#)]).await;
    let (_, client) = client(server.url());
    let error = client.order().await.expect_err("a POST is sent once");
    assert_eq!(status_of(&error), 503);
    assert_eq!(server.hits().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_post_marked_idempotent_is_retried() {
    let server = AnswerServer::start([Answer::status(503), Answer::ok(r#""created""#)]).await;
    let (_, client) = client(server.url());
    assert_eq!(
        client.order_once("order-7").await.expect("retried"),
        r#""created""#
    );
    assert_eq!(server.hits().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_401_then_a_503_then_a_200_succeeds_with_both_budgets() {
    let server = AnswerServer::start([
        Answer::status(401),
        Answer::status(503),
        Answer::ok(r#""items""#),
    ])
    .await;
    let (source, client) = client(server.url());
    assert_eq!(
        client.list_briefly().await.expect("both retries"),
        r#""items""#
    );
    let tokens: Vec<Option<String>> = server
        .hits()
        .into_iter()
        .map(|hit| hit.authorization)
        .collect();
    assert_eq!(
        tokens,
        ["Bearer access-1", "Bearer access-2", "Bearer access-2"].map(|t| Some(t.to_owned())),
        "a new token after the 401, kept after the 503"
    );
    assert_eq!(
        source.calls(),
        2,
        "one refresh for the 401, none for the 503"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_retried_until_the_server_listens() {
    let port = Reserved::port();
    let (_, client) = client(port.url());
    let call = tokio::spawn(async move { client.list_patiently().await });
    // The first attempt is refused at once; the next ones come after pauses of up to 100 ms,
    // 200 ms, ...: that all five fall within the first millisecond is next to impossible.
    tokio::time::sleep(Duration::from_millis(1)).await;
    let server = port.listen([Answer::ok(r#""items""#)]);
    let answer = call.await.expect("the call does not panic");
    assert_eq!(answer.expect("retried once listening"), r#""items""#);
    assert_eq!(
        server.hits().len(),
        1,
        "only the attempt after the listen arrived"
    );
}
