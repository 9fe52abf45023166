//! The client credentials grant (RFC 6749 §4.4): an access token alone, for a confidential
//! client acting for itself; refused to public clients.

use freshtoken_examples::server::DEMO_CONFIDENTIAL_CLIENT_ID as BACKEND_ID;
use freshtoken_examples::server::DEMO_PUBLIC_CLIENT_ID as CLI_ID;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{BACKEND, ClientAuth, Oauth};
use crate::dpop_proofs::ProofKey;

const GRANT: (&str, &str) = ("grant_type", "client_credentials");

fn claims_of(jwt: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

#[tokio::test]
async fn a_confidential_client_gets_an_access_token_alone_for_itself() {
    let oauth = Oauth::start_default().await;
    let answer = oauth
        .token(BACKEND, &[GRANT, ("scope", "tasks:read")])
        .await;
    let (access_token, refresh_token) = answer.tokens();
    assert_eq!(refresh_token, "", "no refresh token (RFC 6749 §4.4.3)");
    assert_eq!(answer.body["scope"], "tasks:read");
    let claims = claims_of(&access_token);
    assert_eq!(
        (claims["sub"].clone(), claims["scope"].clone()),
        (json!(BACKEND_ID), json!("tasks:read"))
    );
    assert_eq!(oauth.tasks_status(&access_token).await, StatusCode::OK);
    let stats = oauth.server.stats();
    assert_eq!((stats.access_tokens_issued, stats.logins), (1, 0));
}

#[tokio::test]
async fn a_public_client_is_refused_as_unauthorized_client() {
    let oauth = Oauth::start_default().await;
    let answer = oauth.token(ClientAuth::Public(CLI_ID), &[GRANT]).await;
    answer.assert_error(StatusCode::BAD_REQUEST, "unauthorized_client", &[]);
    let answer = oauth.token(BACKEND, &[GRANT, ("scope", "a  b")]).await;
    answer.assert_error(StatusCode::BAD_REQUEST, "invalid_scope", &[]);
}

#[tokio::test]
async fn a_client_credentials_request_with_a_proof_gets_a_bound_token() {
    let oauth = Oauth::start_default().await;
    let key = ProofKey::ec();
    let proof = key.proof(
        "POST",
        &format!("{}/oauth/token", oauth.base_url),
        1_700_000_000,
        &json!({}),
    );
    let answer = oauth
        .post_form_with("/oauth/token", BACKEND, &[GRANT], &[("DPoP", &proof)])
        .await;
    assert_eq!(answer.body["token_type"], "DPoP", "{answer:?}");
    let claims = claims_of(&answer.field("access_token"));
    assert_eq!(claims["cnf"], json!({ "jkt": key.jkt() }));
}
