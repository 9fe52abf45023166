// Request bodies: JSON, form, raw bytes and text, streams, multipart; each with its
// content type and its bytes as the server received them.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::Serialize;

use super::server::{Recorded, Reply, Server};
use super::{call, client, invalid_param, leak, spec};
use crate::client::__macro::{AsUnit, PathPart, Request, Spec};
use crate::client::{Error, Multipart, Streamed};

fn post() -> &'static Spec {
    let mut post = spec("/items", &[PathPart::Literal("/items")], false);
    post.method = http::Method::POST;
    leak(post)
}

async fn sent(
    build: impl Fn(&mut Request) -> Result<(), Error> + Send + Sync,
) -> Result<Recorded, Error> {
    let server = Server::start([Reply::status(204)]).await;
    let client = client(&server);
    call(&client, post(), build, AsUnit).await?;
    Ok(server.only_request())
}

#[allow(clippy::unnecessary_wraps)] // the shape `Streamed::new` takes
fn chunks(parts: &'static [&'static str]) -> Result<reqwest::Body, String> {
    let stream =
        futures_util::stream::iter(parts.iter().map(|part| Ok::<_, std::io::Error>(*part)));
    Ok(reqwest::Body::wrap_stream(stream))
}

#[derive(Serialize)]
struct NewItem {
    title: &'static str,
    done: bool,
}

#[tokio::test]
async fn json_is_sent_as_application_json() {
    let item = NewItem {
        title: "a \"b\" é",
        done: false,
    };
    let request = sent(|request| request.json("item", &item))
        .await
        .expect("the call succeeds");
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.body, serde_json::to_vec(&item).unwrap());
}

#[tokio::test]
async fn json_that_cannot_be_serialized_is_refused_naming_the_parameter() {
    let mut map = BTreeMap::new();
    map.insert(vec![1_u8], 1);
    let error = sent(|request| request.json("map", &map))
        .await
        .expect_err("JSON keys must be strings");
    assert_eq!(invalid_param(&error), "map");
}

#[tokio::test]
async fn a_form_is_sent_urlencoded() {
    let item = NewItem {
        title: "a b&c",
        done: true,
    };
    let request = sent(|request| request.form("item", &item))
        .await
        .expect("the call succeeds");
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.body_text(), "title=a+b%26c&done=true");
}

#[tokio::test]
async fn text_is_sent_as_utf8_text() {
    let request = sent(|request| request.body("text", "héllo"))
        .await
        .expect("the call succeeds");
    assert_eq!(
        request.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(request.body_text(), "héllo");

    let owned = String::from("owned");
    let request = sent(|request| request.body("text", &owned))
        .await
        .expect("the call succeeds");
    assert_eq!(
        request.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(request.body_text(), "owned");
}

#[tokio::test]
async fn bytes_are_sent_as_octet_stream() {
    let raw = vec![0_u8, 159, 146, 150, 255];
    let request = sent(|request| request.body("data", &raw))
        .await
        .expect("the call succeeds");
    assert_eq!(
        request.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(request.body, raw);

    let shared = Bytes::from_static(b"\x00shared\xff");
    let request = sent(|request| request.body("data", &shared))
        .await
        .expect("the call succeeds");
    assert_eq!(
        request.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(request.body, shared);

    let request = sent(|request| request.body("data", &b"slice"[..]))
        .await
        .expect("the call succeeds");
    assert_eq!(request.body, b"slice");
}

#[tokio::test]
async fn a_streamed_body_is_sent_whole_with_its_content_type() {
    let upload = Streamed::new(|| chunks(&["part one, ", "part two"])).content_type("text/csv");
    let request = sent(|request| request.body("upload", &upload))
        .await
        .expect("the call succeeds");
    assert_eq!(request.header("content-type"), Some("text/csv"));
    assert_eq!(request.header("transfer-encoding"), Some("chunked"));
    assert_eq!(request.body_text(), "part one, part two");
}

#[tokio::test]
async fn a_streamed_body_that_cannot_open_is_refused_before_sending() {
    let server = Server::start([Reply::status(204)]).await;
    let client = client(&server);
    let upload = Streamed::new(|| Err("the file is gone".to_owned()));
    let error = call(
        &client,
        post(),
        |request| request.body("upload", &upload),
        AsUnit,
    )
    .await
    .expect_err("the stream cannot open");
    assert_eq!(invalid_param(&error), "upload");
    assert!(error.to_string().contains("the file is gone"), "{error}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_multipart_form_arrives_with_its_parts() {
    let form = Multipart::new().text("title", "report").file(
        "file",
        "report.csv",
        "text/csv",
        b"a,b\n1,2\n".to_vec(),
    );
    let request = sent(|request| request.multipart("form", &form))
        .await
        .expect("the call succeeds");
    let content_type = request.header("content-type").expect("a content type");
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("not multipart: {content_type}"));
    let body = request.body_text();
    assert!(body.starts_with(&format!("--{boundary}\r\n")), "{body}");
    assert!(body.ends_with(&format!("--{boundary}--\r\n")), "{body}");
    let parts: Vec<&str> = body.split(&format!("--{boundary}")).collect();
    // Before the first delimiter, two parts, after the closing one.
    assert_eq!(parts.len(), 4, "{body}");
    assert!(
        parts[1].contains("Content-Disposition: form-data; name=\"title\"")
            && parts[1].ends_with("\r\n\r\nreport\r\n"),
        "{}",
        parts[1]
    );
    assert!(
        parts[2].contains("name=\"file\"; filename=\"report.csv\"")
            && parts[2].contains("Content-Type: text/csv")
            && parts[2].ends_with("\r\n\r\na,b\n1,2\n\r\n"),
        "{}",
        parts[2]
    );
}

#[tokio::test]
async fn a_multipart_part_with_a_bad_content_type_is_refused_naming_the_parameter() {
    let form = Multipart::new().file("file", "a.bin", "not a type", b"x".to_vec());
    let error = sent(|request| request.multipart("form", &form))
        .await
        .expect_err("the content type is invalid");
    assert_eq!(invalid_param(&error), "form");
    assert!(error.to_string().contains("part `file`"), "{error}");
}
