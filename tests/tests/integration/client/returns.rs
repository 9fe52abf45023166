//! Every kind of return of a `#[freshtoken::client]` method, decoded from a real HTTP answer
//! (httpmock on 127.0.0.1): a JSON struct, `()`, `String`, `Bytes`, a `ByteStream` read
//! chunk by chunk, `Answer<T>` with its status and headers, and `Json<T>`, which is JSON
//! whatever `T` is; and a non-2xx answer as an error with its status and the start of its body.

use bytes::Bytes;
use freshtoken::client::{Answer, ByteStream, Error, Json};
use freshtoken_tests::GatedSource;
use freshtoken_tests::client::open_cache;
use httpmock::Method::{DELETE, GET, POST};
use httpmock::MockServer;
use serde::Deserialize;
use serde_json::json;

/// An API with one method per kind of return.
#[freshtoken::client]
pub trait Returns {
    /// JSON.
    #[get("/task")]
    async fn task(&self) -> Result<Task>;

    /// Nothing.
    #[delete("/task")]
    async fn delete(&self) -> Result<()>;

    /// Text.
    #[get("/text")]
    async fn text(&self) -> Result<String>;

    /// Bytes.
    #[get("/bytes")]
    async fn bytes(&self) -> Result<Bytes>;

    /// A large body, as it arrives.
    #[get("/download")]
    async fn download(&self) -> Result<ByteStream>;

    /// JSON with the status and headers.
    #[post("/task")]
    async fn create(&self) -> Result<Answer<Task>>;

    /// A JSON string, decoded.
    #[get("/name")]
    async fn name(&self) -> Result<Json<String>>;

    /// The same answer as text.
    #[get("/name")]
    async fn name_text(&self) -> Result<String>;

    /// A JSON number.
    #[get("/count")]
    async fn count(&self) -> Result<Json<u64>>;

    /// A JSON array of bytes.
    #[get("/octets")]
    async fn octets(&self) -> Result<Json<Vec<u8>>>;

    /// A JSON string with the status and headers.
    #[get("/name")]
    async fn name_answer(&self) -> Result<Answer<Json<String>>>;
}

/// A task, as JSON.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct Task {
    /// Its id.
    pub id: u64,
    /// Its title.
    pub title: String,
}

async fn server() -> MockServer {
    // httpmock (0.7 did) may spin in this poll on a spent coop budget; unconstrained, it does not.
    tokio::task::unconstrained(MockServer::start_async()).await
}

fn client(server: &MockServer) -> ReturnsClient<GatedSource> {
    let (_, cache) = open_cache();
    ReturnsClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL")
}

/// `len` bytes that differ along the way, so a lost, repeated or reordered chunk shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i % 251).expect("below 251"))
        .collect()
}

#[tokio::test]
async fn json_is_decoded_into_the_struct() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/task");
            then.status(200)
                .json_body(json!({ "id": 7, "title": "write tests", "extra": [1, 2] }));
        })
        .await;
    let task = client(&server).task().await.expect("valid JSON");
    assert_eq!(
        task,
        Task {
            id: 7,
            title: "write tests".to_owned()
        }
    );
}

#[tokio::test]
async fn unit_reads_the_body_and_returns_nothing() {
    let server = server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/task");
            then.status(200).body("not JSON, and not read as such");
        })
        .await;
    client(&server).delete().await.expect("any 2xx body");
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn text_and_bytes_are_the_body_as_it_is() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/text");
            then.status(200).body("plain text é, not JSON");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/bytes");
            then.status(200).body(b"\xff\x00not utf-8");
        })
        .await;
    let client = client(&server);
    assert_eq!(
        client.text().await.expect("UTF-8 text"),
        "plain text é, not JSON"
    );
    assert_eq!(
        client.bytes().await.expect("any bytes"),
        Bytes::from_static(b"\xff\x00not utf-8")
    );
}

