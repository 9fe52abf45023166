//! The device authorization grant (RFC 8628) over real HTTP: start, poll while pending,
//! approve, exchange once; `slow_down` grows the interval, a denial and an expiry end the
//! flow. The server's clock is manual: nothing sleeps.

use std::time::Duration;

use crate::common::{Answer, BACKEND, ClientAuth, Oauth};
use freshtoken_examples::server::{DEMO_PUBLIC_CLIENT_ID as CLI_ID, ServerConfig};
use reqwest::StatusCode;
use reqwest::header::CACHE_CONTROL;

const CLI: ClientAuth<'static> = ClientAuth::Public(CLI_ID);
const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

struct Started {
    device_code: String,
    user_code: String,
}

async fn start(oauth: &Oauth, auth: ClientAuth<'_>) -> Started {
    let answer = oauth
        .post_form(
            "/oauth/device_authorization",
            auth,
            &[("scope", "tasks:read")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.header(CACHE_CONTROL), Some("no-store"));
    Started {
        device_code: answer.field("device_code"),
        user_code: answer.field("user_code"),
    }
}

async fn poll(oauth: &Oauth, auth: ClientAuth<'_>, device_code: &str) -> Answer {
    oauth
        .token(auth, &[("grant_type", GRANT), ("device_code", device_code)])
        .await
}

async fn decide(oauth: &Oauth, user_code: &str, approve: &str) -> Answer {
    let params = [("user_code", user_code), ("approve", approve)];
    oauth
        .post_form("/oauth/device/approve", ClientAuth::Anonymous, &params)
        .await
}

fn assert_poll_error(answer: &Answer, error: &str, device_code: &str) {
    answer.assert_error(StatusCode::BAD_REQUEST, error, &[device_code]);
}

#[tokio::test]
async fn the_device_flow_is_pending_until_approved_then_refreshes_with_rotation() {
    let oauth = Oauth::start_default().await;
    let answer = oauth
        .post_form("/oauth/device_authorization", CLI, &[])
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let user_code = answer.field("user_code");
    assert_eq!(user_code.len(), 9, "XXXX-XXXX: {user_code}");
    assert_eq!(
        answer.field("verification_uri"),
        format!("{}/device", oauth.base_url)
    );
    assert_eq!(
        answer.field("verification_uri_complete"),
        format!("{}/device?user_code={user_code}", oauth.base_url)
    );
    assert_eq!(answer.body["expires_in"], 600);
    assert_eq!(answer.body["interval"], 5);
    assert_eq!(oauth.get("/device").await.status, StatusCode::OK);
    let device_code = answer.field("device_code");

    assert_poll_error(
        &poll(&oauth, CLI, &device_code).await,
        "authorization_pending",
        &device_code,
    );
    oauth.clock.advance(Duration::from_secs(5));
    assert_poll_error(
        &poll(&oauth, CLI, &device_code).await,
        "authorization_pending",
        &device_code,
    );

    // Typed by a user: any case, dash or not.
    let typed = user_code.replace('-', "").to_lowercase();
    assert_eq!(
        decide(&oauth, &typed, "true").await.status,
        StatusCode::NO_CONTENT
    );
    oauth.clock.advance(Duration::from_secs(5));
    let (access, refresh) = poll(&oauth, CLI, &device_code).await.tokens();
    assert_eq!(oauth.tasks_status(&access).await, StatusCode::OK);

    // Spent.
    oauth.clock.advance(Duration::from_secs(5));
    poll(&oauth, CLI, &device_code).await.assert_invalid_grant();
    let (access2, _) = oauth.refresh(CLI, &refresh).await.tokens();
    assert_eq!(oauth.tasks_status(&access2).await, StatusCode::OK);
    oauth.refresh(CLI, &refresh).await.assert_invalid_grant();
}

#[tokio::test]
async fn polling_too_fast_is_slow_down_and_the_interval_grows_by_five_seconds() {
    let oauth = Oauth::start_default().await;
    let started = start(&oauth, BACKEND).await;
    let code = started.device_code.as_str();
    assert_poll_error(
        &poll(&oauth, BACKEND, code).await,
        "authorization_pending",
        code,
    );
    oauth.clock.advance(Duration::from_secs(4));
    assert_poll_error(&poll(&oauth, BACKEND, code).await, "slow_down", code);
    // The interval is 10 s now, from this last poll.
    oauth.clock.advance(Duration::from_secs(9));
    assert_poll_error(&poll(&oauth, BACKEND, code).await, "slow_down", code);
    // And 15 s now.
    oauth.clock.advance(Duration::from_secs(15));
    assert_poll_error(
        &poll(&oauth, BACKEND, code).await,
        "authorization_pending",
        code,
    );
}

#[tokio::test]
async fn a_denied_device_authorization_is_access_denied() {
    let oauth = Oauth::start_default().await;
    let started = start(&oauth, CLI).await;
    assert_eq!(
        decide(&oauth, &started.user_code, "false").await.status,
        StatusCode::NO_CONTENT
    );
    let code = started.device_code.as_str();
    assert_poll_error(&poll(&oauth, CLI, code).await, "access_denied", code);
    // Decided once for all.
    let again = decide(&oauth, &started.user_code, "true").await;
    again.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);
}

