//! A flask-jwt-extended backend: no `expires_in` (the lifetime is the JWT's `exp`), the
//! refresh token in `Authorization: Bearer` with no body, and no rotation.

use std::time::Duration;

use freshtoken::oauth::{JsonLogin, RefreshTokenIn};
use freshtoken::{Token, TokenSource};
use reqwest::StatusCode;
use serde_json::json;

use super::{cache, get_with_bearer, herd_at_expiry, post_json, refresh_token_of, start, url};
use crate::common::Oauth;

fn flask_login(oauth: &Oauth) -> JsonLogin {
    JsonLogin::new(
        url(oauth, "/flask/login"),
        url(oauth, "/flask/refresh"),
        "alice",
        "wonderland",
    )
    .refresh_token_in(RefreshTokenIn::BearerHeader)
}

#[tokio::test]
async fn a_flask_backend_gives_no_expires_in_and_takes_the_refresh_token_as_a_bearer_header() {
    let oauth = start().await;
    let cache = cache(flask_login(&oauth));

    let first = cache.token().await.unwrap();
    // The server's access tokens live 15 minutes: so does this one, read from `exp`.
    let lifetime = first.lifetime().expect("the lifetime comes from the JWT");
    assert!(
        (Duration::from_secs(899)..=Duration::from_secs(901)).contains(&lifetime),
        "{lifetime:?}"
    );
    let stats = oauth.server.stats().token_apis.flask;
    assert_eq!((stats.logins, stats.refreshes), (1, 0), "{stats:?}");
    let refresh_token = refresh_token_of(&first);

    // A hundred callers at expiry: one refresh. The server refuses a refresh with a body,
    // so this one carried none; the answer has no refresh token, so the old one is kept.
    let renewed = herd_at_expiry(&cache).await;
    let stats = oauth.server.stats().token_apis.flask;
    assert_eq!((stats.refreshes, stats.refused), (1, 0), "{stats:?}");
    assert_eq!(refresh_token_of(&renewed), refresh_token);
    assert!(renewed.lifetime().is_some());
    let protected = get_with_bearer(
        &oauth,
        "/flask/protected",
        renewed.access_token().expose_secret(),
    )
    .await;
    assert_eq!(
        protected.body,
        json!({"logged_in_as": "alice"}),
        "{protected:?}"
    );

    // No rotation: the same refresh token refreshes again.
    cache.expire_now();
    cache.token().await.unwrap();
    assert_eq!(oauth.server.stats().token_apis.flask.refreshes, 2);

    // Revoked on the server: the refresh is refused, and the cache says to log in again.
    let revoked = oauth
        .http
        .post(format!("{}/admin/revoke-refresh/alice", oauth.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    cache.expire_now();
    let error = cache.token().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    assert!(
        error.to_string().contains("Token has been revoked"),
        "{error}"
    );
}

#[tokio::test]
async fn the_flask_refresh_refuses_a_body_and_a_token_it_cannot_verify() {
    let oauth = start().await;
    let first = flask_login(&oauth).fetch(None).await.unwrap();
    let bearer = format!("Bearer {}", refresh_token_of(&first));

    // The check the refresh test relies on: a body is refused.
    let with_body = post_json(
        &oauth,
        "/flask/refresh",
        &json!({}),
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(with_body.status, StatusCode::BAD_REQUEST, "{with_body:?}");

    // A refresh token the server cannot verify is 422, as flask-jwt-extended answers: the
    // cache takes it for a dead refresh token.
    let cache = cache(flask_login(&oauth));
    cache.set_refresh_token("not.a.jwt");
    let error = cache.token().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    assert!(
        error
            .to_string()
            .contains("422 Unprocessable Entity: Signature verification failed"),
        "{error}"
    );
    assert_eq!(oauth.server.stats().token_apis.flask.refreshes, 0);
}

/// flask-jwt-extended's own route, as a generated client that takes its 422 for a dead
/// token.
#[freshtoken::client(unauthorized = [401, 422])]
trait Flask {
    #[get("/flask/protected")]
    async fn protected(&self) -> Result<serde_json::Value>;
}

#[tokio::test]
async fn a_flask_422_makes_the_generated_client_renew_the_token() {
    let oauth = start().await;
    let cache = cache(flask_login(&oauth));
    // A token the server cannot verify (signed before a key rotation, say): 422.
    cache.set_token(Token::builder("not.a.jwt").build().unwrap());
    let api = FlaskClient::builder(&oauth.base_url, cache.clone())
        .build()
        .unwrap();

    let answer = api.protected().await.unwrap();
    assert_eq!(answer, json!({"logged_in_as": "alice"}));
    assert_eq!(oauth.server.stats().token_apis.flask.logins, 1);
}
