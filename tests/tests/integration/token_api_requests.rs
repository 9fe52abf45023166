//! The requests `JsonLogin` and `JsonRefresh` send for each shape a token API may take: a
//! form login with fields of the API's own, the refresh token in a body field, in
//! `Authorization: Bearer` with no body, in a header of its own or in a cookie read back from
//! `Set-Cookie`; and what they refuse to send.

use std::time::Duration;

use freshtoken::oauth::{BodyFormat, JsonLogin, JsonRefresh, RefreshTokenIn, TokenResponseFields};
use freshtoken::{AuthErrorKind, Token, TokenCache, TokenSource};
use httpmock::Method::POST;
use httpmock::MockServer;
use serde_json::json;

const LOGIN_PATH: &str = "/auth/login";
const REFRESH_PATH: &str = "/auth/refresh";

fn url(server: &MockServer, path: &str) -> reqwest::Url {
    server.url(path).parse().unwrap()
}

fn login(server: &MockServer) -> JsonLogin {
    JsonLogin::new(
        url(server, LOGIN_PATH),
        url(server, REFRESH_PATH),
        "alice@example.com",
        "pw-SECRET",
    )
}

/// A token the cache holds, whose refresh token the sources send.
fn holding(refresh_token: &str) -> Token {
    Token::builder("access-0")
        .expires_in(Duration::ZERO)
        .refresh_token(refresh_token)
        .build()
        .unwrap()
}

fn refresh_token_of(token: &Token) -> &str {
    token.refresh_token().unwrap().expose_secret()
}

#[tokio::test]
async fn a_form_login_sends_its_fields_form_encoded_in_order() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(LOGIN_PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("email=alice%40example.com&secret=pw-SECRET&grant_type=password&otp=123+456");
            then.status(200)
                .json_body(json!({ "access_token": "at-1", "token_type": "bearer" }));
        })
        .await;
    let source = login(&server)
        .username_field("email")
        .password_field("secret")
        .login_format(BodyFormat::Form)
        .login_param("grant_type", "password")
        .login_secret_param("otp", "123 456");
    let token = source.fetch(None).await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "at-1");
    mock.assert_async().await;
}

#[tokio::test]
async fn a_bearer_refresh_sends_the_refresh_token_in_authorization_and_no_body() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(REFRESH_PATH)
                .header("authorization", "Bearer rt-SECRET")
                .header_missing("content-type")
                .body("");
            then.status(200)
                .json_body(json!({ "access_token": "at-2" }));
        })
        .await;
    let source = login(&server).refresh_token_in(RefreshTokenIn::BearerHeader);
    let token = source.fetch(Some(&holding("rt-SECRET"))).await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "at-2");
    assert!(
        token.refresh_token().is_none(),
        "the cache keeps the old one"
    );
    mock.assert_async().await;
}

#[tokio::test]
async fn a_header_refresh_sends_the_api_s_own_header_and_the_other_fields_as_body() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(REFRESH_PATH)
                .header("x-refresh-token", "rt-SECRET")
                .json_body(json!({ "client": "cli" }));
            then.status(200)
                .json_body(json!({ "access_token": "at-2" }));
        })
        .await;
    let source = JsonRefresh::new(url(&server, REFRESH_PATH))
        .refresh_token_in(RefreshTokenIn::Header("X-Refresh-Token".into()))
        .refresh_param("client", "cli");
    source.fetch(Some(&holding("rt-SECRET"))).await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn a_cookie_refresh_token_is_read_from_set_cookie_sent_back_and_rotated() {
    let server = MockServer::start_async().await;
    let login_mock = server
        .mock_async(|when, then| {
            when.method(POST).path(LOGIN_PATH);
            then.status(200)
                .header(
                    "set-cookie",
                    "refresh_token=rt-1; HttpOnly; Path=/auth; SameSite=Strict",
                )
                .header("set-cookie", "theme=dark; Path=/")
                .json_body(json!({ "accessToken": "at-1", "expires_in": 60 }));
        })
        .await;
    let refresh_mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(REFRESH_PATH)
                .header("cookie", "refresh_token=rt-1")
                .body("");
            then.status(200)
                .header("set-cookie", "refresh_token=\"rt-2\"; HttpOnly")
                .json_body(json!({ "accessToken": "at-2", "expires_in": 60 }));
        })
        .await;
    let source = login(&server)
        .refresh_token_in(RefreshTokenIn::Cookie("refresh_token".into()))
        .response_fields(TokenResponseFields::default().access_token("accessToken"));
    let cache = TokenCache::new(source);

    let first = cache.token().await.unwrap();
    assert_eq!(refresh_token_of(&first), "rt-1");
    cache.expire_now();
    let second = cache.token().await.unwrap();
    assert_eq!(second.access_token().expose_secret(), "at-2");
    assert_eq!(refresh_token_of(&second), "rt-2", "quotes taken off");
    login_mock.assert_async().await;
    refresh_mock.assert_async().await;
}

