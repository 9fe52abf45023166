//! JWT assertions (RFC 7523) over real HTTP: the JWT bearer grant and `private_key_jwt`
//! client authentication, RS256 and ES256, against the test-only keys in `tests/keys/`;
//! expired, wrongly signed, misaddressed and replayed assertions are refused.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::common::{Answer, ClientAuth, Oauth};
use freshtoken_examples::server::{self, OAuthClient, ServerConfig};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

const RSA_PRIVATE: &str = include_str!("../keys/test-only-rsa-private.pem");
const RSA_PUBLIC: &str = include_str!("../keys/test-only-rsa-public.pem");
const EC_PRIVATE: &str = include_str!("../keys/test-only-ec-p256-private.pem");
const EC_PUBLIC: &str = include_str!("../keys/test-only-ec-p256-public.pem");
const UNREGISTERED_PRIVATE: &str = include_str!("../keys/test-only-unregistered-rsa-private.pem");

const RSA_CLIENT: &str = "svc-rsa";
const EC_CLIENT: &str = "svc-ec";
const SERVICE_ACCOUNT: &str = "reporting-bot";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The default server plus an RS256 client (with a service account) and an ES256 client.
async fn start() -> Oauth {
    let mut rsa = OAuthClient::with_jwt_keys(RSA_CLIENT, [RSA_PUBLIC]);
    rsa.service_account = Some(SERVICE_ACCOUNT.to_owned());
    let mut config = ServerConfig::default();
    config.clients.push(rsa);
    config
        .clients
        .push(OAuthClient::with_jwt_keys(EC_CLIENT, [EC_PUBLIC]));
    Oauth::start(config).await
}

/// Claims a client would sign: issued by `iss` about `sub`, for this server's token
/// endpoint, expiring in 5 minutes, with a fresh `jti`.
fn claims(oauth: &Oauth, iss: &str, sub: &str) -> Value {
    static JTI: AtomicU64 = AtomicU64::new(0);
    let now = oauth.clock.now().as_secs();
    json!({
        "iss": iss,
        "sub": sub,
        "aud": format!("{}/oauth/token", oauth.base_url),
        "iat": now,
        "exp": now + 300,
        "jti": format!("jti-{}", JTI.fetch_add(1, Ordering::Relaxed)),
    })
}

fn sign(claims: &Value, algorithm: Algorithm, private_pem: &str) -> String {
    let key = match algorithm {
        Algorithm::ES256 => EncodingKey::from_ec_pem(private_pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap(),
    };
    jsonwebtoken::encode(&Header::new(algorithm), claims, &key).unwrap()
}

fn rsa(claims: &Value) -> String {
    sign(claims, Algorithm::RS256, RSA_PRIVATE)
}

async fn grant(oauth: &Oauth, assertion: &str) -> Answer {
    let params = [
        ("grant_type", GRANT),
        ("assertion", assertion),
        ("scope", "tasks:read"),
    ];
    oauth.token(ClientAuth::Anonymous, &params).await
}

fn with(mut claims: Value, field: &str, value: Value) -> Value {
    claims[field] = value;
    claims
}

#[tokio::test]
async fn the_jwt_bearer_grant_issues_an_access_token_for_rs256_and_es256() {
    let oauth = start().await;

    let answer = grant(&oauth, &rsa(&claims(&oauth, RSA_CLIENT, RSA_CLIENT))).await;
    let (access, refresh) = answer.tokens();
    assert_eq!(
        refresh, "",
        "no refresh token: a new assertion gets a new token"
    );
    assert_eq!(answer.body["scope"], "tasks:read");
    assert_eq!(oauth.tasks_status(&access).await, StatusCode::OK);

    let es256 = sign(
        &claims(&oauth, EC_CLIENT, EC_CLIENT),
        Algorithm::ES256,
        EC_PRIVATE,
    );
    let (access, _) = grant(&oauth, &es256).await.tokens();
    assert_eq!(oauth.tasks_status(&access).await, StatusCode::OK);

    // For the configured service account; and with the client authenticating as well.
    let for_account = rsa(&claims(&oauth, RSA_CLIENT, SERVICE_ACCOUNT));
    grant(&oauth, &for_account).await.tokens();
    let stats = oauth.server.stats();
    assert_eq!(
        (stats.access_tokens_issued, stats.refresh_tokens_issued),
        (3, 0)
    );
}

#[tokio::test]
async fn bad_assertions_for_the_grant_are_invalid_grant_and_never_echoed() {
    let oauth = start().await;
    let now = oauth.clock.now().as_secs();
    let good = claims(&oauth, RSA_CLIENT, RSA_CLIENT);
    let cases = [
        ("expired", rsa(&with(good.clone(), "exp", json!(now - 11)))),
        (
            "wrongly signed",
            sign(
                &claims(&oauth, RSA_CLIENT, RSA_CLIENT),
                Algorithm::RS256,
                UNREGISTERED_PRIVATE,
            ),
        ),
        (
            "ES256 key claimed by the RSA client",
            sign(
                &claims(&oauth, RSA_CLIENT, RSA_CLIENT),
                Algorithm::ES256,
                EC_PRIVATE,
            ),
        ),
        (
            "wrong audience",
            rsa(&with(
                claims(&oauth, RSA_CLIENT, RSA_CLIENT),
                "aud",
                json!("https://elsewhere.example/token"),
            )),
        ),
        ("other subject", rsa(&claims(&oauth, RSA_CLIENT, "alice"))),
        ("unknown issuer", rsa(&claims(&oauth, "nobody", "nobody"))),
        (
            "no jti",
            rsa(&with(
                claims(&oauth, RSA_CLIENT, RSA_CLIENT),
                "jti",
                Value::Null,
            )),
        ),
        (
            "not yet valid",
            rsa(&with(
                claims(&oauth, RSA_CLIENT, RSA_CLIENT),
                "nbf",
                json!(now + 60),
            )),
        ),
        (
            "HS256",
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims(&oauth, RSA_CLIENT, RSA_CLIENT),
                &EncodingKey::from_secret(b"guess"),
            )
            .unwrap(),
        ),
        ("not a JWT", "not-a-jwt".to_owned()),
    ];
    for (what, assertion) in cases {
        let answer = grant(&oauth, &assertion).await;
        assert_eq!(answer.body["error"], "invalid_grant", "{what}: {answer:?}");
        answer.assert_error(StatusCode::BAD_REQUEST, "invalid_grant", &[&assertion]);
    }
    // The unexpired original still works once: its jti was never accepted before.
    let replayed = rsa(&good);
    grant(&oauth, &replayed).await.tokens();
    grant(&oauth, &replayed).await.assert_invalid_grant();
    assert_eq!(oauth.server.stats().access_tokens_issued, 1);
}

