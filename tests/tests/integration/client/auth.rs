//! The bearer token of a `#[freshtoken::client]` client against a real HTTP server (httpmock
//! on 127.0.0.1): none for `auth = none`; a 401 retried once with a new token and the body
//! made again; a second 401 returned; one refresh for a hundred concurrent calls; and the
//! user's own error type, through which a 401 still shows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use freshtoken::client::Streamed;
use freshtoken::{Token, Unauthorized};
use freshtoken_tests::GatedSource;
use freshtoken_tests::client::{TOKEN_LIFETIME, cache_over, open_cache};
use httpmock::Method::{GET, PUT};
use httpmock::MockServer;
use httpmock::prelude::HttpMockRequest;
use serde_json::json;

/// A body made by a closure for each attempt.
pub type Upload = Streamed<Box<dyn Fn() -> Result<reqwest::Body, String> + Send + Sync>>;

/// An API with public and authenticated methods, and one with the caller's error type.
#[freshtoken::client(error = ApiError)]
pub trait Auth {
    /// Public: no token.
    #[get("/health", auth = none)]
    async fn health(&self) -> Result<String, freshtoken::client::Error>;

    /// Authenticated.
    #[get("/me")]
    async fn me(&self) -> Result<serde_json::Value, freshtoken::client::Error>;

    /// Authenticated, with a body that can be sent only once.
    #[put("/upload")]
    async fn upload(&self, #[body] upload: &Upload) -> Result<(), freshtoken::client::Error>;

    /// Authenticated, failing with the caller's error type.
    #[get("/me")]
    async fn me_or_api_error(&self) -> Result<serde_json::Value>;
}

/// The caller's error type: the client's error is one of its cases.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A call failed.
    #[error(transparent)]
    Client(#[from] freshtoken::client::Error),
}

impl Unauthorized for ApiError {
    fn is_unauthorized(&self) -> bool {
        match self {
            Self::Client(error) => error.is_unauthorized(),
        }
    }
}

async fn server() -> MockServer {
    // httpmock (0.7 did) may spin in this poll on a spent coop budget; unconstrained, it does not.
    tokio::task::unconstrained(MockServer::start_async()).await
}

fn has_authorization(request: &HttpMockRequest) -> bool {
    request
        .headers_vec()
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
}

#[tokio::test]
async fn a_public_method_sends_no_token_and_never_asks_the_source() {
    let server = server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/health")
                .is_true(|request| !has_authorization(request));
            then.status(200).body("ok");
        })
        .await;
    let (source, cache) = open_cache();
    let client = AuthClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");
    assert_eq!(
        client.health().await.expect("no Authorization header"),
        "ok"
    );
    assert_eq!(mock.calls_async().await, 1);
    assert_eq!(source.calls(), 0, "the source is never called");
}

#[tokio::test]
async fn a_401_is_retried_once_with_a_new_token_and_the_body_made_again() {
    const BODY: &str = "part one, part two";
    let server = server().await;
    let rejected = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/upload")
                .header("authorization", "Bearer access-1")
                .body(BODY);
            then.status(401);
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/upload")
                .header("authorization", "Bearer access-2")
                .body(BODY);
            then.status(204);
        })
        .await;
    let (source, cache) = open_cache();
    let client = AuthClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");
    let opened = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&opened);
    let upload: Upload = Streamed::new(Box::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let chunks = [Ok::<_, std::io::Error>("part one, "), Ok("part two")];
        Ok(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
    }));

    client
        .upload(&upload)
        .await
        .expect("the retry with the new token is accepted");

    assert_eq!(
        rejected.calls_async().await,
        1,
        "the first token, with the body"
    );
    assert_eq!(
        accepted.calls_async().await,
        1,
        "the second token, with the body"
    );
    assert_eq!(
        opened.load(Ordering::SeqCst),
        2,
        "the body is made per attempt"
    );
    assert_eq!(source.calls(), 2);
}

#[tokio::test]
async fn a_second_401_is_returned_without_a_third_request() {
    let server = server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/me");
            then.status(401).body("invalid_token");
        })
        .await;
    let (source, cache) = open_cache();
    let client = AuthClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");
    let error = client.me().await.expect_err("every token is refused");
    assert!(error.is_unauthorized(), "{error}");
    assert_eq!(error.body(), Some("invalid_token"));
    assert_eq!(mock.calls_async().await, 2, "one request and one retry");
    assert_eq!(source.calls(), 2);
}

#[tokio::test]
async fn the_callers_error_type_carries_the_401() {
    let server = server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/me");
            then.status(401);
        })
        .await;
    let (_, cache) = open_cache();
    let client = AuthClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");
    let error: ApiError = client
        .me_or_api_error()
        .await
        .expect_err("every token is refused");
    assert!(error.is_unauthorized(), "{error}");
    let ApiError::Client(inner) = &error;
    assert_eq!(inner.status().map(|status| status.as_u16()), Some(401));
    assert_eq!(
        mock.calls_async().await,
        2,
        "the retry happens before the conversion"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_calls_on_an_expired_token_make_one_refresh() {
    const CALLERS: u64 = 100;
    let server = server().await;
    let stale = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/me")
                .header("authorization", "Bearer stale");
            then.status(401);
        })
        .await;
    let fresh = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/me")
                .header("authorization", "Bearer access-1");
            then.status(200).json_body(json!({ "name": "alice" }));
        })
        .await;
    let source = GatedSource::closed(TOKEN_LIFETIME);
    let cache = cache_over(source.clone());
    cache.set_token(
        Token::builder("stale")
            .expires_in(Duration::ZERO)
            .build()
            .expect("a valid token"),
    );
    let client = AuthClient::builder(server.base_url(), cache.clone())
        .build()
        .expect("a valid base URL");

    let calls: Vec<_> = (0..CALLERS)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.me().await })
        })
        .collect();
    // Every caller waits behind the one refresh before it may finish. The bound only turns
    // a caller that never waits (a bug) into a failure rather than a hang.
    tokio::time::timeout(Duration::from_secs(60), async {
        while cache.stats().waits < CALLERS {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{} of {CALLERS} callers waiting", cache.stats().waits));
    source.open_gate();
    for call in calls {
        let me = call
            .await
            .expect("the call does not panic")
            .expect("the new token is accepted");
        assert_eq!(me, json!({ "name": "alice" }));
    }

    assert_eq!(source.calls(), 1, "one refresh for every caller");
    assert_eq!(
        stale.calls_async().await,
        0,
        "the expired token is never sent"
    );
    assert_eq!(fresh.calls_async().await, 100);
}