#[tokio::test]
async fn a_cookie_cleared_by_the_answer_is_no_refresh_token() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(LOGIN_PATH);
            then.status(200)
                .header("set-cookie", "refresh_token=rt-old; Path=/")
                .header("set-cookie", "refresh_token=; Max-Age=0")
                .json_body(json!({ "access_token": "at-1" }));
        })
        .await;
    let source = login(&server).refresh_token_in(RefreshTokenIn::Cookie("refresh_token".into()));
    let token = source.fetch(None).await.unwrap();
    assert!(
        token.refresh_token().is_none(),
        "the last Set-Cookie decides"
    );
}

#[tokio::test]
async fn a_refresh_only_api_without_a_refresh_token_sends_nothing_and_asks_for_one() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(REFRESH_PATH);
            then.status(200)
                .json_body(json!({ "access_token": "never" }));
        })
        .await;
    let cache = TokenCache::new(JsonRefresh::new(url(&server, REFRESH_PATH)));
    let error = cache.token().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    let text = error.to_string();
    assert!(text.contains("set_refresh_token"), "{text}");
    assert!(text.contains(REFRESH_PATH), "names the endpoint: {text}");
    assert_eq!(mock.calls_async().await, 0);

    cache.set_refresh_token("rt-SECRET");
    assert_eq!(
        cache.token().await.unwrap().access_token().expose_secret(),
        "never"
    );
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_refused_refresh_needs_reauthentication_including_a_422() {
    for status in [401, 403, 422] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(REFRESH_PATH);
                then.status(status)
                    .json_body(json!({ "msg": "Signature verification failed" }));
            })
            .await;
        let source = JsonRefresh::new(url(&server, REFRESH_PATH))
            .refresh_token_in(RefreshTokenIn::BearerHeader);
        let error = source.fetch(Some(&holding("rt-SECRET"))).await.unwrap_err();
        assert!(error.needs_reauthentication(), "{status}: {error}");
        assert!(error.to_string().contains("set_refresh_token"), "{error}");
    }
}

#[tokio::test]
async fn a_bad_header_or_cookie_name_is_refused_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(REFRESH_PATH);
            then.status(200)
                .json_body(json!({ "access_token": "never" }));
        })
        .await;
    for (place, name) in [
        (RefreshTokenIn::Header("x refresh".into()), "`x refresh`"),
        (RefreshTokenIn::Cookie("a;b".into()), "`a;b`"),
    ] {
        let source = JsonRefresh::new(url(&server, REFRESH_PATH)).refresh_token_in(place);
        let error = source.fetch(Some(&holding("rt-SECRET"))).await.unwrap_err();
        assert!(
            matches!(error.kind(), AuthErrorKind::Rejected { .. }),
            "{error}"
        );
        let text = format!("{error} {error:?}");
        assert!(text.contains(name), "{text}");
        assert!(!text.contains("rt-SECRET"), "{text}");
    }
    assert_eq!(mock.calls_async().await, 0);
}
