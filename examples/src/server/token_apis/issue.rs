// Input: credentials and tokens presented to a token API shape.
// Output: the tokens it answers (a new session's pair, the next pair, a new access token
// alone), or a `Refusal` that each shape words in its own style; counted per shape.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use serde::Deserialize;

use super::Shape;
use crate::server::sessions::{RefreshError, TokenPair};
use crate::server::state::Shared;
use crate::server::tokens::{Rejected, TokenType};

/// Why a shape's route refuses a request; each shape answers it in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The username and password (or key and secret) do not match an account.
    WrongPassword,
    /// The token does not verify: malformed, signed by another key, expired, or of the
    /// other kind (an access token for a refresh, or the other way round).
    Unverified(Rejected),
    /// The token's session was revoked (a logout, an admin route, an earlier reuse), or it
    /// belongs to another API.
    Revoked,
    /// The refresh token was spent before: its whole session is revoked now.
    Reused,
    /// Signing a token failed.
    Internal,
}

/// A JSON login request's `{"username", "password"}`.
#[derive(Deserialize)]
pub(super) struct LoginRequest {
    pub(super) username: String,
    pub(super) password: String,
}

/// The JSON login request of `body`, if it is one.
pub(super) fn json_login_request(body: Result<Bytes, BytesRejection>) -> Option<LoginRequest> {
    body.ok()
        .and_then(|body| serde_json::from_slice(&body).ok())
}

/// A new session for `username`, if `password` is its password: its first pair.
pub(super) fn log_in(
    state: &Shared,
    shape: Shape,
    username: &str,
    password: &str,
) -> Result<TokenPair, Refusal> {
    check_password(state, shape, username, password)?;
    let pair = state
        .sessions()
        .login_as(&state.signer, username, Some(shape.client()), None)
        .map_err(|error| signing_failed(state, shape, &error))?;
    state.counters.token_apis.login(shape);
    tracing::info!(shape = shape.name(), user = %username, "logged in");
    Ok(pair)
}

/// An access token alone for `username`, if `password` is its password, and its `exp`
/// (for APIs without refresh tokens, where each renewal logs in).
pub(super) fn access_only(
    state: &Shared,
    shape: Shape,
    username: &str,
    password: &str,
) -> Result<(String, u64), Refusal> {
    check_password(state, shape, username, password)?;
    let token = state
        .sessions()
        .issue_access_only(&state.signer, username, shape.client(), None)
        .map_err(|error| signing_failed(state, shape, &error))?;
    let exp = access_exp(state, &token);
    state.counters.token_apis.login(shape);
    tracing::info!(shape = shape.name(), user = %username, "logged in");
    Ok((token, exp))
}

/// Spends `refresh_token` and answers the next pair of its session (rotation); a token
/// spent before revokes the session.
pub(super) fn rotate(
    state: &Shared,
    shape: Shape,
    refresh_token: &str,
) -> Result<TokenPair, Refusal> {
    let claims = verify(state, shape, TokenType::Refresh, refresh_token)?;
    let outcome = state
        .sessions()
        .refresh_as(&state.signer, &claims, Some(shape.client()), None);
    let pair = outcome.map_err(|error| refresh_refused(state, shape, error))?;
    state.counters.token_apis.refresh(shape);
    tracing::info!(shape = shape.name(), user = %claims.sub, "refreshed");
    Ok(pair)
}

/// A new access token in the session of `refresh_token`, which stays valid (no rotation).
pub(super) fn renew_access(
    state: &Shared,
    shape: Shape,
    refresh_token: &str,
) -> Result<String, Refusal> {
    let claims = verify(state, shape, TokenType::Refresh, refresh_token)?;
    let outcome = state
        .sessions()
        .renew_access(&state.signer, &claims, Some(shape.client()));
    let access = outcome.map_err(|error| refresh_refused(state, shape, error))?;
    state.counters.token_apis.refresh(shape);
    tracing::info!(shape = shape.name(), user = %claims.sub, "refreshed");
    Ok(access)
}

/// The user of `access_token`, if it is a live access token of this server.
pub(super) fn access_user(state: &Shared, access_token: &str) -> Result<String, Refusal> {
    let claims = state
        .signer
        .verify(TokenType::Access, access_token)
        .map_err(Refusal::Unverified)?;
    if !state.sessions().access_is_live(&claims) {
        return Err(Refusal::Revoked);
    }
    Ok(claims.sub)
}

/// The `exp` of an access token this server has just issued (0 if it does not verify,
/// which cannot happen within the same second).
pub(super) fn access_exp(state: &Shared, access_token: &str) -> u64 {
    state
        .signer
        .verify(TokenType::Access, access_token)
        .map_or(0, |claims| claims.exp)
}

/// Counts a request that the shape refuses before looking at any credential (a body it
/// does not take).
pub(super) fn refused_request(state: &Shared, shape: Shape) {
    state.counters.token_apis.refused(shape);
}

fn check_password(
    state: &Shared,
    shape: Shape,
    username: &str,
    password: &str,
) -> Result<(), Refusal> {
    if state.password_matches(username, password) {
        return Ok(());
    }
    state.counters.token_apis.refused(shape);
    tracing::info!(shape = shape.name(), user = %username, "login refused: wrong password");
    Err(Refusal::WrongPassword)
}

fn verify(
    state: &Shared,
    shape: Shape,
    token_type: TokenType,
    token: &str,
) -> Result<crate::server::tokens::Claims, Refusal> {
    state.signer.verify(token_type, token).map_err(|rejected| {
        state.counters.token_apis.refused(shape);
        tracing::info!(
            shape = shape.name(),
            reason = rejected.describe(),
            "token refused"
        );
        Refusal::Unverified(rejected)
    })
}

fn refresh_refused(state: &Shared, shape: Shape, error: RefreshError) -> Refusal {
    if let RefreshError::Signing(error) = error {
        return signing_failed(state, shape, &error);
    }
    state.counters.token_apis.refused(shape);
    match error {
        RefreshError::Revoked | RefreshError::OtherClient | RefreshError::Signing(_) => {
            tracing::info!(
                shape = shape.name(),
                "refresh refused: revoked or not this API's"
            );
            Refusal::Revoked
        }
        RefreshError::Reused => {
            state.counters.reuse_detected();
            tracing::warn!(
                shape = shape.name(),
                "refresh token reused: its whole session is revoked"
            );
            Refusal::Reused
        }
    }
}

fn signing_failed(state: &Shared, shape: Shape, error: &jsonwebtoken::errors::Error) -> Refusal {
    state.counters.token_apis.refused(shape);
    tracing::error!(shape = shape.name(), %error, "could not sign a token");
    Refusal::Internal
}
