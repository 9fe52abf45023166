//! freshtoken's login sources against the reference server over real HTTP: each flow's first
//! token, then a refresh with rotation through the cache, and each flow's refusals. The
//! server's own view of the flows is in `oauth_server/`.

mod from_a_url;
mod mcp;
mod registration;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::{self, Oauth};
use crate::stepped_clock::on_stepped_clock;
use freshtoken::oauth::{
    AuthorizationCodePkce, ClientAuth, DeviceCodeGrant, Issuer, JwtBearerGrant, JwtSigner,
    PasswordGrant, Url,
};
use freshtoken::{AuthErrorKind, Token, TokenCache, TokenSource};
use freshtoken_examples::server::{
    DEMO_CONFIDENTIAL_CLIENT_ID as BACKEND_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET as BACKEND_SECRET,
    DEMO_PUBLIC_CLIENT_ID as CLI_ID, OAuthClient, ServerConfig,
};
use reqwest::StatusCode;

const RSA_PRIVATE: &[u8] = include_bytes!("keys/test-only-rsa-private.pem");
const RSA_PUBLIC: &str = include_str!("keys/test-only-rsa-public.pem");
const UNREGISTERED_PRIVATE: &[u8] = include_bytes!("keys/test-only-unregistered-rsa-private.pem");

fn url(oauth: &Oauth, path: &str) -> Url {
    format!("{}{path}", oauth.base_url).parse().unwrap()
}

fn access(token: &Token) -> &str {
    token.access_token().expose_secret()
}

/// Refreshes through a cache that holds `token`, and checks that the refresh token rotated
/// and the new token works on the API.
async fn refresh_rotates<S: TokenSource>(oauth: &Oauth, source: S, token: Token) {
    let first_refresh = token.refresh_token().unwrap().expose_secret().to_owned();
    let cache = TokenCache::builder(source).token(token).build();
    let renewed = cache.refresh().await.unwrap();
    let rotated = renewed.refresh_token().unwrap().expose_secret();
    assert_ne!(rotated, first_refresh, "the refresh token did not rotate");
    assert_eq!(oauth.tasks_status(access(&renewed)).await, StatusCode::OK);
}

#[tokio::test]
async fn password_grant_logs_in_and_refreshes_with_rotation() {
    let oauth = Oauth::start_default().await;
    let source = PasswordGrant::new(
        url(&oauth, "/oauth/token"),
        ClientAuth::basic(BACKEND_ID, BACKEND_SECRET),
        "alice",
        "wonderland",
    );
    let token = source.fetch(None).await.unwrap();
    assert_eq!(oauth.tasks_status(access(&token)).await, StatusCode::OK);
    refresh_rotates(&oauth, source, token).await;

    let wrong = PasswordGrant::new(
        url(&oauth, "/oauth/token"),
        ClientAuth::public(CLI_ID),
        "alice",
        "not-the-password",
    );
    let error = wrong.fetch(None).await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    assert!(!format!("{error:?}").contains("not-the-password"));
}

/// A PKCE source whose "browser" follows the authorize URL's redirect to the loopback
/// listener, after sending there the redirect as `forge` rewrites it (a forged state, say),
/// if given, which must be answered 400.
async fn pkce_login(
    oauth: &Oauth,
    extra: &[(&str, &str)],
    forge: Option<fn(Url) -> Url>,
) -> (AuthorizationCodePkce, Result<Token, freshtoken::AuthError>) {
    let (urls, mut received) = tokio::sync::mpsc::unbounded_channel();
    let mut source = AuthorizationCodePkce::new(
        url(oauth, "/oauth/authorize"),
        url(oauth, "/oauth/token"),
        ClientAuth::public(CLI_ID),
        move |url| {
            let _ = urls.send(url.clone());
        },
    )
    .login_timeout(Duration::from_secs(10));
    for (name, value) in extra {
        source = source.param(*name, *value);
    }
    let browser = async {
        let authorize = received.recv().await.unwrap();
        let answer = oauth.http.get(authorize).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::FOUND);
        let location: Url = answer.headers()["location"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        if let Some(forge) = forge {
            let forged = oauth
                .http
                .get(forge(location.clone()))
                .send()
                .await
                .unwrap();
            assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
        }
        let _ = oauth.http.get(location).send().await;
    };
    let (token, ()) = tokio::join!(source.login(), browser);
    (source, token)
}

