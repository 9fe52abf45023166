//! The Tasks API with DPoP: a bound token works only as `DPoP` with a proof by its key,
//! the resource's own nonce, and `DPoP-Nonce` on every answer of a side with nonces.

use freshtoken_examples::server::{DpopConfig, ServerConfig};
use reqwest::header::WWW_AUTHENTICATE;
use reqwest::{Method, StatusCode};

use super::{bound_tokens, password, tasks, tasks_proof, token, token_proof};
use crate::common::{Answer, BACKEND, ClientAuth, Oauth};
use crate::dpop_proofs::ProofKey;

fn with_dpop(dpop: DpopConfig) -> ServerConfig {
    ServerConfig {
        dpop,
        ..ServerConfig::default()
    }
}

/// A 401 with a `DPoP` challenge for `error`, naming the algorithms; the body says the same.
fn assert_dpop_challenge(answer: &Answer, error: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
    assert_eq!(answer.body["error"], error, "{answer:?}");
    let challenge = answer.header(WWW_AUTHENTICATE).unwrap_or_default();
    assert!(
        challenge.starts_with(&format!("DPoP error=\"{error}\", error_description=\"")),
        "{answer:?}"
    );
    assert!(
        challenge.contains("algs=\"ES256 EdDSA RS256\""),
        "{answer:?}"
    );
}

/// A token bound to `key`, from a server without nonces at the token endpoint.
async fn bound_token(oauth: &Oauth, key: &ProofKey) -> String {
    let answer = password(oauth, BACKEND, Some(&token_proof(oauth, key, None))).await;
    bound_tokens(&answer, key).0
}

#[tokio::test]
async fn a_bound_token_works_only_with_a_proof_by_its_key() {
    let oauth = Oauth::start_default().await;
    let key = ProofKey::ec();
    let access_token = bound_token(&oauth, &key).await;

    let proof = tasks_proof(&oauth, &key, &access_token, None);
    let answer = tasks(&oauth, "DPoP", &access_token, Some(&proof)).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");

    let stolen = tasks(&oauth, "Bearer", &access_token, None).await;
    assert_dpop_challenge(&stolen, "invalid_token");
    let without_proof = tasks(&oauth, "DPoP", &access_token, None).await;
    assert_dpop_challenge(&without_proof, "invalid_dpop_proof");
    let other_key = tasks_proof(&oauth, &ProofKey::rsa(), &access_token, None);
    let by_other = tasks(&oauth, "DPoP", &access_token, Some(&other_key)).await;
    assert_dpop_challenge(&by_other, "invalid_dpop_proof");
    let replayed = tasks(&oauth, "DPoP", &access_token, Some(&proof)).await;
    assert_dpop_challenge(&replayed, "invalid_dpop_proof");
    for answer in [&stolen, &without_proof, &by_other, &replayed] {
        assert!(!answer.text.contains(&access_token), "{answer:?}");
    }

    let stats = oauth.server.stats();
    assert_eq!(stats.unauthorized_responses, 4);
    assert_eq!(
        (stats.dpop_proofs_refused, stats.dpop_proofs_replayed),
        (3, 1)
    );
}