#[tokio::test]
async fn private_key_jwt_authenticates_a_client_for_any_grant() {
    let oauth = start().await;
    let assertion = rsa(&claims(&oauth, RSA_CLIENT, RSA_CLIENT));
    let params = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "wonderland"),
        ("client_id", RSA_CLIENT),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion.as_str()),
    ];
    let (_, refresh) = oauth.token(ClientAuth::Anonymous, &params).await.tokens();

    let es256 = sign(
        &claims(&oauth, EC_CLIENT, EC_CLIENT),
        Algorithm::ES256,
        EC_PRIVATE,
    );
    let other_client = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", es256.as_str()),
    ];
    oauth
        .token(ClientAuth::Anonymous, &other_client)
        .await
        .assert_invalid_grant();

    let again = rsa(&claims(&oauth, RSA_CLIENT, RSA_CLIENT));
    let rotate = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", again.as_str()),
    ];
    oauth.token(ClientAuth::Anonymous, &rotate).await.tokens();
}

#[tokio::test]
async fn bad_client_assertions_are_invalid_client() {
    let oauth = start().await;
    let now = oauth.clock.now().as_secs();
    let login = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "wonderland"),
    ];
    let cases = [
        (
            "expired",
            ASSERTION_TYPE,
            rsa(&with(
                claims(&oauth, RSA_CLIENT, RSA_CLIENT),
                "exp",
                json!(now - 11),
            )),
        ),
        (
            "wrongly signed",
            ASSERTION_TYPE,
            sign(
                &claims(&oauth, RSA_CLIENT, RSA_CLIENT),
                Algorithm::RS256,
                UNREGISTERED_PRIVATE,
            ),
        ),
        (
            "sub is not the client",
            ASSERTION_TYPE,
            rsa(&claims(&oauth, RSA_CLIENT, SERVICE_ACCOUNT)),
        ),
        (
            "wrong assertion type",
            "urn:example:other",
            rsa(&claims(&oauth, RSA_CLIENT, RSA_CLIENT)),
        ),
    ];
    for (what, assertion_type, assertion) in cases {
        let mut params = login.to_vec();
        params.extend([
            ("client_assertion_type", assertion_type),
            ("client_assertion", assertion.as_str()),
        ]);
        let answer = oauth.token(ClientAuth::Anonymous, &params).await;
        assert_eq!(answer.body["error"], "invalid_client", "{what}: {answer:?}");
        answer.assert_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            &[&assertion, "wonderland"],
        );
    }

    // A replayed client assertion.
    let once = rsa(&claims(&oauth, RSA_CLIENT, RSA_CLIENT));
    let mut params = login.to_vec();
    params.extend([
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", once.as_str()),
    ]);
    oauth.token(ClientAuth::Anonymous, &params).await.tokens();
    let replay = oauth.token(ClientAuth::Anonymous, &params).await;
    replay.assert_error(StatusCode::UNAUTHORIZED, "invalid_client", &[&once]);

    // A key client cannot pose as a public one.
    let public = oauth
        .password(ClientAuth::Public(RSA_CLIENT), "alice", "wonderland")
        .await;
    public.assert_error(StatusCode::UNAUTHORIZED, "invalid_client", &[]);

    // An assertion and a secret at once.
    let both = rsa(&claims(&oauth, RSA_CLIENT, RSA_CLIENT));
    let mut params = login.to_vec();
    params.extend([
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", both.as_str()),
    ]);
    let answer = oauth
        .token(ClientAuth::Basic(RSA_CLIENT, "secret"), &params)
        .await;
    answer.assert_error(StatusCode::BAD_REQUEST, "invalid_request", &[&both]);
}

#[tokio::test]
async fn a_key_that_is_not_a_public_key_pem_stops_the_server_from_starting() {
    let mut config = ServerConfig::default();
    config
        .clients
        .push(OAuthClient::with_jwt_keys("broken", ["not a key"]));
    let error = server::start(config).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("broken"), "{error}");
}

#[tokio::test]
async fn the_metadata_lists_private_key_jwt_and_the_jwt_bearer_grant() {
    let oauth = start().await;
    let metadata = oauth
        .get("/.well-known/oauth-authorization-server")
        .await
        .body;
    let listed = |field: &str, value: &str| {
        metadata[field]
            .as_array()
            .unwrap()
            .contains(&Value::from(value))
    };
    assert!(listed("grant_types_supported", GRANT));
    assert!(listed(
        "token_endpoint_auth_methods_supported",
        "private_key_jwt"
    ));
    assert!(listed(
        "token_endpoint_auth_signing_alg_values_supported",
        "ES256"
    ));
}
