//! `TokenAnswer::receive` against httpmock servers on 127.0.0.1: a hand-written token source
//! for a session API of its own reads what `send()` returned in one call, and gets the token,
//! or the error a built-in source would give for the same answer or failure.
//!
//! Every secret used here contains `SECRET`, so one substring check proves that no error
//! message, `Display` or `Debug`, leaks any of them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use freshtoken::oauth::{TokenAnswer, TokenResponseFields};
use freshtoken::{AuthError, AuthErrorKind, Token, TokenCache, TokenSource};
use httpmock::Method::POST;
use httpmock::MockServer;
use serde_json::json;

const REFRESH_PATH: &str = "/v2/session/refresh";
const REFRESH_TOKEN: &str = "refresh-SECRET-1";

/// A session API that is no OAuth2: `POST /v2/session/refresh` with the refresh token as
/// bearer, answered with `{"data": {"accessToken", "refreshToken", "expiresAt"}}`.
struct SessionApi {
    http: reqwest::Client,
    refresh_url: String,
    fields: TokenResponseFields,
}

impl SessionApi {
    fn new(http: reqwest::Client, refresh_url: String) -> Self {
        let fields = TokenResponseFields::default()
            .access_token("/data/accessToken")
            .refresh_token("/data/refreshToken")
            .expires_at("/data/expiresAt");
        Self {
            http,
            refresh_url,
            fields,
        }
    }
}

impl TokenSource for SessionApi {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        let refresh_token = previous
            .and_then(Token::refresh_token)
            .map_or(REFRESH_TOKEN, |token| token.expose_secret());
        let sent = self
            .http
            .post(&self.refresh_url)
            .bearer_auth(refresh_token)
            .send()
            .await;
        TokenAnswer::receive(sent)
            .await?
            .answer()
            .fields(&self.fields)
            .sent_secrets(&[refresh_token])
            .read()
    }
}

fn source(server: &MockServer) -> SessionApi {
    SessionApi::new(reqwest::Client::new(), server.url(REFRESH_PATH))
}

fn epoch_millis_in(lifetime: Duration) -> u128 {
    (SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + lifetime).as_millis()
}

fn assert_no_secrets(error: &AuthError) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("SECRET"), "a secret leaked: {shown}");
}

#[tokio::test]
async fn a_200_received_becomes_the_token_the_cache_serves() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(REFRESH_PATH)
                .header("authorization", format!("Bearer {REFRESH_TOKEN}"));
            then.status(200).json_body(json!({ "data": {
                "accessToken": "access-SECRET-2",
                "refreshToken": "refresh-SECRET-2",
                "expiresAt": epoch_millis_in(Duration::from_secs(600)),
            }}));
        })
        .await;
    let cache = TokenCache::new(source(&server));

    let token = cache.token().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-SECRET-2");
    assert_eq!(
        token.refresh_token().unwrap().expose_secret(),
        "refresh-SECRET-2"
    );
    let lifetime = token.lifetime().unwrap();
    assert!(
        lifetime <= Duration::from_secs(601) && lifetime >= Duration::from_secs(598),
        "{lifetime:?}"
    );
    assert_eq!(endpoint.calls_async().await, 1);
}

#[tokio::test]
async fn a_400_invalid_grant_received_needs_reauthentication_and_does_not_quote_the_sent_token() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(REFRESH_PATH);
            then.status(400).json_body(json!({
                "error": "invalid_grant",
                "error_description": format!("session {REFRESH_TOKEN} was revoked"),
            }));
        })
        .await;

    let error = source(&server).fetch(None).await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::ReauthenticationRequired { .. }),
        "{error:?}"
    );
    assert!(error.needs_reauthentication());
    assert!(
        error
            .to_string()
            .contains(&server.url(REFRESH_PATH).replace("localhost", "127.0.0.1")),
        "{error}"
    );
    assert!(error.to_string().contains("was revoked"), "{error}");
    assert_no_secrets(&error);
}

#[tokio::test]
async fn a_refused_connection_is_retryable_and_named_without_the_query_string() {
    // Bind and drop a listener: the port is then closed, so the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let source = SessionApi::new(
        reqwest::Client::new(),
        format!("http://127.0.0.1:{port}{REFRESH_PATH}?api_key=key-SECRET-q"),
    );

    let error = source.fetch(None).await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::RefreshFailed { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    let message = error.to_string();
    assert!(
        message.contains(&format!("http://127.0.0.1:{port}{REFRESH_PATH}: no answer")),
        "{message}"
    );
    assert!(!format!("{error:?}").contains("api_key"), "{error:?}");
    assert_no_secrets(&error);
}

#[tokio::test]
async fn a_server_that_never_answers_within_the_client_timeout_is_a_timeout() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(REFRESH_PATH);
            then.status(200)
                .delay(Duration::from_secs(30))
                .json_body(json!({ "data": { "accessToken": "access-SECRET-2" } }));
        })
        .await;
    // A real socket, so a real (short) timeout.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let source = SessionApi::new(
        http,
        format!("{}?api_key=key-SECRET-q", server.url(REFRESH_PATH)),
    );

    let error = source.fetch(None).await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Timeout(_)),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(
        error.to_string().contains("HTTP client's own timeout"),
        "{error}"
    );
    assert_no_secrets(&error);
}

#[tokio::test]
async fn a_received_body_over_a_mebibyte_is_read_no_further_and_never_shown() {
    let server = MockServer::start_async().await;
    let mut huge = br#"{"data": {"accessToken": "access-SECRET-2", "padding": ""#.to_vec();
    huge.resize(2 * 1024 * 1024, b'x');
    server
        .mock_async(|when, then| {
            when.method(POST).path(REFRESH_PATH);
            then.status(200)
                .header("content-type", "application/json")
                .body(huge);
        })
        .await;
    let sent = reqwest::Client::new()
        .post(format!("{}?api_key=key-SECRET-q", server.url(REFRESH_PATH)))
        .send()
        .await;

    let received = TokenAnswer::receive(sent).await.unwrap();
    assert_eq!(received.body().len(), 1024 * 1024);
    let shown = format!("{received:?}");
    assert!(
        !shown.contains("SECRET") && !shown.contains("api_key"),
        "{shown}"
    );
    assert!(shown.contains(REFRESH_PATH), "{shown}");
    let error = received.answer().read().unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::InvalidToken { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("larger than 1024 KiB"),
        "{error}"
    );
    assert_no_secrets(&error);
}
