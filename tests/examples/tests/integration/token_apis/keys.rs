//! A key/secret login with names of its own and a nested answer, without refresh tokens:
//! every renewal logs in again.

use freshtoken::TokenSource;
use freshtoken::oauth::{JsonLogin, TokenResponseFields};

use super::{cache, herd_at_expiry, url};
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
    let oauth = Oauth::start_default().await;
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
