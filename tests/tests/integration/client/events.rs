//! Server-sent events from a `#[freshtoken::client]` method returning `Result<Events<T>>`,
//! against a server on 127.0.0.1 whose connections the test scripts (`SseServer`): events
//! decoded, a dropped connection resumed with `Last-Event-ID` and a token taken anew, a 204
//! that ends the stream, a bad event that is one item's error, and the bound on failed
//! reconnects. Reconnect delays are a few milliseconds, so no test waits long.

use std::time::Duration;

use freshtoken::client::{CallOptions, Error, Event, Events};
use freshtoken_tests::GatedSource;
use freshtoken_tests::client::open_cache;
use freshtoken_tests::sse_server::{Reply, SseServer};
use serde::Deserialize;

/// A progress event of a job.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct Progress {
    /// Percent done.
    pub done: u32,
}

/// A job API whose progress is an event stream.
#[freshtoken::client]
pub trait Jobs {
    /// The job's progress, as JSON events.
    #[get("/jobs/{id}/progress")]
    async fn progress(&self, id: u64) -> Result<Events<Progress>>;

    /// The job's log, one line per event.
    #[get("/jobs/{id}/log")]
    async fn log(&self, id: u64) -> Result<Events<String>>;
}

/// How long the client waits before reconnecting: short, so the tests stay fast.
const QUICK: Duration = Duration::from_millis(5);

fn client(server: &SseServer) -> JobsClient<GatedSource> {
    let (_, cache) = open_cache();
    JobsClient::builder(server.url(), cache)
        .build()
        .expect("a valid base URL")
}

async fn next<T>(events: &mut Events<T>) -> Result<Event<T>, Error> {
    tokio::time::timeout(Duration::from_secs(10), events.next_event())
        .await
        .expect("an event within 10 s")
        .expect("the stream goes on")
}

#[tokio::test]
async fn typed_events_are_decoded_with_their_id_and_name() {
    let server = SseServer::start(vec![
        Reply::Events(": a comment\nid: 1\nevent: progress\ndata: {\"done\": 10}\n\n"),
        Reply::Status(204),
    ])
    .await;
    let client = client(&server);
    let mut events = client.progress(7).await.expect("the stream opens");

    let first = next(&mut events).await.expect("a valid event");
    assert_eq!(first.data, Progress { done: 10 });
    assert_eq!(first.id.as_deref(), Some("1"));
    assert_eq!(first.event.as_deref(), Some("progress"));

    let seen = server.seen();
    assert_eq!(seen[0].path, "/jobs/7/progress");
    assert_eq!(seen[0].accept.as_deref(), Some("text/event-stream"));
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer access-1"));
}

#[tokio::test]
async fn a_malformed_event_is_an_item_error_and_the_stream_goes_on() {
    let server = SseServer::start(vec![
        Reply::Events("id: 1\ndata: {not json\n\nid: 2\ndata: {\"done\": 50}\n\n"),
        Reply::Status(204),
    ])
    .await;
    let client = client(&server);
    let mut events = client.progress(1).await.expect("the stream opens");

    let error = next(&mut events).await.expect_err("the data is not JSON");
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("progress (GET /jobs/{id}/progress)"),
        "{text}"
    );
    assert!(!text.contains("not json"), "never the data: {text}");

    let second = next(&mut events).await.expect("the next event decodes");
    assert_eq!(second.data, Progress { done: 50 });
}

#[tokio::test]
async fn a_dropped_stream_reconnects_with_last_event_id_and_a_fresh_token() {
    let server = SseServer::start(vec![
        Reply::Events("id: 1\ndata: one\n\nid: 2\ndata: two\n\n"),
        Reply::Events("id: 3\ndata: three\n\n"),
        Reply::Status(204),
    ])
    .await;
    let client = client(&server);
    let mut events = client
        .log(9)
        .await
        .expect("the stream opens")
        .reconnect_delay(QUICK);

    assert_eq!(next(&mut events).await.expect("event 1").data, "one");
    assert_eq!(next(&mut events).await.expect("event 2").data, "two");
    // The token expires while the stream is open; the reconnection needs a new one.
    client.cache().expire_now();
    let third = next(&mut events)
        .await
        .expect("event 3, after reconnecting");
    assert_eq!(third.data, "three");
    assert_eq!(third.id.as_deref(), Some("3"));
    assert!(
        tokio::time::timeout(Duration::from_secs(10), events.next_event())
            .await
            .expect("the end within 10 s")
            .is_none(),
        "a 204 ends the stream"
    );

    let seen = server.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0].last_event_id, None);
    assert_eq!(seen[1].authorization.as_deref(), Some("Bearer access-2"));
    assert_eq!(seen[1].last_event_id.as_deref(), Some("2"));
    assert_eq!(seen[1].accept.as_deref(), Some("text/event-stream"));
    assert_eq!(seen[2].last_event_id.as_deref(), Some("3"));
}

