//! freshtoken's login sources for a protected resource against the reference server over
//! real HTTP: `resource` (RFC 8707) on every request and in the tokens' `aud`, and the
//! redirect's `iss` (RFC 9207) checked before a code is exchanged.

use std::time::Duration;

use crate::common::{self, Oauth};
use crate::stepped_clock::on_stepped_clock;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use freshtoken::oauth::{AuthorizationCodePkce, ClientAuth, DeviceCodeGrant, Issuer, Url};
use freshtoken::{AuthError, AuthErrorKind, Token, TokenCache};
use freshtoken_examples::server::{
    DEMO_PUBLIC_CLIENT_ID as CLI_ID, RedirectIss, ResourceRequest, ServerConfig,
};
use reqwest::StatusCode;

const RESOURCE: &str = "https://mcp.example.com/mcp";

fn url(oauth: &Oauth, path: &str) -> Url {
    format!("{}{path}", oauth.base_url).parse().unwrap()
}

/// The `aud` claim of a token's access token.
fn audience(token: &Token) -> serde_json::Value {
    let claims = token
        .access_token()
        .expose_secret()
        .split('.')
        .nth(1)
        .unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    claims["aud"].clone()
}

fn carried(request: &str, resource: Option<&str>) -> ResourceRequest {
    ResourceRequest {
        request: request.to_owned(),
        resource: resource.map(str::to_owned),
    }
}

/// A PKCE source built from the server's metadata, for `RESOURCE`, whose "browser" follows
/// the authorize URL's redirect to the loopback listener; the login's outcome.
async fn pkce_login(oauth: &Oauth) -> (AuthorizationCodePkce, Result<Token, AuthError>) {
    let (urls, mut received) = tokio::sync::mpsc::unbounded_channel();
    let source = Issuer::new(oauth.base_url.parse().unwrap())
        .authorization_code_pkce(ClientAuth::public(CLI_ID), move |url| {
            let _ = urls.send(url.clone());
        })
        .await
        .unwrap()
        .resource(RESOURCE)
        .login_timeout(Duration::from_secs(10));
    let browser = async {
        let authorize = received.recv().await.unwrap();
        let answer = oauth.http.get(authorize).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::FOUND);
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        let _ = oauth.http.get(location).send().await;
    };
    let (token, ()) = tokio::join!(source.login(), browser);
    (source, token)
}

#[tokio::test]
async fn pkce_sends_the_resource_on_every_request_and_its_tokens_are_for_it() {
    let oauth = Oauth::start_default().await;
    let (source, token) = pkce_login(&oauth).await;
    let token = token.unwrap();
    assert_eq!(token.resource(), Some(RESOURCE));
    assert_eq!(audience(&token), RESOURCE);

    let cache = TokenCache::builder(source).token(token).build();
    cache.refresh().await.unwrap();
    let renewed = cache.refresh().await.unwrap();
    assert_eq!(renewed.resource(), Some(RESOURCE));
    assert_eq!(audience(&renewed), RESOURCE);

    assert_eq!(
        oauth.server.resource_requests(),
        [
            carried("authorize", Some(RESOURCE)),
            carried("authorization_code", Some(RESOURCE)),
            carried("refresh_token", Some(RESOURCE)),
            carried("refresh_token", Some(RESOURCE)),
        ]
    );
}

/// Logs in against a server whose redirects carry `iss` as `redirect_iss` says, and checks
/// that the login is refused with `expected` in its message and its code never exchanged.
async fn assert_refused(redirect_iss: RedirectIss, expected: &str) {
    let oauth = Oauth::start(ServerConfig {
        redirect_iss,
        ..ServerConfig::default()
    })
    .await;
    let (_, token) = pkce_login(&oauth).await;
    let error = token.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error}"
    );
    assert!(error.to_string().contains(expected), "{error}");
    assert_eq!(
        oauth.server.resource_requests(),
        [carried("authorize", Some(RESOURCE))],
        "the code was exchanged"
    );
}

#[tokio::test]
async fn a_redirect_naming_another_issuer_is_refused_and_its_code_never_exchanged() {
    assert_refused(
        RedirectIss::Other("https://evil.example".to_owned()),
        "\"https://evil.example\"",
    )
    .await;
}

#[tokio::test]
async fn a_redirect_without_the_announced_iss_is_refused_and_its_code_never_exchanged() {
    assert_refused(RedirectIss::Omitted, "has no `iss`").await;
}

#[tokio::test]
async fn the_device_flow_sends_the_resource_on_the_authorization_and_every_poll() {
    let oauth = Oauth::start(ServerConfig {
        // The server's clock stands still, so it never says `slow_down`.
        device_poll_interval: Duration::ZERO,
        ..ServerConfig::default()
    })
    .await;
    let (codes, mut shown) = tokio::sync::mpsc::unbounded_channel();
    let source = DeviceCodeGrant::new(
        url(&oauth, "/oauth/device_authorization"),
        url(&oauth, "/oauth/token"),
        ClientAuth::public(CLI_ID),
        move |login| {
            let _ = codes.send(login.user_code.clone());
        },
    )
    .resource(RESOURCE)
    // The stepped clock moves while a request is in flight.
    .timeout(Duration::from_secs(3600));
    let user = async {
        let user_code = shown.recv().await.unwrap();
        // One poll finds the login pending first.
        tokio::time::sleep(Duration::from_secs(7)).await;
        let answer = oauth
            .post_form(
                "/oauth/device/approve",
                common::ClientAuth::Anonymous,
                &[("user_code", &user_code), ("approve", "true")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{answer:?}");
    };

    let (token, ()) = on_stepped_clock(async { tokio::join!(source.login(), user) }).await;

    let token = token.unwrap();
    assert_eq!(token.resource(), Some(RESOURCE));
    assert_eq!(audience(&token), RESOURCE);
    let device_grant = "urn:ietf:params:oauth:grant-type:device_code";
    assert_eq!(
        oauth.server.resource_requests(),
        [
            carried("device_authorization", Some(RESOURCE)),
            carried(device_grant, Some(RESOURCE)),
            carried(device_grant, Some(RESOURCE)),
        ]
    );
}
