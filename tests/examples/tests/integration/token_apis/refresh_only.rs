//! An API whose only route is refresh: `JsonRefresh`, the refresh token from the API's
//! "dashboard" (`RunningServer::issue_refresh_token`), rotation, and a refresh token saved
//! in a `FileStore` for the next start.

use std::time::Duration;

use freshtoken::oauth::{JsonRefresh, TokenResponseFields};
use freshtoken::{FileStore, TokenCache};
use reqwest::StatusCode;
use serde_json::json;

use super::{cache, herd_at_expiry, post_json, refresh_token_of, start, url};
use crate::common::Oauth;

fn refresh_only(oauth: &Oauth) -> JsonRefresh {
    JsonRefresh::new(url(oauth, "/refresh-only/refresh"))
        .refresh_token_field("refresh")
        .response_fields(
            TokenResponseFields::default()
                .access_token("token")
                .refresh_token("refresh"),
        )
}

#[tokio::test]
async fn a_refresh_only_api_asks_for_a_refresh_token_then_refreshes_once_for_a_hundred_callers() {
    let oauth = start().await;
    let cache = cache(refresh_only(&oauth));

    // No refresh token: nothing is sent, and the program is asked for one.
    let error = cache.token().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    assert_eq!(
        oauth.server.stats().token_apis.refresh_only.token_requests,
        0
    );

    let from_dashboard = oauth.server.issue_refresh_token("alice").unwrap();
    cache.set_refresh_token(from_dashboard.clone());
    let first = cache.token().await.unwrap();
    assert!(first.expires_at().is_some());
    let first_refresh = refresh_token_of(&first);
    assert_ne!(
        first_refresh, from_dashboard,
        "the refresh token did not rotate"
    );

    let renewed = herd_at_expiry(&cache).await;
    let stats = oauth.server.stats().token_apis.refresh_only;
    assert_eq!((stats.token_requests, stats.refreshes), (2, 2), "{stats:?}");
    assert_ne!(refresh_token_of(&renewed), first_refresh);

    // The spent token, replayed, is refused and revokes the session.
    let replay = post_json(
        &oauth,
        "/refresh-only/refresh",
        &json!({ "refresh": first_refresh }),
        &[],
    )
    .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{replay:?}");
    assert_eq!(replay.body["error"], "invalid refresh token");
    cache.expire_now();
    let error = cache.token().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    assert!(oauth.server.issue_refresh_token("nobody").is_none());
}

#[tokio::test]
async fn a_saved_refresh_token_lets_the_next_start_refresh() {
    let oauth = start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refresh-only.json");

    let first_run = TokenCache::builder(refresh_only(&oauth))
        .store(FileStore::new(&path))
        .min_refresh_interval(Duration::ZERO)
        .build();
    let from_dashboard = oauth.server.issue_refresh_token("alice").unwrap();
    first_run.save_refresh_token(from_dashboard).await.unwrap();
    drop(first_run);

    // A restart: the saved refresh token is the only credential.
    let second_run = TokenCache::builder(refresh_only(&oauth))
        .store(FileStore::new(&path))
        .min_refresh_interval(Duration::ZERO)
        .build();
    let token = second_run.token().await.unwrap();
    assert!(token.refresh_token().is_some());
    assert_eq!(oauth.server.stats().token_apis.refresh_only.refreshes, 1);

    // The rotated refresh token was saved too: a third start takes the saved token, and
    // refreshes it with that one.
    let third_run = TokenCache::builder(refresh_only(&oauth))
        .store(FileStore::new(&path))
        .min_refresh_interval(Duration::ZERO)
        .build();
    let adopted = third_run.token().await.unwrap();
    assert_eq!(
        adopted.access_token().expose_secret(),
        token.access_token().expose_secret()
    );
    third_run.expire_now();
    third_run.token().await.unwrap();
    let stats = oauth.server.stats().token_apis.refresh_only;
    assert_eq!((stats.refreshes, stats.refused), (2, 0), "{stats:?}");
}
