// A method with a `retry` option against the scripted server, on tokio's paused clock: a
// timed-out attempt is sent again, and every attempt builds its request (and body) anew.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use http::Method;

use super::server::{Recorded, Reply, Server};
use super::{call, client, leak, spec};
use crate::client::__macro::{AsText, PathPart, Transient};

const QUICK: Transient = Transient {
    attempts: 3,
    backoff: Duration::from_millis(1),
    max_delay: Duration::from_millis(1),
};

#[tokio::test(start_paused = true)]
async fn a_timed_out_attempt_of_a_retried_method_is_sent_again() {
    let server = Server::start([Reply::hang(), Reply::ok("done")]).await;
    let mut retried = spec("/items", &[PathPart::Literal("/items")], false);
    retried.timeout = Some(Duration::from_secs(2));
    retried.retry = Some(QUICK);
    let answer = call(&client(&server), leak(retried), super::no_args, AsText)
        .await
        .expect("the second attempt is answered");
    assert_eq!(answer, "done");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn each_attempt_builds_its_request_and_body_anew() {
    let server = Server::start([Reply::status(503), Reply::status(502), Reply::ok("made")]).await;
    let mut retried = spec("/orders", &[PathPart::Literal("/orders")], false);
    retried.method = Method::PUT;
    retried.retry = Some(QUICK);
    let builds = AtomicU32::new(0);
    let answer = call(
        &client(&server),
        leak(retried),
        |request| {
            builds.fetch_add(1, Ordering::SeqCst);
            request.json("order", &serde_json::json!({ "item": 7 }))
        },
        AsText,
    )
    .await
    .expect("the third attempt succeeds");
    assert_eq!(answer, "made");
    assert_eq!(builds.load(Ordering::SeqCst), 3, "one build per attempt");
    let bodies: Vec<String> = server.requests().iter().map(Recorded::body_text).collect();
    assert_eq!(bodies, [r#"{"item":7}"#; 3], "the same body each time");
}
