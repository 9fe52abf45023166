//! A key/secret login with names of its own and a nested answer, without refresh tokens:
//! every renewal logs in again.

use std::time::{Duration, SystemTime};

use freshtoken::TokenSource;
use freshtoken::oauth::{JsonLogin, TokenResponseFields};
use freshtoken_examples::server::{Clock, ServerConfig};

use super::{cache, herd_at_expiry, start, url};
use crate::common::Oauth;

fn keys_login(oauth: &Oauth, secret: &str) -> JsonLogin {
    JsonLogin::new(
        url(oauth, "/keys/auth"),
        url(oauth, "/keys/auth"),
        "alice",
        secret,
    )
    .username_field("key")
    .password_field("secret")
    .response_fields(TokenResponseFields::default().access_token("/data/token"))
}

#[tokio::test]
async fn a_key_and_secret_api_logs_in_again_once_for_a_hundred_callers() {
    let oauth = start().await;
    let cache = cache(keys_login(&oauth, "wonderland"));

    let first = cache.token().await.unwrap();
    assert!(first.refresh_token().is_none());
    assert_eq!(oauth.server.stats().token_apis.keys.logins, 1);

    let renewed = herd_at_expiry(&cache).await;
    assert_ne!(
        renewed.access_token().expose_secret(),
        first.access_token().expose_secret()
    );
    let stats = oauth.server.stats().token_apis.keys;
    assert_eq!((stats.token_requests, stats.logins), (2, 2), "{stats:?}");

    let error = keys_login(&oauth, "not-wonderland")
        .fetch(None)
        .await
        .unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
}

#[tokio::test]
async fn a_key_and_secret_api_s_nested_rfc_3339_expiry_is_read() {
    // The server's clock five minutes behind: its 15-minute tokens expire ten minutes from
    // now by `expiresAt`, where the JWT's `exp - iat` would say fifteen.
    let behind = SystemTime::now() - Duration::from_secs(300);
    let oauth = Oauth::start_with_clock(ServerConfig::default(), Clock::manual(behind)).await;
    let source = keys_login(&oauth, "wonderland").response_fields(
        TokenResponseFields::default()
            .access_token("/data/token")
            .expires_at("/data/expiresAt"),
    );

    let token = source.fetch(None).await.unwrap();
    let lifetime = token
        .lifetime()
        .expect("the answer says when the token expires");
    assert!(
        (Duration::from_secs(598)..=Duration::from_secs(601)).contains(&lifetime),
        "{lifetime:?}"
    );
}

#[tokio::test]
async fn an_expiry_already_past_by_the_local_clock_is_an_error_that_names_the_clocks() {
    // The server's clock an hour behind: its 15-minute tokens expired 45 minutes ago.
    let behind = SystemTime::now() - Duration::from_secs(3600);
    let oauth = Oauth::start_with_clock(ServerConfig::default(), Clock::manual(behind)).await;
    let source = keys_login(&oauth, "wonderland").response_fields(
        TokenResponseFields::default()
            .access_token("/data/token")
            .expires_at("/data/expiresAt"),
    );

    let error = cache(source).token().await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("already expired"), "{message}");
    assert!(message.contains("`expires_at` in the past"), "{message}");
    assert!(message.contains("clock"), "{message}");
}
