//! `POST /oauth/token` over real HTTP: client authentication (Basic, body, public), the
//! password grant and the rotating refresh token grant, and their RFC 6749 refusals.

use crate::common::{Answer, BACKEND, ClientAuth, Oauth};
use freshtoken_examples::server::{
    DEMO_CONFIDENTIAL_CLIENT_ID as BACKEND_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET as BACKEND_SECRET,
    DEMO_PUBLIC_CLIENT_ID as CLI_ID,
};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

const CLI: ClientAuth<'static> = ClientAuth::Public(CLI_ID);

#[tokio::test]
async fn the_password_grant_answers_rfc_6749_tokens_that_work_on_the_tasks_api() {
    let oauth = Oauth::start_default().await;
    let params = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "wonderland"),
        ("scope", "tasks:read tasks:write"),
    ];
    for auth in [BACKEND, ClientAuth::Body(BACKEND_ID, BACKEND_SECRET), CLI] {
        let answer = oauth.token(auth, &params).await;
        let (access, refresh) = answer.tokens();
        assert!(!refresh.is_empty(), "{answer:?}");
        assert_eq!(answer.body["scope"], "tasks:read tasks:write", "{answer:?}");
        assert_eq!(oauth.tasks_status(&access).await, StatusCode::OK);
    }
    let stats = oauth.server.stats();
    assert_eq!((stats.logins, stats.access_tokens_issued), (3, 3));
}

#[tokio::test]
async fn without_a_scope_the_answer_has_none() {
    let oauth = Oauth::start_default().await;
    let answer = oauth.password(BACKEND, "bob", "builder").await;
    answer.tokens();
    assert!(answer.body.get("scope").is_none(), "{answer:?}");
}

#[tokio::test]
async fn bad_client_authentication_is_invalid_client_with_a_challenge() {
    let oauth = Oauth::start_default().await;
    let cases = [
        ClientAuth::Basic(BACKEND_ID, "not-the-secret"),
        ClientAuth::Body(BACKEND_ID, "not-the-secret"),
        ClientAuth::Basic("nobody", "whatever"),
        ClientAuth::Public("nobody"),
        // A confidential client must send its secret.
        ClientAuth::Public(BACKEND_ID),
        // A public client has none to send.
        ClientAuth::Body(CLI_ID, "invented-secret"),
        ClientAuth::Anonymous,
    ];
    for auth in cases {
        let answer = oauth.password(auth, "alice", "wonderland").await;
        answer.assert_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            &["not-the-secret", "invented-secret", "wonderland"],
        );
    }
    assert_eq!(oauth.server.stats().logins, 0);
}

#[tokio::test]
async fn two_client_authentication_methods_at_once_are_refused() {
    let oauth = Oauth::start_default().await;
    let answer = oauth
        .http
        .post(format!("{}/oauth/token", oauth.base_url))
        .basic_auth(BACKEND_ID, Some(BACKEND_SECRET))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=password&username=alice&password=wonderland&client_secret={BACKEND_SECRET}"
        ))
        .send()
        .await
        .unwrap();
    let answer = Answer::of(answer).await;
    answer.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        &[BACKEND_SECRET],
    );
}

#[tokio::test]
async fn malformed_requests_are_refused_without_echoing_them() {
    let oauth = Oauth::start_default().await;

    let wrong_password = oauth.password(BACKEND, "alice", "not-wonderland").await;
    wrong_password.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        &["not-wonderland"],
    );
    let unknown_user = oauth.password(BACKEND, "mallory", "guess").await;
    unknown_user.assert_invalid_grant();

    let missing = oauth
        .token(
            BACKEND,
            &[("grant_type", "password"), ("username", "alice")],
        )
        .await;
    missing.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);
    let no_grant = oauth.token(BACKEND, &[("username", "alice")]).await;
    no_grant.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);

    let unknown = oauth.token(BACKEND, &[("grant_type", "telepathy")]).await;
    unknown.assert_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", &[]);

    let repeated = oauth
        .token(
            BACKEND,
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("username", "bob"),
            ],
        )
        .await;
    repeated.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);

    let bad_scope = oauth
        .token(
            BACKEND,
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "wonderland"),
                ("scope", "a\\b"),
            ],
        )
        .await;
    bad_scope.assert_error(StatusCode::BAD_REQUEST, "invalid_scope", &["wonderland"]);

    // JSON is what `/auth/login` takes, not an RFC 6749 token endpoint.
    let json = oauth
        .http
        .post(format!("{}/oauth/token", oauth.base_url))
        .basic_auth(BACKEND_ID, Some(BACKEND_SECRET))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"grant_type":"password","username":"alice","password":"wonderland"}"#)
        .send()
        .await
        .unwrap();
    let json = Answer::of(json).await;
    json.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &["wonderland"]);
}

