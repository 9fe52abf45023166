//! The body of a non-2xx answer, decoded into a type over real HTTP (httpmock on 127.0.0.1):
//! RFC 9457 `application/problem+json` into `Problem` without any option, a type of the
//! trait's or the method's `error_body = ...`, reached from the client's error or from an
//! error of the user's own; a body that does not decode keeps its text; a body that echoes
//! the token is decoded from the redacted text; and a 401 still costs one resend.

use freshtoken::client::{Error, Problem};
use freshtoken_tests::GatedSource;
use freshtoken_tests::client::open_cache;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use serde::Deserialize;

const PROBLEM_JSON: &str = "application/problem+json";

/// An API whose errors are problem documents, and one method whose errors are its own.
#[freshtoken::client(error_body = Fault)]
pub trait Failing {
    /// Errors as `Fault` (the trait's option), or as `Problem` for problem+json.
    #[get("/item")]
    async fn item(&self) -> Result<String>;

    /// Errors as `Rejection` (the method's option, over the trait's).
    #[post("/orders", error_body = Rejection)]
    async fn order(&self) -> Result<()>;
}

/// An API without `error_body`.
#[freshtoken::client]
pub trait Plain {
    /// Errors as `Problem` for problem+json only.
    #[get("/item")]
    async fn item(&self) -> Result<String>;
}

/// The trait's error body.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct Fault {
    /// A code.
    pub code: String,
}

/// The `order` method's error body.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct Rejection {
    /// Why.
    pub reason: String,
    /// What to fix.
    pub field: String,
}

/// An error of the user's own, as `error = ApiError` has it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// What the client said.
    #[error(transparent)]
    Client(#[from] Error),
}

/// The same API with the user's error.
#[freshtoken::client(error = ApiError, error_body = Fault)]
pub trait Owned {
    /// Errors as `Fault`.
    #[get("/item")]
    async fn item(&self) -> Result<String>;
}

async fn server() -> MockServer {
    // httpmock (0.7 did) may spin in this poll on a spent coop budget; unconstrained, it does not.
    tokio::task::unconstrained(MockServer::start_async()).await
}

fn failing(server: &MockServer) -> (GatedSource, FailingClient<GatedSource>) {
    let (source, cache) = open_cache();
    let client = FailingClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");
    (source, client)
}

fn plain(server: &MockServer) -> PlainClient<GatedSource> {
    let (_, cache) = open_cache();
    PlainClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL")
}

#[tokio::test]
async fn a_problem_json_4xx_and_5xx_decode_into_problem_without_an_option() {
    for (status, title) in [(404, "Not Found"), (503, "Unavailable")] {
        let server = server().await;
        let body = format!(
            r#"{{"type":"https://example.com/probs/out-of-credit","title":"{title}","status":{status},"detail":"Your balance is 30, but that costs 50.","instance":"/account/12345/msgs/abc","balance":30}}"#
        );
        server
            .mock_async(|when, then| {
                when.method(GET).path("/item");
                then.status(status)
                    .header("content-type", "application/problem+json; charset=utf-8")
                    .body(&body);
            })
            .await;
        let error = plain(&server).item().await.expect_err("a non-2xx");
        assert_eq!(error.body(), Some(body.as_str()), "the raw text is kept");
        let problem = error
            .error_body::<Problem>()
            .unwrap_or_else(|| panic!("a {status} problem+json decodes: {error:?}"));
        assert_eq!(
            problem.type_.as_deref(),
            Some("https://example.com/probs/out-of-credit")
        );
        assert_eq!(problem.title.as_deref(), Some(title));
        assert_eq!(problem.status, Some(status));
        assert_eq!(
            problem.detail.as_deref(),
            Some("Your balance is 30, but that costs 50.")
        );
        assert_eq!(problem.instance.as_deref(), Some("/account/12345/msgs/abc"));
        assert_eq!(problem.extensions["balance"], 30);
        assert_eq!(
            problem.to_string(),
            format!("{title}: Your balance is 30, but that costs 50.")
        );
    }
}