#[tokio::test]
async fn pkce_logs_in_through_the_loopback_redirect_and_refreshes_with_rotation() {
    let oauth = Oauth::start_default().await;
    let (source, token) = pkce_login(&oauth, &[], None).await;
    let token = token.unwrap();
    assert_eq!(oauth.tasks_status(access(&token)).await, StatusCode::OK);
    refresh_rotates(&oauth, source, token).await;
}

#[tokio::test]
async fn pkce_ignores_a_forged_state_and_reports_a_denied_consent() {
    let oauth = Oauth::start_default().await;
    let (_, after_forged) = pkce_login(
        &oauth,
        &[],
        Some(|mut location| {
            let pairs: Vec<(String, String)> = location
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == "state" { "forged".into() } else { v };
                    (k.into_owned(), v.into_owned())
                })
                .collect();
            location.query_pairs_mut().clear().extend_pairs(pairs);
            location
        }),
    )
    .await;
    let token = after_forged.expect("the genuine redirect after a forged one logs in");
    assert_eq!(oauth.tasks_status(access(&token)).await, StatusCode::OK);

    let (_, denied) = pkce_login(&oauth, &[("login_hint", "deny")], None).await;
    let error = denied.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Rejected { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("access_denied"), "{error}");
}

/// A device source that sends each user code it shows to `user_codes`. Its requests may take
/// an hour, longer than any test waits on the stepped clock.
fn device_source(
    oauth: &Oauth,
    user_codes: tokio::sync::mpsc::UnboundedSender<String>,
) -> DeviceCodeGrant {
    DeviceCodeGrant::new(
        url(oauth, "/oauth/device_authorization"),
        url(oauth, "/oauth/token"),
        ClientAuth::public(CLI_ID),
        move |login| {
            let _ = user_codes.send(login.user_code.clone());
        },
    )
    .timeout(Duration::from_secs(3600))
}

async fn device_server() -> Oauth {
    Oauth::start(ServerConfig {
        // The server's clock stands still, so it never says `slow_down`: the source polls
        // every 5 s of the stepped clock, the least it waits.
        device_poll_interval: Duration::ZERO,
        ..ServerConfig::default()
    })
    .await
}

