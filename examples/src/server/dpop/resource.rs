// Input: a request to a route that takes access tokens, with `Authorization: DPoP <token>`,
// and the claims of that token.
// Output: whether its proof is by the key the token is bound to (RFC 9449 §7.1), or the 401
// `DPoP` challenge saying why not.

use axum::http::request::Parts;

use super::Side;
use super::proof::ALGORITHMS;
use super::refusal::{ProofError, Refusal, USE_NONCE};
use super::verifier::{ProofRequest, record_refusal, verify_proof};
use crate::server::state::AppState;
use crate::server::tokens::Claims;

/// A 401 answer of the resource with a `DPoP` challenge (RFC 9449 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DpopChallenge {
    /// The token itself is refused (malformed, expired, revoked, not bound, or bound and
    /// sent as `Bearer`).
    InvalidToken(&'static str),
    /// The proof is missing or refused.
    InvalidProof(&'static str),
    /// The proof lacks the resource's current nonce.
    UseNonce,
}

impl DpopChallenge {
    /// The `error` of the body and the challenge.
    pub(crate) fn error(self) -> &'static str {
        match self {
            Self::InvalidToken(_) => "invalid_token",
            Self::InvalidProof(_) => "invalid_dpop_proof",
            Self::UseNonce => "use_dpop_nonce",
        }
    }

    /// A fixed text, without `"` or `\`.
    pub(crate) fn description(self) -> &'static str {
        match self {
            Self::InvalidToken(text) | Self::InvalidProof(text) => text,
            Self::UseNonce => USE_NONCE,
        }
    }

    /// The `WWW-Authenticate` value.
    pub(crate) fn header(self, resource_metadata: &str) -> String {
        format!(
            "DPoP error=\"{}\", error_description=\"{}\", algs=\"{}\", resource_metadata=\"{resource_metadata}\"",
            self.error(),
            self.description(),
            ALGORITHMS.join(" "),
        )
    }
}

/// Checks the request's proof against `token` (sent as `DPoP <token>`, already verified
/// into `claims`): method, URL, `ath`, nonce, replay, and the key of `cnf.jkt`.
pub(crate) fn authenticate_dpop(
    state: &AppState,
    parts: &Parts,
    token: &str,
    claims: &Claims,
) -> Result<(), DpopChallenge> {
    let request = ProofRequest {
        headers: &parts.headers,
        method: parts.method.as_str(),
        path: parts.uri.path(),
        access_token: Some(token),
    };
    let jkt = match verify_proof(state, Side::Resource, &request) {
        Ok(Some(jkt)) => jkt,
        Ok(None) => return Err(refused(state, ProofError::Refused(Refusal::Missing))),
        Err(error) => return Err(refused(state, error)),
    };
    match &claims.cnf {
        Some(cnf) if cnf.jkt == jkt => Ok(()),
        Some(_) => Err(refused(state, ProofError::Refused(Refusal::WrongKey))),
        None => Err(DpopChallenge::InvalidToken(NOT_BOUND)),
    }
}

/// The description for a token without `cnf` sent with the `DPoP` scheme.
const NOT_BOUND: &str = "the access token is not DPoP-bound: send it as a Bearer token";

/// The description for a bound token sent with the `Bearer` scheme.
pub(crate) const BOUND_SENT_AS_BEARER: &str =
    "the access token is DPoP-bound: send it as `DPoP <token>` with a DPoP proof";

fn refused(state: &AppState, error: ProofError) -> DpopChallenge {
    record_refusal(state, Side::Resource, error);
    match error {
        ProofError::UseNonce => DpopChallenge::UseNonce,
        ProofError::Refused(refusal) => DpopChallenge::InvalidProof(refusal.describe()),
    }
}
