//! A FastAPI backend (a form login, a JSON refresh with rotation, `GET /users/me`) through
//! the example's `fastapi_sdk`: `JsonLogin` with a form login and a generated client.

use freshtoken::TokenSource;
use freshtoken::oauth::{BodyFormat, JsonLogin};
use freshtoken_examples::fastapi_sdk::{self, FastApi as _, FastApiClient};
use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::json;

use super::{cache, herd_at_expiry, post_json, refresh_token_of, start, url};

#[tokio::test]
async fn a_fastapi_backend_logs_in_with_a_form_refreshes_once_for_a_hundred_callers_and_rotates() {
    let oauth = start().await;
    let login = fastapi_sdk::login(&oauth.base_url, "alice", "wonderland").unwrap();
    let cache = cache(login);
    let api = FastApiClient::builder(&oauth.base_url, cache.clone())
        .build()
        .unwrap();

    // The first call logs in, through the generated client.
    assert_eq!(api.me().await.unwrap().username, "alice");
    let stats = oauth.server.stats().token_apis.fastapi;
    assert_eq!((stats.logins, stats.refreshes), (1, 0), "{stats:?}");
    let first = cache.cached().unwrap();
    assert!(
        first.expires_at().is_some(),
        "the lifetime comes from the JWT"
    );
    let first_refresh = refresh_token_of(&first);

    // A hundred callers at expiry: one refresh, and the rotated refresh token is kept.
    let renewed = herd_at_expiry(&cache).await;
    let stats = oauth.server.stats().token_apis.fastapi;
    assert_eq!((stats.logins, stats.refreshes), (1, 1), "{stats:?}");
    assert_eq!(cache.stats().refreshes, 2);
    let rotated = refresh_token_of(&renewed);
    assert_ne!(rotated, first_refresh, "the refresh token did not rotate");
    assert_eq!(api.me().await.unwrap().username, "alice");

    // The spent refresh token, replayed, is refused, and revokes the session.
    let replay = post_json(
        &oauth,
        "/fastapi/refresh",
        &json!({ "refresh_token": first_refresh }),
        &[],
    )
    .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{replay:?}");
    assert_eq!(replay.header(WWW_AUTHENTICATE), Some("Bearer"));
    assert_eq!(oauth.server.stats().reuse_detected, 1);

    // So the cache's next refresh, with the rotated token, is refused: log in again.
    cache.expire_now();
    let error = cache.token().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    // The server quotes the token it refuses; the error says why, without it.
    let message = format!("{error} {error:?}");
    assert!(
        message.contains("bad refresh token [redacted]"),
        "{message}"
    );
    assert!(!message.contains(&rotated), "{message}");
    cache.reset();
    assert_eq!(api.me().await.unwrap().username, "alice");
    assert_eq!(oauth.server.stats().token_apis.fastapi.logins, 2);
}

#[tokio::test]
async fn the_fastapi_login_takes_only_a_form() {
    let oauth = start().await;
    let login = |format| {
        JsonLogin::new(
            url(&oauth, "/fastapi/token"),
            url(&oauth, "/fastapi/refresh"),
            "alice",
            "wonderland",
        )
        .login_format(format)
    };

    // FastAPI's answer to JSON: every form field is missing.
    let error = login(BodyFormat::Json).fetch(None).await.unwrap_err();
    assert!(!error.needs_reauthentication(), "{error}");
    let message = error.to_string();
    assert!(message.contains("422"), "{message}");
    assert!(
        message.contains("body.username: Field required; body.password: Field required"),
        "{message}"
    );
    let json_body = post_json(
        &oauth,
        "/fastapi/token",
        &json!({"username": "alice", "password": "wonderland"}),
        &[],
    )
    .await;
    assert_eq!(json_body.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_body.body["detail"][0]["type"], "missing");
    assert_eq!(
        json_body.body["detail"][0]["loc"],
        json!(["body", "username"])
    );
    assert_eq!(
        json_body.body["detail"][1]["loc"],
        json!(["body", "password"])
    );
    assert_eq!(oauth.server.stats().token_apis.fastapi.logins, 0);

    let token = login(BodyFormat::Form).fetch(None).await.unwrap();
    assert!(token.refresh_token().is_some());
    assert_eq!(oauth.server.stats().token_apis.fastapi.logins, 1);

    let wrong = JsonLogin::new(
        url(&oauth, "/fastapi/token"),
        url(&oauth, "/fastapi/refresh"),
        "alice",
        "not-wonderland",
    )
    .login_format(BodyFormat::Form);
    let error = wrong.fetch(None).await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    assert!(
        error.to_string().contains("Incorrect username or password"),
        "{error}"
    );
}

#[tokio::test]
async fn fastapi_users_me_refuses_a_bad_token_with_a_bearer_challenge() {
    let oauth = start().await;
    let answer = super::get_with_bearer(&oauth, "/fastapi/users/me", "not-a-token").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
    assert_eq!(answer.body["detail"], "Could not validate credentials");
    assert_eq!(answer.header(WWW_AUTHENTICATE), Some("Bearer"));
}