async fn decide(oauth: &Oauth, user_code: &str, approve: &str) {
    let answer = oauth
        .post_form(
            "/oauth/device/approve",
            common::ClientAuth::Anonymous,
            &[("user_code", user_code), ("approve", approve)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{answer:?}");
}

#[tokio::test]
async fn the_device_flow_polls_while_pending_until_approved_then_refreshes_with_rotation() {
    let oauth = device_server().await;
    let (codes, mut shown) = tokio::sync::mpsc::unbounded_channel();
    let source = device_source(&oauth, codes);
    let user = async {
        let user_code = shown.recv().await.unwrap();
        // The source polls at 5 and 10 s (`authorization_pending`) while the user takes a
        // while, and gets its token at 15 s.
        tokio::time::sleep(Duration::from_secs(12)).await;
        decide(&oauth, &user_code, "true").await;
    };
    let (token, ()) = on_stepped_clock(async { tokio::join!(source.login(), user) }).await;
    let token = token.unwrap();
    assert_eq!(oauth.tasks_status(access(&token)).await, StatusCode::OK);
    refresh_rotates(&oauth, source, token).await;
}

#[tokio::test]
async fn a_denied_and_an_expired_device_login_end_with_distinct_errors() {
    let oauth = device_server().await;
    let (codes, mut shown) = tokio::sync::mpsc::unbounded_channel();
    let source = device_source(&oauth, codes);
    let user = async { decide(&oauth, &shown.recv().await.unwrap(), "false").await };
    let (denied, ()) = on_stepped_clock(async { tokio::join!(source.login(), user) }).await;
    let denied = denied.unwrap_err();
    assert!(
        matches!(denied.kind(), AuthErrorKind::Rejected { .. }),
        "{denied}"
    );
    assert!(denied.to_string().contains("access_denied"), "{denied}");

    let (codes, mut shown) = tokio::sync::mpsc::unbounded_channel();
    let source = device_source(&oauth, codes);
    // The code's lifetime passes on the server while the user does nothing.
    let user = async {
        shown.recv().await.unwrap();
        oauth.clock.advance(Duration::from_secs(601));
    };
    let (expired, ()) = on_stepped_clock(async { tokio::join!(source.login(), user) }).await;
    let expired = expired.unwrap_err();
    assert!(expired.needs_reauthentication(), "{expired}");
    assert!(expired.to_string().contains("expired_token"), "{expired}");
}

#[tokio::test]
async fn a_device_login_nobody_approves_expires_locally_and_says_so() {
    let oauth = Oauth::start(ServerConfig {
        device_code_ttl: Duration::from_secs(20),
        ..ServerConfig::default()
    })
    .await;
    let (codes, _shown) = tokio::sync::mpsc::unbounded_channel();
    let error = on_stepped_clock(device_source(&oauth, codes).login())
        .await
        .unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("expired locally after 20 s without approval"),
        "{message}"
    );
    assert!(!message.contains("expired_token"), "{message}");
}

async fn jwt_server() -> Oauth {
    let mut config = ServerConfig::default();
    config
        .clients
        .push(OAuthClient::with_jwt_keys("svc-rsa", [RSA_PUBLIC]));
    Oauth::start(config).await
}

fn jwt_source(oauth: &Oauth, key: &[u8]) -> JwtBearerGrant {
    JwtBearerGrant::new(
        url(oauth, "/oauth/token"),
        ClientAuth::none(),
        JwtSigner::rs256_pem(key).unwrap(),
        "svc-rsa",
        "svc-rsa",
    )
}

#[tokio::test]
async fn the_jwt_bearer_grant_gets_tokens_and_refuses_wrong_keys_and_expired_assertions() {
    let oauth = jwt_server().await;
    let cache = TokenCache::new(jwt_source(&oauth, RSA_PRIVATE));
    let token = cache.token().await.unwrap();
    assert_eq!(oauth.tasks_status(access(&token)).await, StatusCode::OK);
    // No refresh token: each renewal signs a new assertion (a fresh `jti`).
    cache.refresh().await.unwrap();

    let error = jwt_source(&oauth, UNREGISTERED_PRIVATE)
        .fetch(None)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("invalid_grant"), "{error}");

    // The server's clock runs past the assertion's five minutes.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let server_now = oauth.clock.now();
    oauth
        .clock
        .advance(now.saturating_sub(server_now) + Duration::from_secs(600));
    let error = jwt_source(&oauth, RSA_PRIVATE)
        .fetch(None)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("invalid_grant"), "{error}");
}

#[tokio::test]
async fn private_key_jwt_authenticates_a_password_login() {
    let oauth = jwt_server().await;
    let client = ClientAuth::private_key_jwt("svc-rsa", JwtSigner::rs256_pem(RSA_PRIVATE).unwrap());
    let token = PasswordGrant::new(url(&oauth, "/oauth/token"), client, "alice", "wonderland")
        .fetch(None)
        .await
        .unwrap();
    assert_eq!(oauth.tasks_status(access(&token)).await, StatusCode::OK);
}

#[tokio::test]
async fn discovery_builds_sources_and_refuses_a_mismatched_issuer() {
    let oauth = Oauth::start_default().await;
    let issuer = Issuer::new(oauth.base_url.parse().unwrap());
    let source = issuer
        .password_grant(ClientAuth::public(CLI_ID), "alice", "wonderland")
        .await
        .unwrap();
    let token = source.fetch(None).await.unwrap();

    // Logging out revokes the refresh token: the server refuses it afterwards.
    let revocation = issuer.revocation(ClientAuth::public(CLI_ID)).await.unwrap();
    let cache = TokenCache::builder(source.clone())
        .token(token.clone())
        .build();
    cache.token().await.unwrap();
    revocation.log_out(&cache).await.unwrap();
    let error = source.fetch(Some(&token)).await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");

    let elsewhere = Oauth::start(ServerConfig {
        issuer: Some("https://auth.elsewhere.example".to_owned()),
        ..ServerConfig::default()
    })
    .await;
    let error = Issuer::new(elsewhere.base_url.parse().unwrap())
        .metadata()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("names the issuer"), "{error}");
}
