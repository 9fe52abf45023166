//! What the assertion and exchange sources send, as a token endpoint sees it (httpmock on
//! 127.0.0.1): the `aud` of `private_key_jwt` assertions, assertions from elsewhere, token
//! exchange forms, and grants of the user's own.

use freshtoken::TokenSource;
use freshtoken::oauth::{ClientAuth, Issuer, JwtSigner};
use httpmock::Method::POST;
use httpmock::prelude::HttpMockRequest;
use httpmock::{Mock, MockServer};
use serde_json::{Value, json};

const CLIENT_ID: &str = "svc";
const TOKEN_PATH: &str = "/oauth/token";
const RSA_PRIVATE: &[u8] = include_bytes!("../../runtime/src/oauth/test_keys/rsa_private.pem");

/// The value of the form field `name` of a request body, decoded.
fn field(request: &HttpMockRequest, name: &str) -> Option<String> {
    form_urlencoded_pairs(request.body_ref())
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    let decode = |text: &str| {
        let text = text.replace('+', " ");
        let mut bytes = Vec::new();
        let mut rest = text.as_bytes();
        while let Some((&byte, tail)) = rest.split_first() {
            if byte == b'%' && tail.len() >= 2 {
                let hex = std::str::from_utf8(&tail[..2]).unwrap_or("3f");
                bytes.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                rest = &tail[2..];
            } else {
                bytes.push(byte);
                rest = tail;
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    };
    std::str::from_utf8(body)
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

/// The claims of a JWT, read without verifying it (the signature is checked elsewhere).
fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap_or_default();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap_or_default();
    serde_json::from_slice(&payload).unwrap_or(Value::Null)
}

/// A token endpoint that answers a token only to a client assertion for `audience`.
async fn wants_assertion_for<'s>(server: &'s MockServer, audience: &str) -> Mock<'s> {
    let audience = audience.to_owned();
    server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH).is_true(move |request| {
                field(request, "client_assertion")
                    .is_some_and(|assertion| claims(&assertion)["aud"] == audience.as_str())
            });
            then.status(200)
                .json_body(json!({"access_token": "access-SECRET-1"}));
        })
        .await
}

async fn metadata(server: &MockServer) -> Mock<'_> {
    let (issuer, token_url) = (server.base_url(), server.url(TOKEN_PATH));
    server
        .mock_async(|when, then| {
            when.path("/.well-known/oauth-authorization-server");
            then.status(200)
                .json_body(json!({"issuer": issuer, "token_endpoint": token_url}));
        })
        .await
}

fn private_key_jwt() -> ClientAuth {
    ClientAuth::private_key_jwt(CLIENT_ID, JwtSigner::rs256_pem(RSA_PRIVATE).unwrap())
}

#[tokio::test]
async fn a_source_built_by_an_issuer_signs_its_client_assertions_for_the_issuer() {
    let server = MockServer::start_async().await;
    metadata(&server).await;
    let for_issuer = wants_assertion_for(&server, &server.base_url()).await;
    let issuer = Issuer::new(server.base_url().parse().unwrap());
    let source = issuer.client_credentials(private_key_jwt()).await.unwrap();
    source.fetch(None).await.unwrap();
    assert_eq!(for_issuer.calls_async().await, 1);
}

#[tokio::test]
async fn a_chosen_audience_wins_over_the_issuer_and_a_hand_built_source_uses_the_endpoint() {
    let server = MockServer::start_async().await;
    metadata(&server).await;
    let chosen = "https://auth.example/tenant";
    let for_chosen = wants_assertion_for(&server, chosen).await;
    let issuer = Issuer::new(server.base_url().parse().unwrap());
    issuer
        .client_credentials(private_key_jwt().audience(chosen))
        .await
        .unwrap()
        .fetch(None)
        .await
        .unwrap();
    assert_eq!(for_chosen.calls_async().await, 1);

    let for_endpoint = wants_assertion_for(&server, &server.url(TOKEN_PATH)).await;
    freshtoken::oauth::ClientCredentials::new(
        server.url(TOKEN_PATH).parse().unwrap(),
        private_key_jwt(),
    )
    .fetch(None)
    .await
    .unwrap();
    assert_eq!(for_endpoint.calls_async().await, 1);
}
