//! Assertions and token exchange against the reference server over real HTTP:
//! `private_key_jwt` with either audience, the JWT bearer grant with an assertion from
//! elsewhere, the token exchange grant (RFC 8693) with subject and actor tokens from other
//! caches, and a grant of the user's own sent with `GrantRequest`.

#[path = "common/mod.rs"]
mod common;

use common::Oauth;
use freshtoken::oauth::{ClientAuth, JwtSigner, PasswordGrant, Url};
use freshtoken::{AuthErrorKind, Token, TokenSource};
use freshtoken_examples::server::{OAuthClient, ServerConfig};
use reqwest::StatusCode;

const RSA_PRIVATE: &[u8] = include_bytes!("keys/test-only-rsa-private.pem");
const RSA_PUBLIC: &str = include_str!("keys/test-only-rsa-public.pem");
const JWT_CLIENT: &str = "svc-rsa";

fn url(oauth: &Oauth, path: &str) -> Url {
    format!("{}{path}", oauth.base_url).parse().unwrap()
}

fn access(token: &Token) -> &str {
    token.access_token().expose_secret()
}

/// The default server plus a client that signs with the test-only RSA key.
async fn start() -> Oauth {
    let mut config = ServerConfig::default();
    config
        .clients
        .push(OAuthClient::with_jwt_keys(JWT_CLIENT, [RSA_PUBLIC]));
    Oauth::start(config).await
}

fn private_key_jwt() -> ClientAuth {
    ClientAuth::private_key_jwt(JWT_CLIENT, JwtSigner::rs256_pem(RSA_PRIVATE).unwrap())
}

async fn password_login(oauth: &Oauth, client: ClientAuth) -> Result<Token, freshtoken::AuthError> {
    PasswordGrant::new(url(oauth, "/oauth/token"), client, "alice", "wonderland")
        .fetch(None)
        .await
}

#[tokio::test]
async fn private_key_jwt_for_the_token_endpoint_or_the_issuer_is_accepted_and_another_audience_refused()
 {
    let oauth = start().await;
    let for_endpoint = password_login(&oauth, private_key_jwt()).await.unwrap();
    assert_eq!(
        oauth.tasks_status(access(&for_endpoint)).await,
        StatusCode::OK
    );

    let issuer = oauth.base_url.clone();
    let for_issuer = password_login(&oauth, private_key_jwt().audience(issuer))
        .await
        .unwrap();
    assert_eq!(
        oauth.tasks_status(access(&for_issuer)).await,
        StatusCode::OK
    );

    let elsewhere = private_key_jwt().audience("https://elsewhere.example/oauth/token");
    let error = password_login(&oauth, elsewhere).await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::InvalidClient { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("aud"), "{error}");
}
