//! Resource indicators (RFC 8707) and the redirect's `iss` (RFC 9207) over real HTTP: the
//! `resource` of a grant becomes its access tokens' `aud`, a refresh cannot switch it, a
//! relative one is `invalid_target`; the authorization redirects name the issuer, as the
//! metadata announces.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::LOCATION;
use reqwest::{StatusCode, Url};
use serde_json::Value;

use crate::common::{Answer, BACKEND, ClientAuth, Oauth};
use freshtoken_examples::server::DEMO_PUBLIC_CLIENT_ID as CLI_ID;

const CLI: ClientAuth<'static> = ClientAuth::Public(CLI_ID);
const RESOURCE: &str = "https://mcp.example.com/mcp";
const REDIRECT: &str = "http://127.0.0.1:53682/callback";
// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The `aud` claim of an access token.
fn audience(access_token: &str) -> Value {
    let claims = access_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    claims["aud"].clone()
}

/// `GET /oauth/authorize` by the public client, with `extra` parameters; the query of the
/// redirect it answers.
async fn authorize(oauth: &Oauth, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", CLI_ID),
        ("redirect_uri", REDIRECT),
        ("state", "af0ifjsldkj"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    let query = serde_urlencoded::to_string(&params).unwrap();
    let answer = oauth.get(&format!("/oauth/authorize?{query}")).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{answer:?}");
    let location = Url::parse(answer.header(LOCATION).unwrap()).unwrap();
    location.query_pairs().into_owned().collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

async fn exchange(oauth: &Oauth, code: &str, extra: &[(&str, &str)]) -> Answer {
    let mut params = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    params.extend_from_slice(extra);
    oauth.token(CLI, &params).await
}

async fn refresh(oauth: &Oauth, refresh_token: &str, resource: Option<&str>) -> Answer {
    let mut params = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    params.extend(resource.map(|resource| ("resource", resource)));
    oauth.token(CLI, &params).await
}

#[tokio::test]
async fn the_code_flows_resource_is_the_aud_of_every_access_token_and_a_refresh_cannot_switch_it() {
    let oauth = Oauth::start_default().await;
    let redirect = authorize(&oauth, &[("resource", RESOURCE)]).await;
    let code = param(&redirect, "code").unwrap();

    let (access, refresh_token) = exchange(&oauth, code, &[("resource", RESOURCE)])
        .await
        .tokens();
    assert_eq!(audience(&access), RESOURCE);

    // Named again, or left out: the grant's resource.
    let (access, refresh_token) = refresh(&oauth, &refresh_token, Some(RESOURCE))
        .await
        .tokens();
    assert_eq!(audience(&access), RESOURCE);
    let (access, refresh_token) = refresh(&oauth, &refresh_token, None).await.tokens();
    assert_eq!(audience(&access), RESOURCE);

    let other = refresh(&oauth, &refresh_token, Some("https://other.example/")).await;
    other.assert_error(StatusCode::BAD_REQUEST, "invalid_target", &[&refresh_token]);
    // The refused refresh spent nothing: the refresh token still works.
    refresh(&oauth, &refresh_token, None).await.tokens();
}

#[tokio::test]
async fn a_code_cannot_be_exchanged_for_another_resource() {
    let oauth = Oauth::start_default().await;
    let redirect = authorize(&oauth, &[("resource", RESOURCE)]).await;
    let code = param(&redirect, "code").unwrap();
    let answer = exchange(&oauth, code, &[("resource", "https://other.example/")]).await;
    answer.assert_error(StatusCode::BAD_REQUEST, "invalid_target", &[code, VERIFIER]);
}

#[tokio::test]
async fn password_and_device_grants_put_their_resource_in_aud() {
    let oauth = Oauth::start_default().await;
    let params = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "wonderland"),
        ("resource", RESOURCE),
    ];
    let (access, _) = oauth.token(BACKEND, &params).await.tokens();
    assert_eq!(audience(&access), RESOURCE);

    let started = oauth
        .post_form(
            "/oauth/device_authorization",
            CLI,
            &[("resource", RESOURCE)],
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{started:?}");
    let user_code = started.field("user_code");
    let approve = [("user_code", user_code.as_str()), ("approve", "true")];
    let approved = oauth
        .post_form("/oauth/device/approve", ClientAuth::Anonymous, &approve)
        .await;
    assert!(approved.status.is_success(), "{approved:?}");
    let device_code = started.field("device_code");
    let poll = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code.as_str()),
        ("resource", RESOURCE),
    ];
    let (access, _) = oauth.token(CLI, &poll).await.tokens();
    assert_eq!(audience(&access), RESOURCE);

    // Without a resource, no audience.
    let (access, _) = oauth.password(BACKEND, "bob", "builder").await.tokens();
    assert_eq!(audience(&access), Value::Null);
}

#[tokio::test]
async fn a_relative_resource_or_one_with_a_fragment_is_an_invalid_target() {
    let oauth = Oauth::start_default().await;
    for bad in ["/mcp", "https://mcp.example.com/mcp#tools"] {
        let params = [
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "wonderland"),
            ("resource", bad),
        ];
        let answer = oauth.token(BACKEND, &params).await;
        answer.assert_error(StatusCode::BAD_REQUEST, "invalid_target", &["wonderland"]);

        let answer = oauth
            .post_form("/oauth/device_authorization", CLI, &[("resource", bad)])
            .await;
        answer.assert_error(StatusCode::BAD_REQUEST, "invalid_target", &[]);

        let redirect = authorize(&oauth, &[("resource", bad)]).await;
        assert_eq!(param(&redirect, "error"), Some("invalid_target"));
        assert_eq!(param(&redirect, "code"), None);
    }
}

#[tokio::test]
async fn every_authorization_redirect_names_the_issuer_the_metadata_announces() {
    let oauth = Oauth::start_default().await;
    let metadata = oauth.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(
        metadata.body["authorization_response_iss_parameter_supported"],
        true
    );

    let granted = authorize(&oauth, &[]).await;
    assert_eq!(param(&granted, "iss"), Some(oauth.base_url.as_str()));
    let denied = authorize(&oauth, &[("login_hint", "deny")]).await;
    assert_eq!(param(&denied, "error"), Some("access_denied"));
    assert_eq!(param(&denied, "iss"), Some(oauth.base_url.as_str()));
}
