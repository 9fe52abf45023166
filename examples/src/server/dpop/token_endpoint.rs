// Input: a `/oauth/token` request's headers and form, and what its grant issued.
// Output: the token endpoint's side of DPoP (RFC 9449 §5): the proof's key, the refresh
// binding check, and the bound answer (`cnf.jkt`, `token_type: DPoP`); or a 400
// `invalid_dpop_proof` / `use_dpop_nonce`.

use axum::http::HeaderMap;

use super::Side;
use super::binding::cnf_claim;
use super::refusal::{ProofError, Refusal, USE_NONCE};
use super::verifier::{ProofRequest, record_refusal, verify_proof};
use crate::server::form::Form;
use crate::server::oauth_clients::OAuthClient;
use crate::server::oauth_errors::{OAuthError, OAuthErrorCode};
use crate::server::oauth_token::Issued;
use crate::server::state::AppState;
use crate::server::tokens::TokenType;

/// The `token_type` of a bound access token (RFC 9449 §5).
pub(crate) const DPOP_TOKEN_TYPE: &str = "DPoP";

/// The key thumbprint of the token request's proof; `None` without one.
pub(crate) fn token_request_key(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<String>, OAuthError> {
    let request = ProofRequest {
        headers,
        method: "POST",
        path: "/oauth/token",
        access_token: None,
    };
    verify_proof(state, Side::TokenEndpoint, &request).map_err(|error| refused(state, error))
}

/// RFC 9449 §5: a refresh token bound to a key (a public client's) is only refreshed with a
/// proof by that key; refused as `invalid_dpop_proof`, nothing spent. A refresh token that
/// does not verify is left to the grant to refuse.
pub(crate) fn check_refresh_binding(
    state: &AppState,
    form: &Form,
    jkt: Option<&str>,
) -> Result<(), OAuthError> {
    let Some(token) = form.get("refresh_token") else {
        return Ok(());
    };
    let Some(family) = state
        .signer
        .verify(TokenType::Refresh, token)
        .ok()
        .and_then(|claims| claims.family)
    else {
        return Ok(());
    };
    let bindings = state.dpop.refresh_bindings();
    let refusal = match (bindings.key_of(&family), jkt) {
        (None, _) => return Ok(()),
        (Some(bound), Some(jkt)) if bound == jkt => return Ok(()),
        (Some(_), None) => Refusal::Missing,
        (Some(_), Some(_)) => Refusal::WrongKey,
    };
    drop(bindings);
    Err(refused(state, ProofError::Refused(refusal)))
}

/// Binds what a grant issued to `jkt`: the access token gets `cnf.jkt`, and a public
/// client's refresh tokens are bound to the key from now on. Answers the `token_type`.
pub(crate) fn bind_issued(
    state: &AppState,
    issued: &mut Issued,
    client: Option<&OAuthClient>,
    jkt: Option<&str>,
) -> Result<&'static str, OAuthError> {
    let Some(jkt) = jkt else {
        return Ok("Bearer");
    };
    issued.access_token = state
        .signer
        .with_access_claim(&issued.access_token, "cnf", cnf_claim(jkt))
        .map_err(|error| OAuthError::signing_failed(&error))?;
    // RFC 9449 §5: a confidential client's refresh tokens are bound by its authentication.
    if client.is_some_and(|client| !client.is_confidential())
        && let Some(family) = issued
            .refresh_token
            .as_deref()
            .and_then(|token| state.signer.verify(TokenType::Refresh, token).ok())
            .and_then(|claims| claims.family)
    {
        state.dpop.refresh_bindings().bind(family, jkt.to_owned());
    }
    state.counters.dpop_bound_token_issued();
    Ok(DPOP_TOKEN_TYPE)
}

/// Counts the refusal and turns it into the token endpoint's 400 answer; the `DPoP-Nonce`
/// header is added by the route's layer.
fn refused(state: &AppState, error: ProofError) -> OAuthError {
    record_refusal(state, Side::TokenEndpoint, error);
    match error {
        ProofError::UseNonce => OAuthError::new(OAuthErrorCode::UseDpopNonce, USE_NONCE),
        ProofError::Refused(refusal) => {
            OAuthError::new(OAuthErrorCode::InvalidDpopProof, refusal.describe())
        }
    }
}
