//! Every kind of parameter of a `#[freshtoken::client]` method arrives at a real HTTP server
//! (httpmock on 127.0.0.1) where the server expects it: path values percent-encoded as one
//! segment, query values (scalar, `None` omitted, sequences repeated, renamed, a struct's
//! fields), headers (per call, optional, per method, per client), and every kind of body.
//! Each mock matches only the exact request, so a request that differs gets httpmock's 404
//! and the call fails.

use bytes::Bytes;
use freshtoken::client::Multipart;
use freshtoken_tests::client::open_cache;
use httpmock::Method::{GET, POST, PUT};
use httpmock::MockServer;
use httpmock::prelude::HttpMockRequest;
use serde::Serialize;
use serde_json::json;

/// An API with one method per kind of parameter.
#[freshtoken::client]
pub trait Params {
    /// A path value.
    #[get("/files/{name}/meta")]
    async fn file(&self, name: &str) -> Result<()>;

    /// Query values of every kind.
    #[get("/search")]
    async fn search(
        &self,
        #[query] q: &str,
        #[query] limit: Option<u32>,
        #[query] tag: Vec<String>,
        #[query("page-size")] page_size: u32,
        #[query(flatten)] filter: &Filter,
    ) -> Result<()>;

    /// Headers per call, one optional, and one fixed by the method.
    #[get("/headers")]
    #[header("accept", "application/vnd.test+json")]
    async fn headers(
        &self,
        #[header("x-request-id")] request_id: &str,
        #[header("x-trace")] trace: Option<&str>,
    ) -> Result<()>;