#[tokio::test]
async fn plain_json_errors_decode_only_with_an_error_body_option() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/item");
            then.status(409)
                .header("content-type", "application/json")
                .body(r#"{"code":"conflict"}"#);
        })
        .await;
    let error = plain(&server).item().await.expect_err("a 409");
    assert!(
        error.error_body::<Problem>().is_none(),
        "application/json is not taken for a problem: {error:?}"
    );
    let (_, failing) = failing(&server);
    let error = failing.item().await.expect_err("a 409");
    assert_eq!(
        error.error_body::<Fault>(),
        Some(&Fault {
            code: "conflict".to_owned()
        })
    );
    assert!(
        error.error_body::<Problem>().is_none(),
        "one type: {error:?}"
    );
}

#[tokio::test]
async fn a_method_s_error_body_decodes_into_its_type_over_the_trait_s() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/orders");
            then.status(422)
                .body(r#"{"reason":"too many","field":"quantity"}"#);
        })
        .await;
    let (_, client) = failing(&server);
    let error = client.order().await.expect_err("a 422");
    assert_eq!(
        error.error_body::<Rejection>(),
        Some(&Rejection {
            reason: "too many".to_owned(),
            field: "quantity".to_owned()
        })
    );
    assert!(error.error_body::<Fault>().is_none(), "{error:?}");
}

#[tokio::test]
async fn a_problem_json_that_does_not_fit_the_option_s_type_is_still_a_problem() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/item");
            then.status(400)
                .header("content-type", PROBLEM_JSON)
                .body(r#"{"title":"Bad request"}"#);
        })
        .await;
    let (_, client) = failing(&server);
    let error = client.item().await.expect_err("a 400");
    assert!(error.error_body::<Fault>().is_none(), "{error:?}");
    assert_eq!(
        error
            .error_body::<Problem>()
            .and_then(|problem| problem.title.as_deref()),
        Some("Bad request")
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_keeps_its_text_and_decodes_into_nothing() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/item");
            then.status(502)
                .header("content-type", PROBLEM_JSON)
                .body("<html>Bad gateway</html>");
        })
        .await;
    let (_, client) = failing(&server);
    let error = client.item().await.expect_err("a 502");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(502));
    assert_eq!(error.body(), Some("<html>Bad gateway</html>"));
    assert!(error.error_body::<Fault>().is_none(), "{error:?}");
    assert!(error.error_body::<Problem>().is_none(), "{error:?}");
}

#[tokio::test]
async fn an_error_body_echoing_the_token_is_decoded_from_the_redacted_text() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/item");
            then.status(400)
                .header("content-type", PROBLEM_JSON)
                .body(r#"{"title":"Bad token","detail":"Bearer access-1 is malformed"}"#);
        })
        .await;
    let error = plain(&server).item().await.expect_err("a 400");
    let problem = error.error_body::<Problem>().expect("a problem");
    let detail = problem.detail.as_deref().expect("a detail");
    assert!(!detail.contains("access-1"), "{detail}");
    assert!(detail.contains("[redacted]"), "{detail}");
    assert!(!format!("{error:?}").contains("access-1"), "{error:?}");
}

#[tokio::test]
async fn a_401_with_an_error_body_is_resent_once_and_its_body_decoded() {
    let server = server().await;
    let refused = server
        .mock_async(|when, then| {
            when.method(GET).path("/item");
            then.status(401)
                .header("content-type", "application/json")
                .body(r#"{"code":"expired"}"#);
        })
        .await;
    let (source, client) = failing(&server);
    let error = client.item().await.expect_err("two 401s");
    assert_eq!(
        refused.calls_async().await,
        2,
        "one resend with a new token"
    );
    assert_eq!(source.calls(), 2);
    assert!(error.is_unauthorized());
    assert_eq!(
        error.error_body::<Fault>(),
        Some(&Fault {
            code: "expired".to_owned()
        })
    );
}

#[tokio::test]
async fn an_error_of_the_user_s_own_reaches_the_error_body_through_the_client_s_error() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/item");
            then.status(429).body(r#"{"code":"slow down"}"#);
        })
        .await;
    let (_, cache) = open_cache();
    let client = OwnedClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");
    let ApiError::Client(error) = client.item().await.expect_err("a 429");
    assert_eq!(
        error.error_body::<Fault>().map(|fault| fault.code.as_str()),
        Some("slow down")
    );
}
