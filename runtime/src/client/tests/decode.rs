// Decoders: a 2xx body as JSON, nothing, text, bytes, a stream, or with status and headers;
// a body that does not fit is a `Decode` error that does not repeat the body.

use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::Notify;

use super::server::{Reply, Server};
use super::{call, client, no_args, plain};
use crate::client::__macro::{AsBytes, AsJson, AsStream, AsText, AsUnit, Decode, WithAnswer};
use crate::client::{ByteStream, Error};

#[derive(Debug, Deserialize, PartialEq)]
struct Item {
    id: u32,
    title: String,
}

async fn decoded<D: Decode>(reply: Reply, decoder: D) -> Result<D::Output, Error> {
    let server = Server::start([reply]).await;
    let client = client(&server);
    call(&client, plain(), no_args, decoder).await
}

fn assert_decode_error_hides(error: &Error, hidden: &str) {
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    let text = format!("{error} {error:?}");
    assert!(text.contains("GET /items"), "{text}");
    assert!(!text.contains(hidden), "{text}");
}

#[tokio::test]
async fn json_decodes_into_the_return_type() {
    let item = decoded(
        Reply::ok(r#"{"id":7,"title":"first","extra":[1]}"#),
        AsJson::<Item>::new(),
    )
    .await
    .expect("the body is an item");
    assert_eq!(
        item,
        Item {
            id: 7,
            title: "first".to_owned()
        }
    );
}

#[tokio::test]
async fn invalid_json_is_a_decode_error_without_the_body() {
    let error = decoded(Reply::ok("not json sekrit-body"), AsJson::<Item>::new())
        .await
        .expect_err("not JSON");
    assert_decode_error_hides(&error, "sekrit-body");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_decode_error_without_its_values() {
    for body in [
        r#"{"id":"sekrit-value","title":"t"}"#,
        r#"{"id":1,"title":["sekrit-value"]}"#,
        r#"["sekrit-value"]"#,
    ] {
        let error = decoded(Reply::ok(body), AsJson::<Item>::new())
            .await
            .expect_err("not an item");
        assert_decode_error_hides(&error, "sekrit-value");
    }
}

#[tokio::test]
async fn a_wrong_type_says_what_was_expected_but_not_what_came() {
    let error = decoded(
        Reply::ok(r#"{"id":"sekrit, expected sekrit-tail","title":"t"}"#),
        AsJson::<Item>::new(),
    )
    .await
    .expect_err("not an item");
    assert_decode_error_hides(&error, "sekrit");
    assert!(error.to_string().contains("expected u32"), "{error}");
}

#[tokio::test]
async fn an_unknown_variant_is_not_repeated() {
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum State {
        Open,
        Closed,
    }
    let error = decoded(Reply::ok(r#""sekrit-state""#), AsJson::<State>::new())
        .await
        .expect_err("no such state");
    assert_decode_error_hides(&error, "sekrit-state");
    assert!(error.to_string().contains("line 1 column"), "{error}");
}

#[tokio::test]
async fn a_missing_field_is_named() {
    let error = decoded(Reply::ok(r#"{"id":1}"#), AsJson::<Item>::new())
        .await
        .expect_err("no title");
    assert!(error.to_string().contains("title"), "{error}");
}

#[tokio::test]
async fn unit_reads_and_drops_the_body() {
    decoded(Reply::ok("anything at all"), AsUnit)
        .await
        .expect("any body is fine");
}

#[tokio::test]
async fn text_is_the_body_as_utf8() {
    let text = decoded(Reply::ok("héllo"), AsText)
        .await
        .expect("UTF-8 text");
    assert_eq!(text, "héllo");
}

#[tokio::test]
async fn text_that_is_not_utf8_is_a_decode_error() {
    let error = decoded(Reply::ok(b"sekrit\xff\xfe".to_vec()), AsText)
        .await
        .expect_err("not UTF-8");
    assert_decode_error_hides(&error, "sekrit");
    assert!(error.to_string().contains("`Bytes`"), "{error}");
}

#[tokio::test]
async fn bytes_are_the_body_as_it_is() {
    let bytes = decoded(Reply::ok(b"\x00\xffraw".to_vec()), AsBytes)
        .await
        .expect("any bytes");
    assert_eq!(&bytes[..], b"\x00\xffraw");
}

/// Reads chunks until they add up to exactly `expected`.
async fn read_exactly(stream: &mut ByteStream, expected: &str) {
    let mut read = Vec::new();
    while read.len() < expected.len() {
        let chunk = stream
            .chunk()
            .await
            .expect("the body goes on")
            .expect("the chunk arrives");
        read.extend_from_slice(&chunk);
    }
    assert_eq!(String::from_utf8_lossy(&read), expected);
}

#[tokio::test]
async fn a_stream_hands_out_each_chunk_as_it_arrives() {
    let gate = Arc::new(Notify::new());
    let server = Server::start([Reply::chunked(
        &[b"first ", b"second ", b"third"],
        Arc::clone(&gate),
    )])
    .await;
    let client = client(&server);
    let mut stream = call(&client, plain(), no_args, AsStream)
        .await
        .expect("the answer starts");
    // The server sends the rest only when let through: the first chunk comes alone.
    read_exactly(&mut stream, "first ").await;
    gate.notify_one();
    read_exactly(&mut stream, "second ").await;
    gate.notify_one();
    read_exactly(&mut stream, "third").await;
    assert!(stream.chunk().await.is_none(), "the body has ended");
}

#[tokio::test]
async fn an_answer_carries_the_status_and_headers() {
    let answer = decoded(
        Reply::status(201)
            .header("etag", "\"v7\"")
            .body(r#"{"id":7,"title":"made"}"#),
        WithAnswer(AsJson::<Item>::new()),
    )
    .await
    .expect("the body is an item");
    assert_eq!(answer.status(), http::StatusCode::CREATED);
    assert_eq!(
        answer
            .headers()
            .get("etag")
            .map(http::HeaderValue::as_bytes),
        Some(&b"\"v7\""[..])
    );
    assert_eq!(answer.body().id, 7);
    assert_eq!(answer.into_body().title, "made");
}