#[tokio::test]
async fn the_refresh_token_grant_rotates_and_a_reuse_revokes_the_session() {
    let oauth = Oauth::start_default().await;
    let (_, refresh1) = oauth
        .password(BACKEND, "alice", "wonderland")
        .await
        .tokens();

    let answer = oauth.refresh(BACKEND, &refresh1).await;
    let (access2, refresh2) = answer.tokens();
    assert_ne!(refresh2, refresh1);
    assert_eq!(oauth.tasks_status(&access2).await, StatusCode::OK);

    // No grace period: the spent token is refused, and its whole session with it.
    oauth
        .refresh(BACKEND, &refresh1)
        .await
        .assert_invalid_grant();
    oauth
        .refresh(BACKEND, &refresh2)
        .await
        .assert_invalid_grant();
    let stats = oauth.server.stats();
    assert_eq!((stats.refreshes, stats.reuse_detected), (1, 1));
}

#[tokio::test]
async fn a_public_client_refreshes_with_its_client_id() {
    let oauth = Oauth::start_default().await;
    let (_, refresh1) = oauth.password(CLI, "bob", "builder").await.tokens();
    let (access2, refresh2) = oauth.refresh(CLI, &refresh1).await.tokens();
    assert_eq!(oauth.tasks_status(&access2).await, StatusCode::OK);
    oauth.refresh(CLI, &refresh2).await.tokens();
}

#[tokio::test]
async fn a_refresh_token_is_refused_to_other_clients_and_to_auth_refresh() {
    let oauth = Oauth::start_default().await;
    let (_, refresh) = oauth
        .password(BACKEND, "alice", "wonderland")
        .await
        .tokens();

    oauth.refresh(CLI, &refresh).await.assert_invalid_grant();
    let auth_refresh = oauth
        .http
        .post(format!("{}/auth/refresh", oauth.base_url))
        .header(CONTENT_TYPE, "application/json")
        .body(serde_json::json!({ "refresh_token": refresh }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(auth_refresh.status(), StatusCode::UNAUTHORIZED);

    // Refused, not spent: its own client still rotates it.
    oauth.refresh(BACKEND, &refresh).await.tokens();
}

#[tokio::test]
async fn refresh_refuses_access_tokens_and_garbage() {
    let oauth = Oauth::start_default().await;
    let (access, _) = oauth
        .password(BACKEND, "alice", "wonderland")
        .await
        .tokens();
    oauth.refresh(BACKEND, &access).await.assert_invalid_grant();
    oauth
        .refresh(BACKEND, "not-a-token")
        .await
        .assert_invalid_grant();
    let missing = oauth
        .token(BACKEND, &[("grant_type", "refresh_token")])
        .await;
    missing.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope_but_not_widen_it() {
    let oauth = Oauth::start_default().await;
    let login = oauth
        .token(
            BACKEND,
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "wonderland"),
                ("scope", "tasks:read tasks:write"),
            ],
        )
        .await;
    let (_, refresh1) = login.tokens();
    let wider = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh1.as_str()),
        ("scope", "tasks:read admin"),
    ];
    let refused = oauth.token(BACKEND, &wider).await;
    refused.assert_error(StatusCode::BAD_REQUEST, "invalid_scope", &[&refresh1]);

    // The refused request spent nothing.
    let narrower = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh1.as_str()),
        ("scope", "tasks:read"),
    ];
    let answer = oauth.token(BACKEND, &narrower).await;
    let (_, refresh2) = answer.tokens();
    assert_eq!(answer.body["scope"], "tasks:read");
    // The session keeps the scope of its login.
    let answer = oauth.refresh(BACKEND, &refresh2).await;
    answer.tokens();
    assert_eq!(answer.body["scope"], "tasks:read tasks:write");
}

#[test]
fn the_default_oauth_config_is_the_documented_one() {
    use std::time::Duration;

    use freshtoken_examples::server::{OAuthClient, ServerConfig};

    let config = ServerConfig::default();
    assert_eq!(
        config.clients,
        [
            OAuthClient::confidential("demo-backend", "demo-backend-secret"),
            OAuthClient::public("demo-cli"),
        ]
    );
    assert!(config.clients[1].loopback_redirects);
    assert!(!config.clients[0].loopback_redirects);
    assert_eq!(config.issuer, None);
    assert_eq!(config.auto_consent_user.as_deref(), Some("alice"));
    assert_eq!(config.authorization_code_ttl, Duration::from_secs(60));
    assert_eq!(config.device_code_ttl, Duration::from_secs(600));
    assert_eq!(config.device_poll_interval, Duration::from_secs(5));
}
