// Input: proofs made with the test-only keys, each breaking one rule of RFC 9449 §4.3.
// Output: the verifier accepts the good ones with their key's thumbprint and refuses each
// bad one for its own reason.

use std::time::{Duration, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue};
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};

use super::refusal::{ProofError, Refusal};
use super::test_proofs::{ProofKey, ath, unsigned};
use super::verifier::{ProofRequest, verify_proof};
use super::{DpopConfig, Side};
use crate::server::clock::Clock;
use crate::server::config::ServerConfig;
use crate::server::state::{AppState, Shared};

const NOW: u64 = 1_700_000_000;
const BASE: &str = "http://127.0.0.1:8080";
const TASKS: &str = "http://127.0.0.1:8080/tasks";
const TOKEN: &str = "an-access-token";

fn state(dpop: DpopConfig) -> (Shared, Clock) {
    let clock = Clock::manual(UNIX_EPOCH + Duration::from_secs(NOW));
    let config = ServerConfig {
        dpop,
        ..ServerConfig::default()
    };
    let state = AppState::new(&config, clock.clone(), BASE.to_owned()).unwrap();
    (state, clock)
}

fn default_state() -> Shared {
    state(DpopConfig::default()).0
}

fn headers(proofs: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for proof in proofs {
        headers.append("dpop", HeaderValue::from_str(proof).unwrap());
    }
    headers
}

/// Checks `proofs` as the DPoP headers of `GET /tasks` sending `TOKEN`.
fn at_resource(state: &AppState, proofs: &[&str]) -> Result<Option<String>, ProofError> {
    let headers = headers(proofs);
    let request = ProofRequest {
        headers: &headers,
        method: "GET",
        path: "/tasks",
        access_token: Some(TOKEN),
    };
    verify_proof(state, Side::Resource, &request)
}

/// Checks `proofs` as the DPoP headers of `POST /oauth/token`.
fn at_token_endpoint(state: &AppState, proofs: &[&str]) -> Result<Option<String>, ProofError> {
    let headers = headers(proofs);
    let request = ProofRequest {
        headers: &headers,
        method: "POST",
        path: "/oauth/token",
        access_token: None,
    };
    verify_proof(state, Side::TokenEndpoint, &request)
}

/// A proof for `GET /tasks` with `TOKEN`, made now, with `extra` claims.
fn tasks_proof(key: &ProofKey, extra: &Value) -> String {
    let mut claims = json!({ "ath": ath(TOKEN) });
    claims
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    key.proof("GET", TASKS, NOW, &claims)
}

fn refused(refusal: Refusal) -> Result<Option<String>, ProofError> {
    Err(ProofError::Refused(refusal))
}

#[test]
fn a_valid_proof_by_each_algorithm_answers_its_keys_thumbprint() {
    let state = default_state();
    for key in [ProofKey::ec(), ProofKey::rsa(), ProofKey::ed25519()] {
        let proof = tasks_proof(&key, &json!({}));
        assert_eq!(
            at_resource(&state, &[&proof]),
            Ok(Some(key.jkt())),
            "{:?}",
            key.alg
        );
    }
}

#[test]
fn a_request_without_a_dpop_header_has_no_proof() {
    assert_eq!(at_resource(&default_state(), &[]), Ok(None));
}

#[test]
fn a_server_without_dpop_ignores_the_proof() {
    let (state, _) = state(DpopConfig {
        supported: false,
        ..DpopConfig::default()
    });
    let proof = tasks_proof(&ProofKey::ec(), &json!({}));
    assert_eq!(at_resource(&state, &[&proof]), Ok(None));
}

#[test]
fn two_dpop_headers_are_refused() {
    let key = ProofKey::ec();
    let (first, second) = (tasks_proof(&key, &json!({})), tasks_proof(&key, &json!({})));
    let state = default_state();
    assert_eq!(
        at_resource(&state, &[&first, &second]),
        refused(Refusal::Repeated)
    );
}

#[test]
fn another_method_is_refused() {
    let proof = ProofKey::ec().proof("POST", TASKS, NOW, &json!({ "ath": ath(TOKEN) }));
    assert_eq!(
        at_resource(&default_state(), &[&proof]),
        refused(Refusal::WrongMethod)
    );
}

#[test]
fn another_url_is_refused() {
    let key = ProofKey::ec();
    let state = default_state();
    let ath = json!({ "ath": ath(TOKEN) });
    for htu in [
        "http://127.0.0.1:8080/tasks/1",
        "http://127.0.0.1:8081/tasks",
        "https://127.0.0.1:8080/tasks",
        "http://localhost:8080/tasks",
        "not a url",
    ] {
        let proof = key.proof("GET", htu, NOW, &ath);
        assert_eq!(
            at_resource(&state, &[&proof]),
            refused(Refusal::WrongUrl),
            "{htu}"
        );
    }
}

