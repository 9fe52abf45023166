//! What a `#[freshtoken::client]` request says about itself, at a real HTTP server (httpmock on
//! 127.0.0.1): the `Accept` its return type asks for (the method's or a default `accept`
//! header over it), no body for an optional body that is `None`, and nested objects and
//! arrays in a query or form in the bracket style (`metadata[key]=v`, `items[0][price]=x`).

use std::collections::BTreeMap;

use bytes::Bytes;
use freshtoken::client::{Answer, Json};
use freshtoken_tests::GatedSource;
use freshtoken_tests::client::open_cache;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use httpmock::prelude::HttpMockRequest;
use serde::{Deserialize, Serialize};

/// An API answering by `Accept`, taking optional bodies and nested values.
#[freshtoken::client]
pub trait Shaped {
    /// JSON.
    #[get("/doc")]
    async fn json(&self) -> Result<Doc>;

    /// JSON, in `Json`.
    #[get("/doc")]
    async fn wrapped(&self) -> Result<Json<Doc>>;

    /// JSON with the status and headers.
    #[get("/doc")]
    async fn answer(&self) -> Result<Answer<Doc>>;

    /// Text: whatever the server's default is.
    #[get("/doc")]
    async fn text(&self) -> Result<String>;

    /// Bytes.
    #[get("/doc")]
    async fn bytes(&self) -> Result<Bytes>;

    /// Nothing.
    #[get("/doc")]
    async fn unit(&self) -> Result<()>;

    /// JSON, but the method names its own media type.
    #[get("/doc")]
    #[header("accept", "application/vnd.doc+json")]
    async fn vendor(&self) -> Result<Doc>;

