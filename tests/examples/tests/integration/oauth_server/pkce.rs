//! Authorization code + PKCE over real HTTP: `/oauth/authorize` with the automatic consent
//! redirects to a loopback URI, `/oauth/token` exchanges the code once with the right
//! verifier; denials, wrong verifiers, reused and expired codes are refused.

use std::time::Duration;

use crate::common::{Answer, BACKEND, ClientAuth, Oauth};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use freshtoken_examples::server::{
    DEMO_CONFIDENTIAL_CLIENT_ID as BACKEND_ID, DEMO_PUBLIC_CLIENT_ID as CLI_ID, ServerConfig,
};
use reqwest::header::LOCATION;
use reqwest::{StatusCode, Url};
use serde_json::Value;

const CLI: ClientAuth<'static> = ClientAuth::Public(CLI_ID);
const REDIRECT: &str = "http://127.0.0.1:53682/callback";
// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The standard parameters of an authorization request by the public client.
fn request() -> Vec<(&'static str, &'static str)> {
    vec![
        ("response_type", "code"),
        ("client_id", CLI_ID),
        ("redirect_uri", REDIRECT),
        ("state", "af0ifjsldkj"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("scope", "tasks:read"),
    ]
}

/// `GET /oauth/authorize` with `params`.
async fn authorize(oauth: &Oauth, params: &[(&str, &str)]) -> Answer {
    let query = serde_urlencoded::to_string(params).unwrap();
    oauth.get(&format!("/oauth/authorize?{query}")).await
}

/// The query parameters of the 302's `Location`, which must lead to `REDIRECT`.
fn redirected(answer: &Answer) -> Vec<(String, String)> {
    assert_eq!(answer.status, StatusCode::FOUND, "{answer:?}");
    let location = Url::parse(answer.header(LOCATION).unwrap()).unwrap();
    let mut target = location.clone();
    target.set_query(None);
    assert_eq!(target.as_str(), REDIRECT);
    location.query_pairs().into_owned().collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Authorizes with `params` and answers the code.
async fn code(oauth: &Oauth, params: &[(&str, &str)]) -> String {
    let params = redirected(&authorize(oauth, params).await);
    assert_eq!(param(&params, "state"), Some("af0ifjsldkj"));
    assert_eq!(param(&params, "iss"), Some(oauth.base_url.as_str()));
    param(&params, "code").expect("a code").to_owned()
}

async fn exchange(oauth: &Oauth, auth: ClientAuth<'_>, code: &str, verifier: &str) -> Answer {
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    oauth.token(auth, &params).await
}

fn subject(access_token: &str) -> String {
    let claims = access_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    claims["sub"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_code_flow_logs_the_consenting_user_in_and_refreshes_with_rotation() {
    let oauth = Oauth::start_default().await;
    let code = code(&oauth, &request()).await;

    let answer = exchange(&oauth, CLI, &code, VERIFIER).await;
    let (access, refresh) = answer.tokens();
    assert_eq!(answer.body["scope"], "tasks:read");
    assert_eq!(subject(&access), "alice");
    assert_eq!(oauth.tasks_status(&access).await, StatusCode::OK);

    let (access2, _) = oauth.refresh(CLI, &refresh).await.tokens();
    assert_eq!(oauth.tasks_status(&access2).await, StatusCode::OK);
    oauth.refresh(CLI, &refresh).await.assert_invalid_grant();
}

#[tokio::test]
async fn any_loopback_port_and_path_is_accepted_and_login_hint_picks_a_user() {
    let oauth = Oauth::start_default().await;
    let redirect = "http://127.0.0.1:1/other/path";
    let mut params = request();
    params.retain(|(name, _)| *name != "redirect_uri");
    params.extend([("redirect_uri", redirect), ("login_hint", "bob")]);
    let answer = authorize(&oauth, &params).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{answer:?}");
    let location = Url::parse(answer.header(LOCATION).unwrap()).unwrap();
    assert_eq!(location.port(), Some(1));
    let code = location
        .query_pairs()
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .into_owned();
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect),
        ("code_verifier", VERIFIER),
    ];
    let (access, _) = oauth.token(CLI, &exchange).await.tokens();
    assert_eq!(subject(&access), "bob");
}

#[tokio::test]
async fn a_wrong_verifier_is_refused_and_spends_the_code() {
    let oauth = Oauth::start_default().await;
    let code = code(&oauth, &request()).await;
    let wrong = "x".repeat(43);
    let answer = exchange(&oauth, CLI, &code, &wrong).await;
    answer.assert_error(StatusCode::BAD_REQUEST, "invalid_grant", &[&code, &wrong]);
    exchange(&oauth, CLI, &code, VERIFIER)
        .await
        .assert_invalid_grant();
}

#[tokio::test]
async fn a_code_is_single_use_short_lived_and_bound_to_its_client_and_redirect() {
    let oauth = Oauth::start_default().await;

    let reused = code(&oauth, &request()).await;
    exchange(&oauth, CLI, &reused, VERIFIER).await.tokens();
    exchange(&oauth, CLI, &reused, VERIFIER)
        .await
        .assert_invalid_grant();

    let expired = code(&oauth, &request()).await;
    oauth.clock.advance(Duration::from_secs(60));
    exchange(&oauth, CLI, &expired, VERIFIER)
        .await
        .assert_invalid_grant();

    let stolen = code(&oauth, &request()).await;
    exchange(&oauth, BACKEND, &stolen, VERIFIER)
        .await
        .assert_invalid_grant();

    let redirected_elsewhere = code(&oauth, &request()).await;
    let params = [
        ("grant_type", "authorization_code"),
        ("code", redirected_elsewhere.as_str()),
        ("redirect_uri", "http://127.0.0.1:53682/other"),
        ("code_verifier", VERIFIER),
    ];
    oauth.token(CLI, &params).await.assert_invalid_grant();

    let no_verifier = [
        ("grant_type", "authorization_code"),
        ("code", "whatever"),
        ("redirect_uri", REDIRECT),
    ];
    let answer = oauth.token(CLI, &no_verifier).await;
    answer.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[]);
}

#[tokio::test]
async fn a_denied_consent_redirects_with_access_denied() {
    let oauth = Oauth::start_default().await;
    let mut params = request();
    params.push(("login_hint", "deny"));
    let answer = redirected(&authorize(&oauth, &params).await);
    assert_eq!(param(&answer, "error"), Some("access_denied"));
    assert_eq!(param(&answer, "state"), Some("af0ifjsldkj"));
    assert_eq!(param(&answer, "code"), None);

    let config = ServerConfig {
        auto_consent_user: None,
        ..ServerConfig::default()
    };
    let no_consent = Oauth::start(config).await;
    let answer = redirected(&authorize(&no_consent, &request()).await);
    assert_eq!(param(&answer, "error"), Some("access_denied"));
}

#[tokio::test]
async fn bad_parameters_are_reported_on_the_redirect() {
    let oauth = Oauth::start_default().await;
    let cases: [(&str, Option<&str>, &str); 4] = [
        ("code_challenge", None, "invalid_request"),
        ("code_challenge_method", Some("plain"), "invalid_request"),
        ("code_challenge_method", None, "invalid_request"),
        ("response_type", Some("token"), "unsupported_response_type"),
    ];
    for (name, value, error) in cases {
        let mut params = request();
        params.retain(|(key, _)| *key != name);
        if let Some(value) = value {
            params.push((name, value));
        }
        let answer = redirected(&authorize(&oauth, &params).await);
        assert_eq!(param(&answer, "error"), Some(error), "{name}={value:?}");
        assert_eq!(param(&answer, "code"), None);
    }
}

#[tokio::test]
async fn untrusted_clients_and_redirect_uris_get_an_error_page_not_a_redirect() {
    let oauth = Oauth::start_default().await;
    let cases = [
        ("client_id", "nobody"),
        // Confidential clients have no loopback redirects.
        ("client_id", BACKEND_ID),
        ("redirect_uri", "http://localhost:53682/callback"),
        ("redirect_uri", "https://127.0.0.1:53682/callback"),
        ("redirect_uri", "http://evil.example/callback"),
        ("redirect_uri", "http://127.0.0.1:53682/callback#fragment"),
        ("redirect_uri", "not a url"),
    ];
    for (name, value) in cases {
        let mut params = request();
        params.retain(|(key, _)| *key != name);
        params.push((name, value));
        let answer = authorize(&oauth, &params).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{name}={value}: {answer:?}"
        );
        assert_eq!(answer.body["error"], "invalid_request");
        assert!(answer.header(LOCATION).is_none());
    }
}

#[tokio::test]
async fn the_metadata_lists_the_authorization_endpoint_and_s256() {
    let oauth = Oauth::start_default().await;
    let metadata = oauth
        .get("/.well-known/oauth-authorization-server")
        .await
        .body;
    assert_eq!(
        metadata["authorization_endpoint"],
        format!("{}/oauth/authorize", oauth.base_url).as_str()
    );
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
}