#[test]
fn the_query_and_fragment_of_htu_are_ignored() {
    let key = ProofKey::ec();
    let proof = key.proof(
        "GET",
        "http://127.0.0.1:8080/tasks?page=2#top",
        NOW,
        &json!({ "ath": ath(TOKEN) }),
    );
    assert_eq!(
        at_resource(&default_state(), &[&proof]),
        Ok(Some(key.jkt()))
    );
}

#[test]
fn an_iat_outside_the_window_is_refused_either_way() {
    let key = ProofKey::ec();
    let state = default_state();
    let ath = json!({ "ath": ath(TOKEN) });
    for iat in [NOW - 60, NOW + 60] {
        let proof = key.proof("GET", TASKS, iat, &ath);
        assert_eq!(at_resource(&state, &[&proof]), Ok(Some(key.jkt())), "{iat}");
    }
    for iat in [NOW - 61, NOW + 61] {
        let proof = key.proof("GET", TASKS, iat, &ath);
        assert_eq!(
            at_resource(&state, &[&proof]),
            refused(Refusal::StaleIat),
            "{iat}"
        );
    }
}

#[test]
fn a_replayed_jti_is_refused_within_the_window() {
    let key = ProofKey::ec();
    let (state, clock) = state(DpopConfig::default());
    let proof = tasks_proof(&key, &json!({ "jti": "once" }));
    assert_eq!(at_resource(&state, &[&proof]), Ok(Some(key.jkt())));
    clock.advance(Duration::from_secs(60));
    assert_eq!(at_resource(&state, &[&proof]), refused(Refusal::Replayed));
    let again = tasks_proof(&key, &json!({ "jti": "once", "iat": NOW + 60 }));
    assert_eq!(at_resource(&state, &[&again]), refused(Refusal::Replayed));
}

#[test]
fn a_missing_or_wrong_ath_is_refused() {
    let key = ProofKey::ec();
    let state = default_state();
    let without = key.proof("GET", TASKS, NOW, &json!({}));
    assert_eq!(at_resource(&state, &[&without]), refused(Refusal::WrongAth));
    let wrong = key.proof("GET", TASKS, NOW, &json!({ "ath": ath("another-token") }));
    assert_eq!(at_resource(&state, &[&wrong]), refused(Refusal::WrongAth));
}

#[test]
fn a_required_nonce_must_be_the_current_one_of_that_side() {
    let key = ProofKey::ec();
    let (state, _) = state(DpopConfig {
        nonce_required_at_token_endpoint: true,
        nonce_required_at_resource: true,
        ..DpopConfig::default()
    });
    let (as_nonce, rs_nonce) = (
        state.dpop.nonce(Side::TokenEndpoint),
        state.dpop.nonce(Side::Resource),
    );
    assert_ne!(as_nonce, rs_nonce);
    let token_proof = |nonce: Option<&str>| {
        key.proof(
            "POST",
            "http://127.0.0.1:8080/oauth/token",
            NOW,
            &json!({ "nonce": nonce }),
        )
    };
    assert_eq!(
        at_token_endpoint(&state, &[&token_proof(None)]),
        Err(ProofError::UseNonce)
    );
    let other_side = token_proof(Some(&rs_nonce));
    assert_eq!(
        at_token_endpoint(&state, &[&other_side]),
        Err(ProofError::UseNonce)
    );
    let current = token_proof(Some(&as_nonce));
    assert_eq!(at_token_endpoint(&state, &[&current]), Ok(Some(key.jkt())));

    let before_rotation = tasks_proof(&key, &json!({ "nonce": rs_nonce }));
    state.dpop.rotate_nonces();
    assert_eq!(
        at_resource(&state, &[&before_rotation]),
        Err(ProofError::UseNonce)
    );
    let fresh = tasks_proof(&key, &json!({ "nonce": state.dpop.nonce(Side::Resource) }));
    assert_eq!(at_resource(&state, &[&fresh]), Ok(Some(key.jkt())));
}

#[test]
fn a_side_without_nonces_takes_proofs_without_one() {
    let key = ProofKey::ec();
    let (state, _) = state(DpopConfig {
        nonce_required_at_token_endpoint: true,
        ..DpopConfig::default()
    });
    let proof = tasks_proof(&key, &json!({}));
    assert_eq!(at_resource(&state, &[&proof]), Ok(Some(key.jkt())));
}

#[test]
fn the_misbehaving_switch_demands_a_nonce_even_from_a_proof_that_has_it() {
    let key = ProofKey::ec();
    let (state, _) = state(DpopConfig {
        resource_always_demands_nonce: true,
        ..DpopConfig::default()
    });
    let nonce = state.dpop.nonce(Side::Resource);
    let proof = tasks_proof(&key, &json!({ "nonce": nonce }));
    assert_eq!(at_resource(&state, &[&proof]), Err(ProofError::UseNonce));
    assert_eq!(
        state.dpop.nonce(Side::Resource),
        nonce,
        "the same nonce every time"
    );
}