#[tokio::test]
async fn a_401_on_reconnect_invalidates_the_token_and_retries_once_with_a_new_one() {
    let server = SseServer::start(vec![
        Reply::Events("id: a\ndata: one\n\n"),
        Reply::Status(401),
        Reply::Events("id: b\ndata: two\n\n"),
        Reply::Status(204),
    ])
    .await;
    let client = client(&server);
    let mut events = client
        .log(1)
        .await
        .expect("the stream opens")
        .reconnect_delay(QUICK);

    assert_eq!(next(&mut events).await.expect("event one").data, "one");
    assert_eq!(next(&mut events).await.expect("event two").data, "two");

    let seen = server.seen();
    let tokens: Vec<_> = seen
        .iter()
        .take(3)
        .map(|seen| seen.authorization.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(
        tokens,
        ["Bearer access-1", "Bearer access-1", "Bearer access-2"]
    );
    assert_eq!(seen[2].last_event_id.as_deref(), Some("a"));
}

#[tokio::test]
async fn the_reconnect_bound_ends_the_stream_with_an_error() {
    let server = SseServer::start(vec![
        Reply::Events("id: 1\ndata: only\n\n"),
        Reply::Status(503),
    ])
    .await;
    let client = client(&server);
    let mut events = client
        .log(1)
        .await
        .expect("the stream opens")
        .reconnect_delay(QUICK)
        .max_reconnects(3);

    assert_eq!(next(&mut events).await.expect("the one event").data, "only");
    let error = next(&mut events)
        .await
        .expect_err("every reconnect is refused");
    assert!(
        matches!(error, Error::Disconnected { attempts: 3, .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("3 reconnects"), "{text}");
    assert!(text.contains("503"), "names the last failure: {text}");
    assert!(
        events.next_event().await.is_none(),
        "the stream ends after the error"
    );
    assert_eq!(
        server.seen().len(),
        4,
        "one connection and three reconnects"
    );
}

#[tokio::test]
async fn a_connection_that_closes_before_any_event_counts_as_a_failed_reconnect() {
    let server = SseServer::start(vec![
        Reply::Events("id: 1\ndata: only\n\n"),
        Reply::Events(": nothing but a comment\n\n"),
    ])
    .await;
    let client = client(&server);
    let mut events = client
        .log(1)
        .await
        .expect("the stream opens")
        .reconnect_delay(QUICK)
        .max_reconnects(2);

    assert_eq!(next(&mut events).await.expect("the one event").data, "only");
    let error = next(&mut events)
        .await
        .expect_err("no reconnection brings an event");
    assert!(
        matches!(error, Error::Disconnected { attempts: 2, .. }),
        "{error:?}"
    );
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn a_refused_first_connection_is_the_methods_error() {
    let server = SseServer::start(vec![Reply::Status(404)]).await;
    let client = client(&server);
    let error = client.log(1).await.expect_err("the server answers 404");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(404));
}

#[tokio::test]
async fn per_call_options_apply_to_every_connection_of_a_stream() {
    let server = SseServer::start(vec![
        Reply::Events("id: 1\ndata: one\n\n"),
        Reply::Events("id: 2\ndata: two\n\n"),
        Reply::Status(204),
    ])
    .await;
    let client = client(&server);
    let mut events = client
        .with(CallOptions::new().request_id("stream-1"))
        .log(1)
        .await
        .expect("the stream opens")
        .reconnect_delay(QUICK);
    assert_eq!(next(&mut events).await.expect("event one").data, "one");
    assert_eq!(next(&mut events).await.expect("event two").data, "two");

    let ids: Vec<_> = server
        .seen()
        .into_iter()
        .take(2)
        .map(|seen| seen.request_id)
        .collect();
    assert_eq!(
        ids,
        [Some("stream-1".to_owned()), Some("stream-1".to_owned())]
    );
}

#[tokio::test]
async fn a_stream_without_reconnects_ends_at_the_first_drop() {
    let server = SseServer::start(vec![Reply::Events("id: 1\ndata: only\n\n")]).await;
    let client = client(&server);
    let mut events = client
        .log(1)
        .await
        .expect("the stream opens")
        .max_reconnects(0);
    assert_eq!(next(&mut events).await.expect("the one event").data, "only");
    let error = next(&mut events).await.expect_err("the connection dropped");
    assert!(error.to_string().contains("does not reconnect"), "{error}");
    assert!(events.next_event().await.is_none());
    assert_eq!(server.seen().len(), 1, "no reconnection");
}
