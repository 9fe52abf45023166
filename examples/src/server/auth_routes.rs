// Input: `POST /auth/login`, `/auth/refresh` and `/auth/logout` requests.
// Output: token pairs (`{"access_token", "refresh_token", "token_type", "expires_in"}`),
// `invalid_grant` refusals, and revoked sessions.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::bearer::Bearer;
use super::body::json_body;
use super::errors::ApiError;
use super::sessions::{RefreshError, TokenPair};
use super::state::Shared;
use super::tokens::TokenType;

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Deserialize)]
struct RefreshRequest {
    refresh_token: String,
}

/// `POST /auth/login {"username", "password"}`: a new session (refresh family).
pub(crate) async fn login(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let request: LoginRequest = json_body(
        body,
        "the body must be a JSON object with string fields `username` and `password`",
    )?;
    if !state.password_matches(&request.username, &request.password) {
        tracing::info!(user = %request.username, "login refused: wrong username or password");
        return Err(ApiError::InvalidGrant("wrong username or password"));
    }
    let pair = state
        .sessions()
        .login(&state.signer, &request.username)
        .map_err(|error| signing_failed(&error))?;
    state.counters.issued_pair(true);
    tracing::info!(user = %request.username, "logged in");
    Ok(token_response(&state, &pair))
}

/// `POST /auth/refresh {"refresh_token"}`: spends the refresh token, answers the next pair.
pub(crate) async fn refresh(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let request: RefreshRequest = json_body(
        body,
        "the body must be a JSON object with a string field `refresh_token`",
    )?;
    let claims = state
        .signer
        .verify(TokenType::Refresh, &request.refresh_token)
        .map_err(|rejected| ApiError::InvalidGrant(rejected.describe()))?;
    let outcome = state.sessions().refresh(&state.signer, &claims);
    match outcome {
        Ok(pair) => {
            state.counters.issued_pair(false);
            tracing::info!(user = %claims.sub, "refreshed");
            Ok(token_response(&state, &pair))
        }
        Err(RefreshError::Revoked) => {
            tracing::info!(user = %claims.sub, "refresh refused: revoked");
            Err(ApiError::InvalidGrant("the refresh token has been revoked"))
        }
        Err(RefreshError::Reused) => {
            state.counters.reuse_detected();
            tracing::warn!(
                user = %claims.sub,
                "refresh token reused: its whole family is revoked"
            );
            Err(ApiError::InvalidGrant(
                "the refresh token was already used; every token of its session is revoked",
            ))
        }
        Err(RefreshError::OtherClient) => {
            tracing::info!(user = %claims.sub, "refresh refused: issued to an OAuth client");
            Err(ApiError::InvalidGrant(
                "the refresh token was issued to an OAuth client: refresh it at /oauth/token",
            ))
        }
        Err(RefreshError::Signing(error)) => Err(signing_failed(&error)),
    }
}

/// `POST /auth/logout` with a bearer token: revokes it and its session's refresh tokens.
pub(crate) async fn logout(State(state): State<Shared>, bearer: Bearer) -> StatusCode {
    state.sessions().logout(&bearer.jti);
    tracing::info!(user = %bearer.user, "logged out");
    StatusCode::NO_CONTENT
}

fn signing_failed(error: &jsonwebtoken::errors::Error) -> ApiError {
    tracing::error!(%error, "could not sign a token");
    ApiError::Internal
}

fn token_response(state: &Shared, pair: &TokenPair) -> Response {
    let body = Json(json!({
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "Bearer",
        "expires_in": state.signer.access_ttl(),
    }));
    // RFC 6749 §5.1: token responses must not be cached.
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