    /// JSON, but the caller names the media type.
    #[get("/doc")]
    async fn chosen(&self, #[header("accept")] accept: &str) -> Result<Doc>;

    /// An optional JSON body.
    #[post("/json")]
    async fn json_body(&self, #[json] doc: Option<&Doc>) -> Result<()>;

    /// An optional form body.
    #[post("/form")]
    async fn form_body(&self, #[form] doc: Option<&Doc>) -> Result<()>;

    /// An optional raw body.
    #[post("/raw")]
    async fn raw_body(&self, #[body] data: Option<&[u8]>) -> Result<()>;

    /// A Stripe-like list query.
    #[get("/charges")]
    async fn charges(&self, #[query(flatten, brackets)] list: &ListCharges) -> Result<()>;

    /// A Stripe-like form.
    #[post("/checkout")]
    async fn checkout(&self, #[form(brackets)] session: &Checkout) -> Result<()>;

    /// A nested form without `brackets`.
    #[post("/checkout")]
    async fn checkout_flat(&self, #[form] session: &Checkout) -> Result<()>;

    /// A nested query without `brackets`.
    #[get("/charges")]
    async fn charges_flat(&self, #[query(flatten)] list: &ListCharges) -> Result<()>;
}

/// A document.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doc {
    /// Its name.
    pub name: String,
}

/// Stripe's list parameters: a range object and an array of scalars.
#[derive(Debug, Serialize)]
pub struct ListCharges {
    /// A range.
    pub created: Range,
    /// Fields to expand.
    pub expand: Vec<&'static str>,
    /// A scalar.
    pub limit: u32,
}

/// `created[gte]=..&created[lt]=..`.
#[derive(Debug, Serialize)]
pub struct Range {
    /// From.
    pub gte: u64,
    /// Before.
    pub lt: u64,
}

/// A Stripe-like checkout session: a map and an array of objects.
#[derive(Debug, Serialize)]
pub struct Checkout {
    /// Free-form keys.
    pub metadata: BTreeMap<&'static str, &'static str>,
    /// Lines.
    pub line_items: Vec<LineItem>,
    /// A scalar.
    pub mode: &'static str,
}

/// One line.
#[derive(Debug, Serialize)]
pub struct LineItem {
    /// A price id.
    pub price: &'static str,
    /// How many.
    pub quantity: u32,
}

async fn server() -> MockServer {
    // httpmock (0.7 did) may spin in this poll on a spent coop budget; unconstrained, it does not.
    tokio::task::unconstrained(MockServer::start_async()).await
}

fn client(server: &MockServer) -> ShapedClient<GatedSource> {
    let (_, cache) = open_cache();
    ShapedClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL")
}

fn doc() -> Doc {
    Doc {
        name: "a b".to_owned(),
    }
}

fn accept_of(request: &HttpMockRequest) -> Vec<String> {
    request
        .headers_vec()
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("accept"))
        .map(|(_, value)| value.clone())
        .collect()
}

/// A server that answers JSON to whoever asks for it and 406 to anyone else.
async fn negotiating_server() -> MockServer {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/doc")
                .is_true(|request| accept_of(request) == ["application/json"]);
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"name":"json"}"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/doc")
                .is_true(|request| accept_of(request) == ["*/*"]);
            then.status(200).body("any");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/doc")
                .is_true(|request| accept_of(request) == ["application/vnd.doc+json"]);
            then.status(200).body(r#"{"name":"vendor"}"#);
        })
        .await;
    server
}

#[tokio::test]
async fn a_method_returning_json_asks_for_json() {
    let server = negotiating_server().await;
    let client = client(&server);
    let json = Doc {
        name: "json".to_owned(),
    };
    assert_eq!(client.json().await.expect("asked for JSON"), json);
    assert_eq!(client.wrapped().await.expect("asked for JSON").0, json);
    assert_eq!(
        client.answer().await.expect("asked for JSON").into_body(),
        json
    );
}

#[tokio::test]
async fn a_method_returning_text_bytes_or_nothing_asks_for_anything() {
    let server = negotiating_server().await;
    let client = client(&server);
    assert_eq!(client.text().await.expect("asked for anything"), "any");
    assert_eq!(
        client.bytes().await.expect("asked for anything"),
        Bytes::from_static(b"any")
    );
    client.unit().await.expect("asked for anything");
}

#[tokio::test]
async fn a_method_s_accept_header_or_a_default_one_wins_over_json() {
    let server = negotiating_server().await;
    let client = client(&server);
    assert_eq!(
        client.vendor().await.expect("its own accept").name,
        "vendor"
    );
    let (_, cache) = open_cache();
    let client = ShapedClient::builder(server.base_url(), cache)
        .default_header("accept", "application/vnd.doc+json")
        .build()
        .expect("a valid base URL");
    assert_eq!(
        client.json().await.expect("the default accept").name,
        "vendor"
    );
}

#[tokio::test]
async fn an_optional_body_that_is_none_sends_no_body_and_no_content_type() {
    let server = server().await;
    let empty = |request: &HttpMockRequest| {
        request.body().is_empty()
            && !request
                .headers_vec()
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    };
    let mut mocks = Vec::new();
    for path in ["/json", "/form", "/raw"] {
        mocks.push(
            server
                .mock_async(|when, then| {
                    when.method(POST).path(path).is_true(empty);
                    then.status(204);
                })
                .await,
        );
    }
    let with_body = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/json")
                .header("content-type", "application/json")
                .body(r#"{"name":"a b"}"#);
            then.status(204);
        })
        .await;
    let client = client(&server);
    client.json_body(None).await.expect("no JSON body");
    client.form_body(None).await.expect("no form body");
    client.raw_body(None).await.expect("no raw body");
    client.json_body(Some(&doc())).await.expect("a JSON body");
    for mock in mocks {
        assert_eq!(mock.calls_async().await, 1);
    }
    assert_eq!(with_body.calls_async().await, 1);
}

fn list() -> ListCharges {
    ListCharges {
        created: Range { gte: 100, lt: 200 },
        expand: vec!["data.customer", "data.invoice"],
        limit: 3,
    }
}

fn checkout() -> Checkout {
    Checkout {
        metadata: BTreeMap::from([("order_id", "6735"), ("note", "a b&c")]),
        line_items: vec![
            LineItem {
                price: "price_1",
                quantity: 2,
            },
            LineItem {
                price: "price_2",
                quantity: 1,
            },
        ],
        mode: "payment",
    }
}

fn pairs_of(form: &[u8]) -> Vec<(String, String)> {
    let form = String::from_utf8_lossy(form);
    let url = reqwest::Url::parse(&format!("http://form.invalid/?{form}")).expect("a URL");
    url.query_pairs().into_owned().collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

#[tokio::test]
async fn nested_objects_and_arrays_go_in_brackets_in_a_query_and_a_form() {
    let server = server().await;
    let query = server
        .mock_async(|when, then| {
            when.method(GET).path("/charges").is_true(|request| {
                request.query_params()
                    == pairs(&[
                        ("created[gte]", "100"),
                        ("created[lt]", "200"),
                        ("expand[0]", "data.customer"),
                        ("expand[1]", "data.invoice"),
                        ("limit", "3"),
                    ])
            });
            then.status(204);
        })
        .await;
    let form = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/checkout")
                .header("content-type", "application/x-www-form-urlencoded")
                .is_true(|request| {
                    pairs_of(request.body_ref())
                        == pairs(&[
                            ("metadata[note]", "a b&c"),
                            ("metadata[order_id]", "6735"),
                            ("line_items[0][price]", "price_1"),
                            ("line_items[0][quantity]", "2"),
                            ("line_items[1][price]", "price_2"),
                            ("line_items[1][quantity]", "1"),
                            ("mode", "payment"),
                        ])
                });
            then.status(204);
        })
        .await;
    let client = client(&server);
    client.charges(&list()).await.expect("the query matches");
    client
        .checkout(&checkout())
        .await
        .expect("the form matches");
    assert_eq!(query.calls_async().await, 1);
    assert_eq!(form.calls_async().await, 1);
}

#[tokio::test]
async fn a_nested_value_without_brackets_is_an_error_that_names_brackets() {
    let server = server().await;
    let client = client(&server);
    let error = client
        .checkout_flat(&checkout())
        .await
        .expect_err("a nested form");
    let text = error.to_string();
    assert!(text.contains("`session`"), "{text}");
    assert!(text.contains("#[form(brackets)]"), "{text}");
    let error = client
        .charges_flat(&list())
        .await
        .expect_err("a nested query");
    let text = error.to_string();
    assert!(text.contains("`list`"), "{text}");
    assert!(text.contains("#[query(flatten, brackets)]"), "{text}");
}