#[test]
fn a_private_key_in_the_header_is_refused() {
    let key = ProofKey::ec();
    let mut jwk = serde_json::to_value(&key.jwk).unwrap();
    jwk["d"] = json!("870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE");
    let header = json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": jwk });
    let claims = json!({ "jti": "j", "htm": "GET", "htu": TASKS, "iat": NOW, "ath": ath(TOKEN) });
    let proof = unsigned(&header, &claims);
    assert_eq!(
        at_resource(&default_state(), &[&proof]),
        refused(Refusal::PrivateKey)
    );
}

#[test]
fn alg_none_and_hmac_are_refused() {
    let jwk = serde_json::to_value(&ProofKey::ec().jwk).unwrap();
    let claims = json!({ "jti": "j", "htm": "GET", "htu": TASKS, "iat": NOW, "ath": ath(TOKEN) });
    let state = default_state();
    for alg in ["none", "HS256", "ES384", ""] {
        let header = json!({ "typ": "dpop+jwt", "alg": alg, "jwk": jwk });
        let proof = unsigned(&header, &claims);
        assert_eq!(
            at_resource(&state, &[&proof]),
            refused(Refusal::UnsupportedAlgorithm),
            "{alg}"
        );
    }
    let symmetric = json!({ "kty": "oct", "k": "c2VjcmV0" });
    let header = json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": symmetric });
    let proof = unsigned(&header, &claims);
    assert_eq!(at_resource(&state, &[&proof]), refused(Refusal::PrivateKey));
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let (signer, named) = (ProofKey::other_rsa(), ProofKey::rsa());
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("dpop+jwt".to_owned());
    header.jwk = Some(named.jwk.clone());
    let claims = json!({ "jti": "j", "htm": "GET", "htu": TASKS, "iat": NOW, "ath": ath(TOKEN) });
    let proof = signer.sign_with(&header, &claims);
    assert_eq!(
        at_resource(&default_state(), &[&proof]),
        refused(Refusal::BadSignature)
    );
}

#[test]
fn a_key_of_another_family_than_the_alg_is_refused() {
    let key = ProofKey::ec();
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some("dpop+jwt".to_owned());
    header.jwk = Some(ProofKey::rsa().jwk);
    let claims = json!({ "jti": "j", "htm": "GET", "htu": TASKS, "iat": NOW, "ath": ath(TOKEN) });
    let proof = key.sign_with(&header, &claims);
    assert_eq!(
        at_resource(&default_state(), &[&proof]),
        refused(Refusal::BadSignature)
    );
}

#[test]
fn a_header_without_the_dpop_type_or_a_key_is_refused() {
    let key = ProofKey::ec();
    let claims = json!({ "jti": "j", "htm": "GET", "htu": TASKS, "iat": NOW, "ath": ath(TOKEN) });
    let state = default_state();
    let mut jwt = Header::new(Algorithm::ES256);
    jwt.jwk = Some(key.jwk.clone());
    assert_eq!(
        at_resource(&state, &[&key.sign_with(&jwt, &claims)]),
        refused(Refusal::WrongType)
    );
    let mut keyless = Header::new(Algorithm::ES256);
    keyless.typ = Some("dpop+jwt".to_owned());
    let proof = key.sign_with(&keyless, &claims);
    assert_eq!(
        at_resource(&state, &[&proof]),
        refused(Refusal::NoUsableKey)
    );
}

#[test]
fn a_proof_without_its_claims_or_not_a_jws_is_refused() {
    let key = ProofKey::ec();
    let state = default_state();
    let without_jti =
        key.sign(&json!({ "htm": "GET", "htu": TASKS, "iat": NOW, "ath": ath(TOKEN) }));
    assert_eq!(
        at_resource(&state, &[&without_jti]),
        refused(Refusal::MissingClaims)
    );
    let numeric_jti =
        key.sign(&json!({ "jti": 7, "htm": "GET", "htu": TASKS, "iat": NOW, "ath": ath(TOKEN) }));
    assert_eq!(
        at_resource(&state, &[&numeric_jti]),
        refused(Refusal::MissingClaims)
    );
    for garbage in ["", "a.b", "a.b.c", "a.b.c.d"] {
        assert_eq!(
            at_resource(&state, &[garbage]),
            refused(Refusal::Malformed),
            "{garbage}"
        );
    }
}

#[test]
fn refusals_describe_the_check_without_quoting_the_proof() {
    let descriptions: Vec<&str> = [
        Refusal::Missing,
        Refusal::Repeated,
        Refusal::Malformed,
        Refusal::WrongType,
        Refusal::UnsupportedAlgorithm,
        Refusal::NoUsableKey,
        Refusal::PrivateKey,
        Refusal::BadSignature,
        Refusal::MissingClaims,
        Refusal::WrongMethod,
        Refusal::WrongUrl,
        Refusal::StaleIat,
        Refusal::WrongAth,
        Refusal::Replayed,
        Refusal::WrongKey,
    ]
    .into_iter()
    .map(Refusal::describe)
    .collect();
    for description in &descriptions {
        assert!(description.contains("DPoP"), "{description}");
        // The text goes into a quoted WWW-Authenticate parameter as is.
        assert!(!description.contains(['"', '\\']), "{description}");
    }
}
