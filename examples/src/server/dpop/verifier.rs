// Input: a request (its `DPoP` headers, method, path, and the access token it sends, if
// any) and the side that takes it.
// Output: the thumbprint of the proof's key if the proof is valid for that request (RFC 9449
// §4.3 and §7.1), or why not; the one check both the token endpoint and the resource use.

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Url;
use sha2::{Digest, Sha256};

use super::proof::{ProofClaims, verify_signature};
use super::refusal::{ProofError, Refusal};
use super::{Dpop, Side};
use crate::server::state::AppState;

/// What a proof is checked against.
pub(crate) struct ProofRequest<'a> {
    pub(crate) headers: &'a HeaderMap,
    pub(crate) method: &'a str,
    /// The path on this server (the query is not part of `htu`).
    pub(crate) path: &'a str,
    /// The access token the request sends; its hash must be the proof's `ath`.
    pub(crate) access_token: Option<&'a str>,
}

/// The `jkt` of the request's proof; `Ok(None)` when it sends no `DPoP` header or the
/// server does not support DPoP.
pub(crate) fn verify_proof(
    state: &AppState,
    side: Side,
    request: &ProofRequest<'_>,
) -> Result<Option<String>, ProofError> {
    let dpop = &state.dpop;
    if !dpop.supported() {
        return Ok(None);
    }
    let mut values = request.headers.get_all("dpop").iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ProofError::Refused(Refusal::Repeated));
    }
    let proof = value
        .to_str()
        .map_err(|_| ProofError::Refused(Refusal::Malformed))?;
    let signed = verify_signature(proof).map_err(ProofError::Refused)?;
    check_claims(
        dpop,
        side,
        &signed.claims,
        &state.url(request.path),
        request,
    )?;
    Ok(Some(signed.jkt))
}

/// Counts and logs a refusal (its reason only: never the proof, key or token).
pub(crate) fn record_refusal(state: &AppState, side: Side, error: ProofError) {
    let counters = &state.counters;
    match error {
        ProofError::UseNonce => counters.use_dpop_nonce(side == Side::TokenEndpoint),
        ProofError::Refused(refusal) => {
            counters.dpop_proof_refused(refusal == Refusal::Replayed);
            tracing::info!(?side, reason = refusal.describe(), "DPoP proof refused");
        }
    }
}

/// The checks that need the request and the server's state, in order: the nonce and the
/// replay cache last, so a proof refused for anything else spends neither.
fn check_claims(
    dpop: &Dpop,
    side: Side,
    claims: &ProofClaims,
    url: &str,
    request: &ProofRequest<'_>,
) -> Result<(), ProofError> {
    let refuse = |refusal| Err(ProofError::Refused(refusal));
    if claims.htm != request.method {
        return refuse(Refusal::WrongMethod);
    }
    if !same_url(&claims.htu, url) {
        return refuse(Refusal::WrongUrl);
    }
    let now = dpop.clock.now();
    let window = dpop.config.proof_iat_window.as_secs();
    let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if claims.iat.abs_diff(now_secs) > window {
        return refuse(Refusal::StaleIat);
    }
    if let Some(token) = request.access_token
        && claims.ath.as_deref() != Some(access_token_hash(token).as_str())
    {
        return refuse(Refusal::WrongAth);
    }
    if demands_nonce(dpop, side)
        || (requires_nonce(dpop, side)
            && claims.nonce.as_deref() != Some(dpop.nonce(side).as_str()))
    {
        return Err(ProofError::UseNonce);
    }
    let until = std::time::Duration::from_secs(
        u64::try_from(claims.iat)
            .unwrap_or_default()
            .saturating_add(window),
    );
    if !dpop.seen().first_use(&claims.jti, until, now) {
        return refuse(Refusal::Replayed);
    }
    Ok(())
}

fn requires_nonce(dpop: &Dpop, side: Side) -> bool {
    match side {
        Side::TokenEndpoint => dpop.config.nonce_required_at_token_endpoint,
        Side::Resource => dpop.config.nonce_required_at_resource,
    }
}

/// The misbehaving switches of [`DpopConfig`](super::DpopConfig).
fn demands_nonce(dpop: &Dpop, side: Side) -> bool {
    match side {
        Side::TokenEndpoint => dpop.config.token_endpoint_always_demands_nonce,
        Side::Resource => dpop.config.resource_always_demands_nonce,
    }
}

/// RFC 9449 §4.3: `htu` matches the request's URL without query and fragment: the same
/// scheme, host, port and path.
fn same_url(htu: &str, expected: &str) -> bool {
    let (Ok(htu), Ok(expected)) = (Url::parse(htu), Url::parse(expected)) else {
        return false;
    };
    htu.scheme() == expected.scheme()
        && htu.host_str() == expected.host_str()
        && htu.port_or_known_default() == expected.port_or_known_default()
        && htu.path() == expected.path()
}

/// RFC 9449 §4.2: `ath` is the base64url SHA-256 hash of the access token, unpadded.
pub(crate) fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}