#[tokio::test]
async fn a_device_code_expires_after_its_configured_lifetime() {
    let config = ServerConfig {
        device_code_ttl: Duration::from_secs(2),
        device_poll_interval: Duration::ZERO,
        ..ServerConfig::default()
    };
    let oauth = Oauth::start(config).await;
    let answer = oauth
        .post_form("/oauth/device_authorization", CLI, &[])
        .await;
    assert_eq!(
        (
            answer.body["expires_in"].as_u64(),
            answer.body["interval"].as_u64()
        ),
        (Some(2), Some(0))
    );
    let code = answer.field("device_code");
    // Interval 0: polling back to back is fine.
    assert_poll_error(
        &poll(&oauth, CLI, &code).await,
        "authorization_pending",
        &code,
    );
    assert_poll_error(
        &poll(&oauth, CLI, &code).await,
        "authorization_pending",
        &code,
    );
    oauth.clock.advance(Duration::from_secs(2));
    assert_poll_error(&poll(&oauth, CLI, &code).await, "expired_token", &code);
    // Too late to approve.
    let late = decide(&oauth, &answer.field("user_code"), "true").await;
    late.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);
}

#[tokio::test]
async fn device_codes_belong_to_their_client() {
    let oauth = Oauth::start_default().await;
    let started = start(&oauth, CLI).await;
    decide(&oauth, &started.user_code, "true").await;
    poll(&oauth, BACKEND, &started.device_code)
        .await
        .assert_invalid_grant();
    poll(&oauth, CLI, "not-a-device-code")
        .await
        .assert_invalid_grant();
    // The rightful client still gets its tokens.
    poll(&oauth, CLI, &started.device_code).await.tokens();

    let anonymous = oauth
        .post_form("/oauth/device_authorization", ClientAuth::Anonymous, &[])
        .await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "invalid_client", &[]);
    let unknown = decide(&oauth, "BCDF-GHJK", "true").await;
    unknown.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);
    let malformed = decide(&oauth, &started.user_code, "yes").await;
    malformed.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);
}

#[tokio::test]
async fn the_metadata_lists_the_device_endpoint_and_grant() {
    let oauth = Oauth::start_default().await;
    let metadata = oauth
        .get("/.well-known/oauth-authorization-server")
        .await
        .body;
    assert_eq!(
        metadata["device_authorization_endpoint"],
        format!("{}/oauth/device_authorization", oauth.base_url).as_str()
    );
    assert!(
        metadata["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&GRANT.into())
    );
}