#[tokio::test]
async fn a_byte_stream_brings_a_megabyte_whole_in_chunks() {
    let body = pattern(1 << 20);
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/download");
            then.status(200).body(&body);
        })
        .await;
    let mut stream = client(&server).download().await.expect("a 200");
    let mut received = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.chunk().await {
        received.extend_from_slice(&chunk.expect("the connection holds"));
        chunks += 1;
    }
    // hyper reads at most ~400 KB at a time, so a megabyte that arrives in one chunk was
    // buffered whole before the method returned.
    assert!(chunks > 1, "the body arrived in {chunks} chunk(s)");
    assert_eq!(received.len(), body.len());
    assert!(received == body, "the bytes arrive in order, none lost");
}

#[tokio::test]
async fn an_answer_has_the_status_headers_and_decoded_body() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/task");
            then.status(201)
                .header("etag", "\"v1\"")
                .json_body(json!({ "id": 8, "title": "new" }));
        })
        .await;
    let answer = client(&server).create().await.expect("a 201");
    assert_eq!(answer.status(), 201);
    assert_eq!(
        answer
            .headers()
            .get("etag")
            .and_then(|value| value.to_str().ok()),
        Some("\"v1\"")
    );
    assert_eq!(
        answer.into_body(),
        Task {
            id: 8,
            title: "new".to_owned()
        }
    );
}

#[tokio::test]
async fn a_non_2xx_answer_is_an_error_with_its_status_and_body() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/task");
            then.status(404).body(r#"{"error":"no such task"}"#);
        })
        .await;
    let error = client(&server).task().await.expect_err("a 404");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(404));
    assert_eq!(error.body(), Some(r#"{"error":"no such task"}"#));
    assert!(!error.is_unauthorized());
    let text = error.to_string();
    assert!(
        text.contains("GET /task") && text.contains("404") && text.contains("no such task"),
        "the message names the call, the status and the body: {text}"
    );
}

#[tokio::test]
async fn a_large_error_body_is_cut_to_the_limit() {
    let page = "x".repeat(100 * 1024);
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/task");
            then.status(500).body(&page);
        })
        .await;
    let error = client(&server).task().await.expect_err("a 500");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(500));
    let body = error.body().expect("a status error has a body");
    assert!(
        !body.is_empty() && body.len() <= Error::MAX_BODY,
        "{} bytes kept of the 100 KB body; at most {}",
        body.len(),
        Error::MAX_BODY
    );
    assert!(page.starts_with(body), "the start of the body is kept");
    assert!(error.to_string().len() < Error::MAX_BODY + 200);
}

#[tokio::test]
async fn json_of_string_strips_the_quotes_that_string_keeps() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/name");
            then.status(200).body(r#""abc""#);
        })
        .await;
    let client = client(&server);
    let name: Json<String> = client.name().await.expect("a JSON string");
    assert_eq!(name.into_inner(), "abc");
    assert_eq!(
        client.name_text().await.expect("any text"),
        r#""abc""#,
        "`String` is the body as it is"
    );
    let answer = client.name_answer().await.expect("a JSON string");
    assert_eq!(answer.status(), 200);
    assert_eq!(*answer.body(), Json("abc".to_owned()));
}

#[tokio::test]
async fn json_of_a_number_or_of_bytes_reads_the_json_value() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/count");
            then.status(200).body("42");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/octets");
            then.status(200).body("[1, 2, 255]");
        })
        .await;
    let client = client(&server);
    assert_eq!(*client.count().await.expect("a JSON number"), 42);
    assert_eq!(
        client.octets().await.expect("a JSON array").0,
        [1, 2, 255],
        "the array's values, not the body's bytes"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_decode_error_naming_the_method_not_the_body() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/name");
            then.status(200).body("hunter2 is not JSON");
        })
        .await;
    let error = client(&server).name().await.expect_err("not JSON");
    assert!(matches!(&error, Error::Decode { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("name (GET /name)"), "names the call: {text}");
    assert!(
        !text.contains("hunter2") && !format!("{error:?}").contains("hunter2"),
        "the body is not quoted: {text}"
    );
}
