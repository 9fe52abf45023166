//! The token endpoint with DPoP: bound tokens for every grant that carries a proof, the
//! bindings of public clients' refresh tokens and of `dpop_jkt` codes, the nonce dance, and
//! a server without DPoP.

use std::time::Duration;

use freshtoken_examples::server::{DEMO_PUBLIC_CLIENT_ID, DpopConfig, ServerConfig};
use reqwest::StatusCode;
use reqwest::Url;
use reqwest::header::LOCATION;
use serde_json::json;

use super::{bound_tokens, claims_of, password, token, token_proof};
use crate::common::{BACKEND, ClientAuth, Oauth};
use crate::dpop_proofs::ProofKey;

const CLI: ClientAuth<'static> = ClientAuth::Public(DEMO_PUBLIC_CLIENT_ID);
const REDIRECT: &str = "http://127.0.0.1:53682/callback";
// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[tokio::test]
async fn a_token_request_with_a_proof_gets_a_token_bound_to_its_key() {
    let oauth = Oauth::start_default().await;
    let key = ProofKey::ec();
    let answer = password(&oauth, BACKEND, Some(&token_proof(&oauth, &key, None))).await;
    bound_tokens(&answer, &key);
    let plain = password(&oauth, BACKEND, None).await;
    assert_eq!(plain.body["token_type"], "Bearer", "{plain:?}");
    assert!(claims_of(&plain.field("access_token"))["cnf"].is_null());
    let stats = oauth.server.stats();
    assert_eq!(
        (stats.dpop_bound_tokens_issued, stats.access_tokens_issued),
        (1, 2)
    );
}

#[tokio::test]
async fn a_bad_proof_is_invalid_dpop_proof_and_issues_nothing() {
    let oauth = Oauth::start_default().await;
    let key = ProofKey::ec();
    let wrong_url = key.proof(
        "POST",
        &format!("{}/tasks", oauth.base_url),
        super::NOW,
        &json!({}),
    );
    let answer = password(&oauth, BACKEND, Some(&wrong_url)).await;
    answer.assert_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof", &[&wrong_url]);
    let stats = oauth.server.stats();
    assert_eq!(
        (stats.dpop_proofs_refused, stats.access_tokens_issued),
        (1, 0)
    );
}

