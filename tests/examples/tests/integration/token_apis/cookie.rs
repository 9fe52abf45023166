//! An Express-style backend that keeps the refresh token in an `HttpOnly` cookie: read from
//! `Set-Cookie`, sent back as `Cookie`, rotated on each refresh.

use freshtoken::oauth::{JsonLogin, RefreshTokenIn, TokenResponseFields};
use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;
use serde_json::json;

use super::{cache, herd_at_expiry, post_json, refresh_token_of, start, url};

#[tokio::test]
async fn a_cookie_backend_s_refresh_token_is_read_from_set_cookie_sent_as_a_cookie_and_rotated() {
    let oauth = start().await;
    let source = JsonLogin::new(
        url(&oauth, "/cookie/login"),
        url(&oauth, "/cookie/refresh"),
        "alice",
        "wonderland",
    )
    .refresh_token_in(RefreshTokenIn::Cookie("refresh_token".into()))
    .response_fields(TokenResponseFields::default().access_token("accessToken"));
    let cache = cache(source);

    // The login's body has only `accessToken`: the refresh token is the cookie's.
    let first = cache.token().await.unwrap();
    let first_refresh = refresh_token_of(&first);
    let stats = oauth.server.stats().token_apis.cookie;
    assert_eq!((stats.logins, stats.refreshes), (1, 0), "{stats:?}");
    let by_hand = post_json(
        &oauth,
        "/cookie/login",
        &json!({"username": "alice", "password": "wonderland"}),
        &[],
    )
    .await;
    let set_cookie = by_hand.header(SET_COOKIE).unwrap();
    assert!(set_cookie.starts_with("refresh_token="), "{set_cookie}");
    assert!(by_hand.body.get("refresh_token").is_none(), "{by_hand:?}");

    // A hundred callers at expiry: one refresh, which the server could only take from the
    // cookie; the rotated cookie is kept.
    let renewed = herd_at_expiry(&cache).await;
    let stats = oauth.server.stats().token_apis.cookie;
    assert_eq!((stats.refreshes, stats.refused), (1, 0), "{stats:?}");
    let rotated = refresh_token_of(&renewed);
    assert_ne!(rotated, first_refresh, "the refresh token did not rotate");

    // The spent cookie, replayed, is refused and revokes the session.
    let replay = oauth
        .http
        .post(format!("{}/cookie/refresh", oauth.base_url))
        .header("cookie", format!("refresh_token={first_refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(oauth.server.stats().reuse_detected, 1);
    cache.expire_now();
    let error = cache.token().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
}

#[tokio::test]
async fn the_cookie_refresh_refuses_a_request_without_the_cookie() {
    let oauth = start().await;
    let answer = post_json(&oauth, "/cookie/refresh", &json!({}), &[]).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
    assert_eq!(answer.body["message"], "No refresh token cookie");
}
