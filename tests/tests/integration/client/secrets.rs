//! The token a `#[freshtoken::client]` client sends never reaches the text of its errors,
//! whatever went wrong: an error status whose body echoes the `Authorization` header (the
//! echo server of `freshtoken_tests::echo`), a 200 whose body holds the token but does not
//! decode, a timeout, a refused connection, and a source that fails after a 401. Each error
//! is checked in `Display` and `Debug`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use freshtoken::client::Error;
use freshtoken::{AuthError, Token, TokenCache, TokenSource, source_fn};
use freshtoken_tests::client::{TOKEN_LIFETIME, cache_over, refused_url};
use freshtoken_tests::echo::{Echo, EchoServer, Spelling};
use httpmock::Method::GET;
use httpmock::MockServer;
use serde::Deserialize;

/// The access token; no error may show it.
const SECRET: &str = "tok-SECRET-7f3a9c.e1";

/// An API whose calls go wrong in every way.
#[freshtoken::client]
pub trait Leaky {
    /// JSON.
    #[get("/me")]
    async fn me(&self) -> Result<Me>;

    /// JSON, within 200 ms.
    #[get("/me", timeout = "200ms")]
    async fn me_quickly(&self) -> Result<Me>;
}

/// What `/me` should answer.
#[derive(Debug, Deserialize)]
pub struct Me {
    /// A number, so that a string in its place fails to decode.
    pub id: u64,
    /// One of a few names, so that another name fails to decode.
    pub role: Option<Role>,
}

/// A role, by name.
#[derive(Debug, Deserialize)]
pub enum Role {
    /// The only one.
    Admin,
}

/// A source that issues [`SECRET`] once and then fails, counting its calls.
fn secret_once() -> (Arc<AtomicU32>, impl TokenSource) {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    let source = source_fn(move |_previous| {
        let call = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if call == 0 {
                Token::builder(SECRET).expires_in(TOKEN_LIFETIME).build()
            } else {
                Err(AuthError::refresh_failed("the identity provider is down"))
            }
        }
    });
    (calls, source)
}

fn client<S: TokenSource>(base_url: impl Into<String>, cache: TokenCache<S>) -> LeakyClient<S> {
    LeakyClient::builder(base_url, cache)
        .build()
        .expect("a valid base URL")
}

fn assert_no_secret(case: &str, error: &Error) {
    let display = error.to_string();
    let debug = format!("{error:?}");
    assert!(
        !display.contains(SECRET),
        "{case}: the token is in the message: {display}"
    );
    assert!(
        !debug.contains(SECRET),
        "{case}: the token is in the Debug output: {debug}"
    );
}

async fn httpmock_server() -> MockServer {
    // httpmock (0.7 did) may spin in this poll on a spent coop budget; unconstrained, it does not.
    tokio::task::unconstrained(MockServer::start_async()).await
}

#[tokio::test]
async fn not_in_a_status_error_whose_body_echoes_it() {
    let server = EchoServer::start(Echo {
        status: 500,
        code: "server_error",
        spelling: Spelling::Verbatim,
    })
    .await;
    let (_, source) = secret_once();
    let client = client(server.url("").as_str(), cache_over(source));
    let error = client.me().await.expect_err("the server answers 500");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(500));
    assert!(
        server.echoed().iter().any(|echoed| echoed.contains(SECRET)),
        "the server did echo the token: {:?}",
        server.echoed()
    );
    let body = error.body().expect("a status error has a body");
    assert!(
        body.contains("authorization=Bearer"),
        "the rest of the body stays: {body}"
    );
    assert_no_secret("500", &error);
}

#[tokio::test]
async fn not_in_a_decode_error_of_a_body_holding_it() {
    let server = httpmock_server().await;
    let cases = [
        ("invalid JSON", format!("{{\"id\": Bearer {SECRET}}}")),
        ("wrong type", format!("{{\"id\": \"Bearer {SECRET}\"}}")),
        ("text after the value", format!("{{\"id\": 1}} {SECRET}")),
        (
            "unknown variant",
            format!("{{\"id\": 1, \"role\": \"{SECRET}\"}}"),
        ),
    ];
    for (case, body) in cases {
        let mock = server
            .mock_async(|when, then| {
                when.method(GET).path("/me");
                then.status(200).body(&body);
            })
            .await;
        let (_, source) = secret_once();
        let error = client(server.base_url(), cache_over(source))
            .me()
            .await
            .expect_err(case);
        assert!(
            matches!(error, Error::Decode { .. }),
            "{case}: a decode error, not {error:?}"
        );
        assert_no_secret(case, &error);
        mock.delete_async().await;
    }
}

#[tokio::test]
async fn not_in_a_timeout() {
    let server = httpmock_server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/me");
            then.status(200)
                .body(r#"{"id": 1}"#)
                .delay(Duration::from_secs(10));
        })
        .await;
    let (_, source) = secret_once();
    let error = client(server.base_url(), cache_over(source))
        .me_quickly()
        .await
        .expect_err("the server answers late");
    assert!(error.is_timeout(), "{error:?}");
    assert_no_secret("timeout", &error);
}

#[tokio::test]
async fn not_in_a_refused_connection() {
    let (calls, source) = secret_once();
    let error = client(refused_url().await, cache_over(source))
        .me()
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the token was had, and sent"
    );
    assert_no_secret("refused", &error);
}

#[tokio::test]
async fn not_in_a_token_error_after_a_401_that_echoes_it() {
    let server = EchoServer::start(Echo {
        status: 401,
        code: "invalid_token",
        spelling: Spelling::Verbatim,
    })
    .await;
    let (calls, source) = secret_once();
    let client = client(server.url("").as_str(), cache_over(source));
    let error = client.me().await.expect_err("the token is refused");
    assert!(
        error.auth_error().is_some(),
        "the retry found no token: {error:?}"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the token, then the failure"
    );
    assert_eq!(server.echoed().len(), 1, "no request without a token");
    assert_no_secret("401 then no token", &error);
}