#[tokio::test]
async fn a_bearer_token_sent_with_the_dpop_scheme_is_refused() {
    let oauth = Oauth::start_default().await;
    let key = ProofKey::ec();
    let (access_token, _) = password(&oauth, BACKEND, None).await.tokens();
    let proof = tasks_proof(&oauth, &key, &access_token, None);
    let answer = tasks(&oauth, "DPoP", &access_token, Some(&proof)).await;
    assert_dpop_challenge(&answer, "invalid_token");
    assert_eq!(
        tasks(&oauth, "Bearer", &access_token, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_resource_asks_for_its_own_nonce_once_per_rotation() {
    let oauth = Oauth::start(with_dpop(DpopConfig {
        nonce_required_at_resource: true,
        ..DpopConfig::default()
    }))
    .await;
    let key = ProofKey::ed25519();
    let access_token = bound_token(&oauth, &key).await;

    let asked = tasks(
        &oauth,
        "DPoP",
        &access_token,
        Some(&tasks_proof(&oauth, &key, &access_token, None)),
    )
    .await;
    assert_dpop_challenge(&asked, "use_dpop_nonce");
    let nonce = asked.header("dpop-nonce").expect("a DPoP-Nonce").to_owned();
    assert_eq!(nonce, oauth.server.resource_dpop_nonce());
    assert_ne!(nonce, oauth.server.token_endpoint_dpop_nonce());

    let proof = tasks_proof(&oauth, &key, &access_token, Some(&nonce));
    let answer = tasks(&oauth, "DPoP", &access_token, Some(&proof)).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.header("dpop-nonce"), Some(nonce.as_str()));

    oauth.server.rotate_dpop_nonces();
    let proof = tasks_proof(&oauth, &key, &access_token, Some(&nonce));
    let stale = tasks(&oauth, "DPoP", &access_token, Some(&proof)).await;
    assert_dpop_challenge(&stale, "use_dpop_nonce");
    let rotated = stale.header("dpop-nonce").unwrap().to_owned();
    assert_ne!(rotated, nonce);
    let proof = tasks_proof(&oauth, &key, &access_token, Some(&rotated));
    let answer = tasks(&oauth, "DPoP", &access_token, Some(&proof)).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let stats = oauth.server.stats();
    assert_eq!(
        (
            stats.resource_use_dpop_nonce,
            stats.token_endpoint_use_dpop_nonce
        ),
        (2, 0)
    );
}

#[tokio::test]
async fn a_resource_that_always_demands_a_nonce_repeats_the_same_one() {
    let oauth = Oauth::start(with_dpop(DpopConfig {
        resource_always_demands_nonce: true,
        ..DpopConfig::default()
    }))
    .await;
    let key = ProofKey::ec();
    let access_token = bound_token(&oauth, &key).await;
    let nonce = oauth.server.resource_dpop_nonce();
    for _ in 0..2 {
        let proof = tasks_proof(&oauth, &key, &access_token, Some(&nonce));
        let answer = tasks(&oauth, "DPoP", &access_token, Some(&proof)).await;
        assert_dpop_challenge(&answer, "use_dpop_nonce");
        assert_eq!(answer.header("dpop-nonce"), Some(nonce.as_str()));
    }
    assert_eq!(oauth.server.stats().resource_use_dpop_nonce, 2);
}

/// `method path` with `Authorization: Bearer <access_token>` if given.
async fn send(oauth: &Oauth, method: Method, path: &str, access_token: Option<&str>) -> Answer {
    let mut request = oauth
        .http
        .request(method, format!("{}{path}", oauth.base_url));
    if let Some(access_token) = access_token {
        request = request.bearer_auth(access_token);
    }
    Answer::of(request.send().await.unwrap()).await
}

#[tokio::test]
async fn every_answer_of_a_side_with_nonces_carries_that_sides_nonce() {
    let oauth = Oauth::start(with_dpop(DpopConfig {
        nonce_required_at_token_endpoint: true,
        nonce_required_at_resource: true,
        ..DpopConfig::default()
    }))
    .await;
    let as_nonce = oauth.server.token_endpoint_dpop_nonce();
    let rs_nonce = oauth.server.resource_dpop_nonce();
    let (access_token, _) = password(&oauth, BACKEND, None).await.tokens();
    let token_answers = [
        password(&oauth, BACKEND, None).await,
        token(&oauth, BACKEND, &[("grant_type", "unknown")], None).await,
        password(&oauth, ClientAuth::Basic("demo-backend", "wrong"), None).await,
    ];
    let resource_answers = [
        send(&oauth, Method::GET, "/tasks", Some(&access_token)).await,
        send(&oauth, Method::GET, "/tasks", None).await,
        send(&oauth, Method::GET, "/tasks", Some("garbage")).await,
        send(&oauth, Method::DELETE, "/tasks/99", Some(&access_token)).await,
        send(&oauth, Method::POST, "/auth/logout", Some(&access_token)).await,
    ];
    let statuses = |answers: &[Answer]| {
        answers
            .iter()
            .map(|a| a.status.as_u16())
            .collect::<Vec<_>>()
    };
    assert_eq!(statuses(&token_answers), [200, 400, 401]);
    assert_eq!(statuses(&resource_answers), [200, 401, 401, 404, 204]);
    for answer in &token_answers {
        assert_eq!(
            answer.header("dpop-nonce"),
            Some(as_nonce.as_str()),
            "{answer:?}"
        );
    }
    for answer in &resource_answers {
        assert_eq!(
            answer.header("dpop-nonce"),
            Some(rs_nonce.as_str()),
            "{answer:?}"
        );
    }
    let metadata = send(
        &oauth,
        Method::GET,
        "/.well-known/oauth-authorization-server",
        None,
    )
    .await;
    assert_eq!(metadata.header("dpop-nonce"), None, "{metadata:?}");
}

#[tokio::test]
async fn a_side_without_nonces_sends_no_nonce() {
    let oauth = Oauth::start(with_dpop(DpopConfig {
        nonce_required_at_resource: true,
        ..DpopConfig::default()
    }))
    .await;
    let answer = password(&oauth, BACKEND, None).await;
    assert_eq!(answer.header("dpop-nonce"), None, "{answer:?}");
    let (access_token, _) = answer.tokens();
    let answer = send(&oauth, Method::GET, "/tasks", Some(&access_token)).await;
    assert!(answer.header("dpop-nonce").is_some(), "{answer:?}");
}