#[tokio::test]
async fn the_token_endpoint_asks_for_its_nonce_once_per_rotation() {
    let oauth = Oauth::start(ServerConfig {
        dpop: DpopConfig {
            nonce_required_at_token_endpoint: true,
            ..DpopConfig::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let key = ProofKey::rsa();
    let asked = password(&oauth, BACKEND, Some(&token_proof(&oauth, &key, None))).await;
    asked.assert_error(StatusCode::BAD_REQUEST, "use_dpop_nonce", &[]);
    let nonce = asked.header("dpop-nonce").expect("a DPoP-Nonce").to_owned();
    assert_eq!(nonce, oauth.server.token_endpoint_dpop_nonce());
    assert_ne!(nonce, oauth.server.resource_dpop_nonce());

    let answer = password(
        &oauth,
        BACKEND,
        Some(&token_proof(&oauth, &key, Some(&nonce))),
    )
    .await;
    bound_tokens(&answer, &key);
    assert_eq!(answer.header("dpop-nonce"), Some(nonce.as_str()));

    oauth.server.rotate_dpop_nonces();
    let stale = password(
        &oauth,
        BACKEND,
        Some(&token_proof(&oauth, &key, Some(&nonce))),
    )
    .await;
    stale.assert_error(StatusCode::BAD_REQUEST, "use_dpop_nonce", &[]);
    let rotated = stale.header("dpop-nonce").unwrap().to_owned();
    assert_ne!(rotated, nonce);
    let answer = password(
        &oauth,
        BACKEND,
        Some(&token_proof(&oauth, &key, Some(&rotated))),
    )
    .await;
    bound_tokens(&answer, &key);
    let stats = oauth.server.stats();
    assert_eq!(
        (
            stats.token_endpoint_use_dpop_nonce,
            stats.resource_use_dpop_nonce
        ),
        (2, 0)
    );
}

#[tokio::test]
async fn a_token_endpoint_that_always_demands_a_nonce_repeats_the_same_one() {
    let oauth = Oauth::start(ServerConfig {
        dpop: DpopConfig {
            token_endpoint_always_demands_nonce: true,
            ..DpopConfig::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let key = ProofKey::ec();
    let nonce = oauth.server.token_endpoint_dpop_nonce();
    for _ in 0..2 {
        let answer = password(
            &oauth,
            BACKEND,
            Some(&token_proof(&oauth, &key, Some(&nonce))),
        )
        .await;
        answer.assert_error(StatusCode::BAD_REQUEST, "use_dpop_nonce", &[]);
        assert_eq!(answer.header("dpop-nonce"), Some(nonce.as_str()));
    }
    assert_eq!(oauth.server.stats().token_endpoint_use_dpop_nonce, 2);
}

#[tokio::test]
async fn a_public_clients_refresh_token_needs_a_proof_by_the_same_key() {
    let oauth = Oauth::start_default().await;
    let (key, other) = (ProofKey::ec(), ProofKey::ed25519());
    let answer = password(&oauth, CLI, Some(&token_proof(&oauth, &key, None))).await;
    let (_, refresh_token) = bound_tokens(&answer, &key);
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
    ];

    let without = token(&oauth, CLI, &params, None).await;
    without.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_dpop_proof",
        &[&refresh_token],
    );
    let by_other = token(
        &oauth,
        CLI,
        &params,
        Some(&token_proof(&oauth, &other, None)),
    )
    .await;
    by_other.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_dpop_proof",
        &[&refresh_token],
    );
    // Nothing was spent: the holder of the key still refreshes, and stays bound.
    let answer = token(&oauth, CLI, &params, Some(&token_proof(&oauth, &key, None))).await;
    let (_, next) = bound_tokens(&answer, &key);
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", next.as_str()),
    ];
    let without = token(&oauth, CLI, &params, None).await;
    without.assert_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof", &[]);
    assert_eq!(oauth.server.stats().reuse_detected, 0);
}

#[tokio::test]
async fn a_confidential_clients_refresh_token_is_not_bound() {
    let oauth = Oauth::start_default().await;
    let key = ProofKey::ec();
    let answer = password(&oauth, BACKEND, Some(&token_proof(&oauth, &key, None))).await;
    let (_, refresh_token) = bound_tokens(&answer, &key);
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
    ];
    let (access_token, _) = token(&oauth, BACKEND, &params, None).await.tokens();
    assert!(claims_of(&access_token)["cnf"].is_null());
}

/// `GET /oauth/authorize` for the public client with `dpop_jkt`; the code it answers.
async fn code_bound_to(oauth: &Oauth, jkt: &str) -> String {
    let params = [
        ("response_type", "code"),
        ("client_id", DEMO_PUBLIC_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("state", "xyz"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("dpop_jkt", jkt),
    ];
    let query = serde_urlencoded::to_string(params).unwrap();
    let answer = oauth.get(&format!("/oauth/authorize?{query}")).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{answer:?}");
    let location = Url::parse(answer.header(LOCATION).unwrap()).unwrap();
    let code = location.query_pairs().find(|(name, _)| name == "code");
    code.expect("a code").1.into_owned()
}

#[tokio::test]
async fn a_code_bound_by_dpop_jkt_needs_a_proof_by_that_key() {
    let oauth = Oauth::start_default().await;
    let key = ProofKey::ec();
    for proof in [None, Some(token_proof(&oauth, &ProofKey::rsa(), None))] {
        let code = code_bound_to(&oauth, &key.jkt()).await;
        let params = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ];
        token(&oauth, CLI, &params, proof.as_deref())
            .await
            .assert_invalid_grant();
    }
    let code = code_bound_to(&oauth, &key.jkt()).await;
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let answer = token(&oauth, CLI, &params, Some(&token_proof(&oauth, &key, None))).await;
    bound_tokens(&answer, &key);
}

#[tokio::test]
async fn a_token_exchange_with_a_proof_is_bound_too() {
    let oauth = Oauth::start_default().await;
    let key = ProofKey::ed25519();
    let (subject, _) = password(&oauth, BACKEND, None).await.tokens();
    let params = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", subject.as_str()),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
    ];
    let answer = token(
        &oauth,
        BACKEND,
        &params,
        Some(&token_proof(&oauth, &key, None)),
    )
    .await;
    bound_tokens(&answer, &key);
}

#[tokio::test]
async fn both_metadata_documents_announce_dpop_and_a_server_without_it_ignores_proofs() {
    let key = ProofKey::ec();
    let with = Oauth::start_default().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-protected-resource",
    ] {
        let metadata = with.get(path).await;
        assert_eq!(
            metadata.body["dpop_signing_alg_values_supported"],
            json!(["ES256", "EdDSA", "RS256"]),
            "{path}"
        );
    }
    let without = Oauth::start(ServerConfig {
        dpop: DpopConfig {
            supported: false,
            ..DpopConfig::default()
        },
        ..ServerConfig::default()
    })
    .await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-protected-resource",
    ] {
        let metadata = without.get(path).await;
        assert!(metadata.body["dpop_signing_alg_values_supported"].is_null());
    }
    let answer = password(&without, BACKEND, Some(&token_proof(&without, &key, None))).await;
    let (access_token, _) = answer.tokens();
    assert!(claims_of(&access_token)["cnf"].is_null());
}

#[tokio::test]
async fn a_device_code_exchanged_with_a_proof_gives_a_session_bound_to_its_key() {
    let oauth = Oauth::start(ServerConfig {
        device_poll_interval: Duration::ZERO,
        ..ServerConfig::default()
    })
    .await;
    let key = ProofKey::ed25519();
    let started = oauth
        .post_form("/oauth/device_authorization", CLI, &[])
        .await;
    let (device_code, user_code) = (started.field("device_code"), started.field("user_code"));
    let approval = [("user_code", user_code.as_str()), ("approve", "true")];
    let approved = oauth
        .post_form("/oauth/device/approve", ClientAuth::Anonymous, &approval)
        .await;
    assert_eq!(approved.status, StatusCode::NO_CONTENT, "{approved:?}");
    let params = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code.as_str()),
    ];
    let answer = token(&oauth, CLI, &params, Some(&token_proof(&oauth, &key, None))).await;
    let (_, refresh_token) = bound_tokens(&answer, &key);
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
    ];
    let without = token(&oauth, CLI, &params, None).await;
    without.assert_error(
        StatusCode::BAD_REQUEST,
        "invalid_dpop_proof",
        &[&refresh_token],
    );
}
