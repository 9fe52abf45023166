//! `POST /oauth/revoke` (RFC 7009) over real HTTP: a refresh token ends its session, an
//! access token ends itself, anything else is still 200, and confidential clients must
//! authenticate.

use crate::common::{BACKEND, ClientAuth, Oauth};
use freshtoken_examples::server::{
    DEMO_CONFIDENTIAL_CLIENT_ID as BACKEND_ID, DEMO_PUBLIC_CLIENT_ID as CLI_ID,
};
use reqwest::StatusCode;
use reqwest::header::CACHE_CONTROL;

const CLI: ClientAuth<'static> = ClientAuth::Public(CLI_ID);

async fn revoke(oauth: &Oauth, auth: ClientAuth<'_>, token: &str) -> crate::common::Answer {
    oauth
        .post_form("/oauth/revoke", auth, &[("token", token)])
        .await
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_session() {
    let oauth = Oauth::start_default().await;
    let (access, refresh) = oauth
        .password(BACKEND, "alice", "wonderland")
        .await
        .tokens();
    let (other_access, _) = oauth
        .password(BACKEND, "alice", "wonderland")
        .await
        .tokens();

    let answer = revoke(&oauth, BACKEND, &refresh).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.text, "");
    assert_eq!(answer.header(CACHE_CONTROL), Some("no-store"));

    oauth
        .refresh(BACKEND, &refresh)
        .await
        .assert_invalid_grant();
    assert_eq!(oauth.tasks_status(&access).await, StatusCode::UNAUTHORIZED);
    // Another session of the same user is not touched.
    assert_eq!(oauth.tasks_status(&other_access).await, StatusCode::OK);
    // Revoking again is still 200.
    assert_eq!(
        revoke(&oauth, BACKEND, &refresh).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn revoking_an_access_token_leaves_its_refresh_token() {
    let oauth = Oauth::start_default().await;
    let (access, refresh) = oauth.password(CLI, "bob", "builder").await.tokens();
    let answer = revoke(&oauth, CLI, &access).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(oauth.tasks_status(&access).await, StatusCode::UNAUTHORIZED);
    let (new_access, _) = oauth.refresh(CLI, &refresh).await.tokens();
    assert_eq!(oauth.tasks_status(&new_access).await, StatusCode::OK);
}

#[tokio::test]
async fn unknown_tokens_and_other_clients_tokens_are_200_and_change_nothing() {
    let oauth = Oauth::start_default().await;
    let (access, refresh) = oauth
        .password(BACKEND, "alice", "wonderland")
        .await
        .tokens();
    for token in ["garbage", "a.b.c"] {
        assert_eq!(revoke(&oauth, BACKEND, token).await.status, StatusCode::OK);
    }
    assert_eq!(revoke(&oauth, CLI, &refresh).await.status, StatusCode::OK);
    assert_eq!(revoke(&oauth, CLI, &access).await.status, StatusCode::OK);
    assert_eq!(oauth.tasks_status(&access).await, StatusCode::OK);
    oauth.refresh(BACKEND, &refresh).await.tokens();
}

#[tokio::test]
async fn confidential_clients_must_authenticate_to_revoke() {
    let oauth = Oauth::start_default().await;
    let (_, refresh) = oauth
        .password(BACKEND, "alice", "wonderland")
        .await
        .tokens();
    for auth in [
        ClientAuth::Public(BACKEND_ID),
        ClientAuth::Basic(BACKEND_ID, "wrong-secret"),
        ClientAuth::Anonymous,
    ] {
        let answer = revoke(&oauth, auth, &refresh).await;
        answer.assert_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            &["wrong-secret", &refresh],
        );
    }
    let missing = oauth.post_form("/oauth/revoke", BACKEND, &[]).await;
    missing.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);
    // Nothing was revoked.
    oauth.refresh(BACKEND, &refresh).await.tokens();
}
