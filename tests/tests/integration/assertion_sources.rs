//! What the assertion and exchange sources send, as a token endpoint sees it (httpmock on
//! 127.0.0.1): the `aud` of `private_key_jwt` assertions, assertions from elsewhere, token
//! exchange forms, and grants of the user's own.

use freshtoken::TokenSource;
use freshtoken::oauth::{
    ClientAuth, GrantRequest, Issuer, JwtBearerGrant, JwtSigner, TokenExchangeGrant, TokenSupplier,
};
use httpmock::Method::POST;
use httpmock::prelude::HttpMockRequest;
use httpmock::{Mock, MockServer};
use serde_json::{Value, json};

const CLIENT_ID: &str = "svc";
const TOKEN_PATH: &str = "/oauth/token";
const RSA_PRIVATE: &[u8] = include_bytes!("../../../runtime/src/oauth/test_keys/rsa_private.pem");

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

/// A token endpoint that answers `invalid_grant` repeating every field it was sent, as a
/// careless server does.
async fn echoing_refusal(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(400).respond_with(|request: &HttpMockRequest| {
                let echoed: Vec<String> = form_urlencoded_pairs(request.body_ref())
                    .into_iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                httpmock::HttpMockResponse::builder()
                    .status(400)
                    .header("content-type", "application/json")
                    .body(
                        json!({"error": "invalid_grant", "error_description": echoed.join(" ")})
                            .to_string(),
                    )
                    .build()
            });
        })
        .await
}

fn assert_no_secret(error: &freshtoken::AuthError) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("SECRET"), "a secret leaked: {shown}");
    assert!(
        shown.contains("[redacted]"),
        "the echo was not seen: {shown}"
    );
}

#[tokio::test]
async fn grant_request_sends_the_fields_then_the_client_and_cuts_secret_fields_out_of_errors() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH).is_true(|request| {
                form_urlencoded_pairs(request.body_ref())
                    == [
                        ("grant_type".to_owned(), "urn:example:grant".to_owned()),
                        ("device_key".to_owned(), "key-SECRET-1".to_owned()),
                        ("client_id".to_owned(), CLIENT_ID.to_owned()),
                        ("client_secret".to_owned(), "client-SECRET".to_owned()),
                    ]
            });
            then.status(200).json_body(
                json!({"access_token": "access-SECRET-1", "expires_in": 60, "scope": "a"}),
            );
        })
        .await;
    let client = ClientAuth::body(CLIENT_ID, "client-SECRET");
    let token_url: reqwest::Url = server.url(TOKEN_PATH).parse().unwrap();
    let request = || {
        GrantRequest::new(token_url.clone(), &client)
            .field("grant_type", "urn:example:grant")
            .secret_field("device_key", "key-SECRET-1")
    };
    let token = request().send().await.unwrap();
    assert_eq!(token.scope(), Some("a"));
    assert_eq!(endpoint.calls_async().await, 1);
    assert!(!format!("{:?}", request()).contains("SECRET"));

    endpoint.delete_async().await;
    echoing_refusal(&server).await;
    let error = request().send().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    assert_no_secret(&error);
}

#[tokio::test]
async fn token_exchange_sends_subject_actor_and_target_and_keeps_them_out_of_errors() {
    let server = MockServer::start_async().await;
    let endpoint = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH).is_true(|request| {
                let sent = |name| field(request, name);
                sent("grant_type").as_deref()
                    == Some("urn:ietf:params:oauth:grant-type:token-exchange")
                    && sent("subject_token").as_deref() == Some("subject-SECRET")
                    && sent("subject_token_type").as_deref()
                        == Some("urn:ietf:params:oauth:token-type:access_token")
                    && sent("actor_token").as_deref() == Some("actor-SECRET")
                    && sent("actor_token_type").as_deref()
                        == Some("urn:ietf:params:oauth:token-type:jwt")
                    && sent("requested_token_type").as_deref()
                        == Some("urn:ietf:params:oauth:token-type:id_token")
                    && sent("audience").as_deref() == Some("billing")
                    && sent("scope").as_deref() == Some("invoices:read")
            });
            // An ID token is no access token: RFC 8693's `N_A` token type.
            then.status(200).json_body(json!({
                "access_token": "id-token-SECRET",
                "issued_token_type": "urn:ietf:params:oauth:token-type:id_token",
                "token_type": "N_A",
            }));
        })
        .await;
    let supplied =
        |token: &'static str| TokenSupplier::from_fn(move || async move { Ok(token.to_owned()) });
    let source = TokenExchangeGrant::new(
        server.url(TOKEN_PATH).parse().unwrap(),
        ClientAuth::basic(CLIENT_ID, "client-SECRET"),
        supplied("subject-SECRET"),
    )
    .actor(supplied("actor-SECRET"))
    .actor_token_type(TokenExchangeGrant::JWT)
    .requested_token_type(TokenExchangeGrant::ID_TOKEN)
    .audience("billing")
    .scopes(["invoices:read"]);
    let token = source.fetch(None).await.unwrap();
    assert_eq!(token.token_type(), "N_A");
    assert_eq!(token.access_token().expose_secret(), "id-token-SECRET");
    assert_eq!(endpoint.calls_async().await, 1);

    endpoint.delete_async().await;
    echoing_refusal(&server).await;
    let error = source.fetch(None).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert_no_secret(&error);
}

#[tokio::test]
async fn a_supplied_assertion_is_cut_out_of_errors_and_a_failing_supplier_sends_nothing() {
    let server = MockServer::start_async().await;
    let echo = echoing_refusal(&server).await;
    let token_url: reqwest::Url = server.url(TOKEN_PATH).parse().unwrap();
    let source = JwtBearerGrant::with_assertion(
        token_url.clone(),
        ClientAuth::none(),
        TokenSupplier::from_fn(|| async { Ok("assertion-SECRET".to_owned()) }),
    );
    let error = source.fetch(None).await.unwrap_err();
    assert!(
        error.is_retryable(),
        "a refused assertion is asked for anew: {error}"
    );
    assert_no_secret(&error);
    assert_eq!(echo.calls_async().await, 1);

    let failing = JwtBearerGrant::with_assertion(
        token_url,
        ClientAuth::none(),
        TokenSupplier::from_fn(|| async {
            Err(freshtoken::AuthError::refresh_failed(
                "the identity file is missing",
            ))
        }),
    );
    let error = failing.fetch(None).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert!(
        error.to_string().contains("the identity file is missing"),
        "{error}"
    );
    assert_eq!(
        echo.calls_async().await,
        1,
        "no request without an assertion"
    );
}

#[tokio::test]
async fn an_issuer_that_does_not_list_token_exchange_gets_no_token_exchange_source() {
    let server = MockServer::start_async().await;
    metadata(&server).await;
    let issuer = Issuer::new(server.base_url().parse().unwrap());
    let subject = TokenSupplier::from_fn(|| async { Ok("subject-SECRET".to_owned()) });
    let error = issuer
        .token_exchange(ClientAuth::public(CLIENT_ID), subject)
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("grant_types_supported") && message.contains("TokenExchangeGrant::new"),
        "{message}"
    );
}
