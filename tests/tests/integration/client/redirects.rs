//! Redirects of a `#[freshtoken::client]` client between two httpmock servers on 127.0.0.1,
//! the API and another origin (another port): a redirect to another origin is not followed,
//! so neither the token nor a header nor the body reaches it; a 401 from another origin (a
//! redirect the caller's own HTTP client followed) invalidates nothing and is not retried; a
//! redirect within the API's origin is followed with the token and the body, and its 401
//! still gets the one retry; the redirect policy given to the caller's own client.

use freshtoken::client::Error;
use freshtoken_tests::client::open_cache;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use serde_json::json;

/// An API whose calls the tests redirect.
#[freshtoken::client]
pub trait Moved {
    /// Authenticated, with a secret header and a body.
    #[post("/upload")]
    async fn upload(
        &self,
        #[header("x-api-key")] key: &str,
        #[json] body: &serde_json::Value,
    ) -> Result<()>;

    /// Authenticated.
    #[get("/me")]
    async fn me(&self) -> Result<String>;
}

const KEY: &str = "KEY-SECRET-51c0";

async fn server() -> MockServer {
    // httpmock may spin in this poll on a spent coop budget; unconstrained, it does not.
    tokio::task::unconstrained(MockServer::start_async()).await
}

/// A mock of `server` that answers every request with `status`: what reaches that origin.
async fn catch_all(server: &MockServer, status: u16) -> httpmock::Mock<'_> {
    server
        .mock_async(|_when, then| {
            then.status(status);
        })
        .await
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed_and_sends_it_nothing() {
    let api = server().await;
    let other = server().await;
    let reached = catch_all(&other, 200).await;
    let target = other.url("/collect?sig=SIGNATURE-0d2e");
    api.mock_async(|when, then| {
        when.method(POST).path("/upload");
        then.status(307).header("location", &target);
    })
    .await;
    let (source, cache) = open_cache();
    let client = MovedClient::builder(api.base_url(), cache)
        .build()
        .expect("a valid base URL");

    let error = client
        .upload(KEY, &json!({"secret": "body"}))
        .await
        .expect_err("the redirect is the answer");

    assert_eq!(
        reached.calls_async().await,
        0,
        "no token, header or body to the other origin"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("upload (POST /upload): ") && text.contains(&other.base_url()),
        "names the call and the target's origin: {text}"
    );
    assert!(
        !text.contains("sig=") && !text.contains("/collect"),
        "not the target's path or query: {text}"
    );
    assert!(
        matches!(&error, Error::Redirected { status, origin, .. }
            if status.as_u16() == 307 && *origin == other.base_url()),
        "{error:?}"
    );
    assert!(!error.is_unauthorized());
    assert_eq!(source.calls(), 1);
}

#[tokio::test]
async fn your_own_client_with_the_redirect_policy_stops_at_another_origin_too() {
    let api = server().await;
    let other = server().await;
    let reached = catch_all(&other, 200).await;
    let target = other.url("/collect");
    api.mock_async(|when, then| {
        when.method(POST).path("/upload");
        then.status(308).header("location", &target);
    })
    .await;
    let (_source, cache) = open_cache();
    let http = reqwest::Client::builder()
        .redirect(freshtoken::client::redirect_policy())
        .build()
        .expect("a client");
    let client = MovedClient::builder(api.base_url(), cache)
        .http_client(http)
        .build()
        .expect("a valid base URL");

    let error = client
        .upload(KEY, &json!({"secret": "body"}))
        .await
        .expect_err("the redirect is the answer");

    assert!(matches!(error, Error::Redirected { .. }), "{error:?}");
    assert_eq!(reached.calls_async().await, 0);
}

#[tokio::test]
async fn a_401_from_another_origin_invalidates_nothing_and_is_not_retried() {
    let api = server().await;
    let other = server().await;
    let reached = catch_all(&other, 401).await;
    let target = other.url("/login");
    let moved = api
        .mock_async(|when, then| {
            when.method(GET).path("/me");
            then.status(302).header("location", &target);
        })
        .await;
    let (source, cache) = open_cache();
    // The caller's own client, which follows redirects anywhere.
    let client = MovedClient::builder(api.base_url(), cache.clone())
        .http_client(reqwest::Client::new())
        .build()
        .expect("a valid base URL");

    let error = client.me().await.expect_err("the other origin refused");

    assert_eq!(reached.calls_async().await, 1);
    assert_eq!(moved.calls_async().await, 1, "no retry");
    assert_eq!(source.calls(), 1, "no refresh forced");
    assert_eq!(
        cache
            .cached()
            .map(|token| token.access_token().expose_secret().to_owned()),
        Some("access-1".to_owned()),
        "the API's token is kept"
    );
    assert!(
        matches!(&error, Error::OtherOrigin { status, .. } if status.as_u16() == 401),
        "{error:?}"
    );
    assert!(!error.is_unauthorized(), "not the API's 401: {error}");
    assert!(error.to_string().contains(&other.base_url()), "{error}");
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_token_header_and_body_and_its_401_retried() {
    let api = server().await;
    let target = api.url("/v2/upload");
    let moved = api
        .mock_async(|when, then| {
            when.method(POST).path("/upload");
            then.status(308).header("location", &target);
        })
        .await;
    let rejected = api
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/upload")
                .header("authorization", "Bearer access-1")
                .header("x-api-key", KEY)
                .json_body(json!({"n": 1}));
            then.status(401);
        })
        .await;
    let accepted = api
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/upload")
                .header("authorization", "Bearer access-2")
                .header("x-api-key", KEY)
                .json_body(json!({"n": 1}));
            then.status(204);
        })
        .await;
    let (source, cache) = open_cache();
    let client = MovedClient::builder(api.base_url(), cache)
        .build()
        .expect("a valid base URL");

    client
        .upload(KEY, &json!({"n": 1}))
        .await
        .expect("the retry with a new token is accepted");

    assert_eq!(moved.calls_async().await, 2);
    assert_eq!(rejected.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
    assert_eq!(source.calls(), 2, "one refresh for the 401");
}

#[tokio::test]
async fn errors_of_a_redirect_name_no_secret() {
    let api = server().await;
    let other = server().await;
    let target = other.url("/collect");
    api.mock_async(|when, then| {
        when.method(POST).path("/upload");
        then.status(307).header("location", &target);
    })
    .await;
    let (_source, cache) = open_cache();
    let client = MovedClient::builder(api.base_url(), cache)
        .build()
        .expect("a valid base URL");

    let error: Error = client
        .upload(KEY, &json!({}))
        .await
        .expect_err("the redirect is the answer");

    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains(KEY) && !shown.contains("access-1"),
        "{shown}"
    );
}
