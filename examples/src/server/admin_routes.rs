// Input: `/admin/...` requests (no authentication: the server is for loopback only).
// Output: server-side revocation of a user's tokens, and the counters as JSON.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::errors::ApiError;
use super::state::Shared;
use super::stats::ServerStats;

/// `POST /admin/revoke-access/{username}`: every access token issued to the user so far is
/// refused from now on, expired or not; refresh tokens keep working.
pub(crate) async fn revoke_access(
    State(state): State<Shared>,
    username: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let username = known_user(&state, username)?;
    let revoked = state.sessions().revoke_access_of(&username);
    tracing::info!(user = %username, revoked, "admin revoked access tokens");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /admin/revoke-refresh/{username}`: every refresh family of the user is revoked;
/// access tokens keep working until they expire.
pub(crate) async fn revoke_refresh(
    State(state): State<Shared>,
    username: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let username = known_user(&state, username)?;
    let revoked = state.sessions().revoke_refresh_of(&username);
    tracing::info!(user = %username, revoked, "admin revoked refresh tokens");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/stats`.
pub(crate) async fn stats(State(state): State<Shared>) -> Json<ServerStats> {
    Json(state.counters.snapshot())
}

fn known_user(
    state: &Shared,
    username: Result<Path<String>, PathRejection>,
) -> Result<String, ApiError> {
    username
        .ok()
        .map(|Path(username)| username)
        .filter(|username| state.user_exists(username))
        .ok_or(ApiError::NotFound)
}