    /// A JSON body.
    #[post("/json")]
    async fn json(&self, #[json] item: &Item) -> Result<()>;

    /// A form body.
    #[post("/form")]
    async fn form(&self, #[form] item: &Item) -> Result<()>;

    /// Bytes as they are.
    #[put("/bytes")]
    async fn slice(&self, #[body] data: &[u8]) -> Result<()>;

    /// Bytes as they are, from `Bytes`.
    #[put("/bytes")]
    async fn bytes(&self, #[body] data: Bytes) -> Result<()>;

    /// Text as it is.
    #[put("/text")]
    async fn text(&self, #[body] text: String) -> Result<()>;

    /// A multipart form.
    #[post("/upload")]
    async fn upload(&self, #[multipart] form: &Multipart) -> Result<()>;
}

/// Query fields sent by `#[query(flatten)]`.
#[derive(Debug, Serialize)]
pub struct Filter {
    /// Sent.
    pub state: &'static str,
    /// Omitted when `None`.
    pub owner: Option<&'static str>,
    /// Sent as `true`.
    pub mine: bool,
}

/// A body sent as JSON or as a form.
#[derive(Debug, Serialize)]
pub struct Item {
    /// Text with characters both encodings change.
    pub title: &'static str,
    /// A number.
    pub count: u32,
}

async fn server() -> MockServer {
    // httpmock (0.7 did) may spin in this poll on a spent coop budget; unconstrained, it does not.
    tokio::task::unconstrained(MockServer::start_async()).await
}

fn client(server: &MockServer) -> ParamsClient<freshtoken_tests::GatedSource> {
    let (_, cache) = open_cache();
    ParamsClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL")
}

/// Whether the request's query is exactly `expected`, decoded, in order.
fn query_is(request: &HttpMockRequest, expected: &[(&str, &str)]) -> bool {
    let query = request.query_params();
    query.len() == expected.len()
        && query
            .iter()
            .zip(expected)
            .all(|((name, value), (want_name, want_value))| {
                name == want_name && value == want_value
            })
}

fn header_of<'r>(request: &'r HttpMockRequest, name: &str) -> Option<&'r str> {
    request
        .headers_vec()
        .iter()
        .find(|(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn tags() -> Vec<String> {
    vec!["x".to_owned(), "y z".to_owned()]
}

const FILTER: Filter = Filter {
    state: "open",
    owner: None,
    mine: true,
};

#[tokio::test]
async fn a_path_value_is_one_percent_encoded_segment() {
    let server = server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/files/a%20b%2Fc/meta");
            then.status(204);
        })
        .await;
    client(&server)
        .file("a b/c")
        .await
        .expect("the mock matches");
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn query_values_none_omitted_sequences_repeated_renamed_and_flattened() {
    let server = server().await;
    let without_limit = server
        .mock_async(|when, then| {
            when.method(GET).path("/search").is_true(|request| {
                query_is(
                    request,
                    &[
                        ("q", "a b&c"),
                        ("tag", "x"),
                        ("tag", "y z"),
                        ("page-size", "50"),
                        ("state", "open"),
                        ("mine", "true"),
                    ],
                )
            });
            then.status(204);
        })
        .await;
    let with_limit = server
        .mock_async(|when, then| {
            when.method(GET).path("/search").is_true(|request| {
                query_is(
                    request,
                    &[
                        ("q", "a b&c"),
                        ("limit", "10"),
                        ("tag", "x"),
                        ("tag", "y z"),
                        ("page-size", "50"),
                        ("state", "open"),
                        ("mine", "true"),
                    ],
                )
            });
            then.status(204);
        })
        .await;
    let client = client(&server);
    client
        .search("a b&c", None, tags(), 50, &FILTER)
        .await
        .expect("the query without `limit` matches");
    client
        .search("a b&c", Some(10), tags(), 50, &FILTER)
        .await
        .expect("the query with `limit` matches");
    assert_eq!(without_limit.calls_async().await, 1);
    assert_eq!(with_limit.calls_async().await, 1);
}

#[tokio::test]
async fn headers_per_call_optional_per_method_and_per_client_are_sent() {
    let server = server().await;
    let without_trace = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/headers")
                .header("x-request-id", "req 42")
                .header("accept", "application/vnd.test+json")
                .header("x-api-version", "7")
                .is_true(|request| header_of(request, "x-trace").is_none());
            then.status(204);
        })
        .await;
    let with_trace = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/headers")
                .header("x-request-id", "req 43")
                .header("x-trace", "t-1")
                .header("accept", "application/vnd.test+json")
                .header("x-api-version", "7");
            then.status(204);
        })
        .await;
    let (_, cache) = open_cache();
    let client = ParamsClient::builder(server.base_url(), cache)
        .default_header("x-api-version", "7")
        .build()
        .expect("a valid base URL and header");
    client
        .headers("req 42", None)
        .await
        .expect("the request without `x-trace` matches");
    client
        .headers("req 43", Some("t-1"))
        .await
        .expect("the request with `x-trace` matches");
    assert_eq!(without_trace.calls_async().await, 1);
    assert_eq!(with_trace.calls_async().await, 1);
}

const ITEM: Item = Item {
    title: "a b&c=é",
    count: 3,
};

#[tokio::test]
async fn a_json_body_is_sent_as_json() {
    let server = server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/json")
                .header("content-type", "application/json")
                .json_body(json!({ "title": "a b&c=é", "count": 3 }));
            then.status(204);
        })
        .await;
    client(&server).json(&ITEM).await.expect("the mock matches");
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_form_body_is_sent_form_urlencoded() {
    let server = server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/form")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("title=a+b%26c%3D%C3%A9&count=3");
            then.status(204);
        })
        .await;
    client(&server).form(&ITEM).await.expect("the mock matches");
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_body_of_bytes_or_text_is_sent_as_it_is() {
    let server = server().await;
    let bytes = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/bytes")
                .header("content-type", "application/octet-stream")
                .body("\u{0}\u{1}raw bytes\u{7f}");
            then.status(204);
        })
        .await;
    let text = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/text")
                .header("content-type", "text/plain; charset=utf-8")
                .body("some text é");
            then.status(204);
        })
        .await;
    let client = client(&server);
    let raw: &[u8] = b"\x00\x01raw bytes\x7f";
    client.slice(raw).await.expect("the slice arrives");
    client
        .bytes(Bytes::from_static(raw))
        .await
        .expect("the `Bytes` arrive");
    client
        .text("some text é".to_owned())
        .await
        .expect("the text arrives");
    assert_eq!(bytes.calls_async().await, 2);
    assert_eq!(text.calls_async().await, 1);
}

#[tokio::test]
async fn a_multipart_form_brings_its_fields_and_file() {
    let server = server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/upload")
                .is_true(|request| {
                    header_of(request, "content-type")
                        .is_some_and(|value| value.starts_with("multipart/form-data; boundary="))
                })
                .body_includes("name=\"title\"\r\n\r\nquarterly report\r\n")
                .body_includes("name=\"file\"; filename=\"report.csv\"")
                .body_includes("Content-Type: text/csv\r\n\r\na,b\n1,2\n\r\n");
            then.status(204);
        })
        .await;
    let form = Multipart::new().text("title", "quarterly report").file(
        "file",
        "report.csv",
        "text/csv",
        b"a,b\n1,2\n".to_vec(),
    );
    client(&server)
        .upload(&form)
        .await
        .expect("the mock matches");
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_base_url_path_prefix_joins_the_template_with_one_slash() {
    let server = server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/files/x/meta");
            then.status(204);
        })
        .await;
    for base in [server.url("/v2"), server.url("/v2/")] {
        let (_, cache) = open_cache();
        let client = ParamsClient::builder(base.clone(), cache)
            .build()
            .expect("a valid base URL");
        client
            .file("x")
            .await
            .unwrap_or_else(|error| panic!("base URL {base}: {error}"));
    }
    assert_eq!(mock.calls_async().await, 2);
}
