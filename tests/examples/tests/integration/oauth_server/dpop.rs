//! DPoP (RFC 9449) over real HTTP: proofs made with the test-only keys, sent to the token
//! endpoint and to the Tasks API of a server whose clock stands at `NOW`.

mod resource;
mod token_endpoint;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use crate::common::{Answer, ClientAuth, Oauth};
use crate::dpop_proofs::{ProofKey, ath};

/// The time of `Oauth::start`'s manual clock, in seconds.
const NOW: u64 = 1_700_000_000;

/// A proof for `POST /oauth/token`, with `nonce` if given.
fn token_proof(oauth: &Oauth, key: &ProofKey, nonce: Option<&str>) -> String {
    let htu = format!("{}/oauth/token", oauth.base_url);
    key.proof("POST", &htu, NOW, &json!({ "nonce": nonce }))
}

/// `POST /oauth/token` with `params` as `auth`, and `proof` in a `DPoP` header if given.
async fn token(
    oauth: &Oauth,
    auth: ClientAuth<'_>,
    params: &[(&str, &str)],
    proof: Option<&str>,
) -> Answer {
    let headers: Vec<(&str, &str)> = proof.map(|proof| ("DPoP", proof)).into_iter().collect();
    oauth
        .post_form_with("/oauth/token", auth, params, &headers)
        .await
}

/// The password grant for alice as `auth`, with `proof`.
async fn password(oauth: &Oauth, auth: ClientAuth<'_>, proof: Option<&str>) -> Answer {
    let params = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "wonderland"),
    ];
    token(oauth, auth, &params, proof).await
}

/// A proof for `GET /tasks` with `access_token`, with `nonce` if given.
fn tasks_proof(oauth: &Oauth, key: &ProofKey, access_token: &str, nonce: Option<&str>) -> String {
    let htu = format!("{}/tasks", oauth.base_url);
    key.proof(
        "GET",
        &htu,
        NOW,
        &json!({ "ath": ath(access_token), "nonce": nonce }),
    )
}

/// `GET /tasks` with `Authorization: <scheme> <access_token>` and `proof` if given.
async fn tasks(oauth: &Oauth, scheme: &str, access_token: &str, proof: Option<&str>) -> Answer {
    let mut request = oauth
        .http
        .get(format!("{}/tasks", oauth.base_url))
        .header(AUTHORIZATION, format!("{scheme} {access_token}"));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    Answer::of(request.send().await.unwrap()).await
}

/// The claims of a JWT, unverified.
fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// A 200 token answer of `token_type: DPoP` whose access token is bound to `key`;
/// answers `(access_token, refresh_token)`.
fn bound_tokens(answer: &Answer, key: &ProofKey) -> (String, String) {
    assert_eq!(answer.status, reqwest::StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["token_type"], "DPoP", "{answer:?}");
    let access_token = answer.field("access_token");
    assert_eq!(claims_of(&access_token)["cnf"], json!({ "jkt": key.jkt() }));
    let refresh = answer.body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (access_token, refresh)
}
