// Input: requests in the shape of flask-jwt-extended's defaults (fastjwt's are the same):
// a JSON login, a refresh with the refresh token in `Authorization: Bearer` and no body,
// and `GET /flask/protected` with the access token.
// Output: `{"access_token", "refresh_token"}` without `expires_in` (the lifetime is the
// JWT's `exp`), `{"access_token"}` alone on a refresh (no rotation), and `{"msg": "..."}`
// refusals: 401 for a missing, expired or revoked token, 422 for one that does not verify.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::Shape;
use super::answer::{BearerHeader, bearer_token, json};
use super::issue::{self, Refusal};
use crate::server::state::Shared;
use crate::server::tokens::{Rejected, TokenType};

const SHAPE: Shape = Shape::Flask;

/// `POST /flask/login {"username", "password"}`: a new session's pair.
pub(crate) async fn login(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    state.counters.token_apis.token_request(SHAPE);
    let request = issue::json_login_request(body);
    let Some(request) = request else {
        issue::refused_request(&state, SHAPE);
        return msg(StatusCode::BAD_REQUEST, "Missing username or password");
    };
    match issue::log_in(&state, SHAPE, &request.username, &request.password) {
        Ok(pair) => json(
            StatusCode::OK,
            json!({"access_token": pair.access_token, "refresh_token": pair.refresh_token}),
        ),
        Err(Refusal::Internal) => internal(),
        Err(_) => msg(StatusCode::UNAUTHORIZED, "Bad username or password"),
    }
}

/// `POST /flask/refresh` with `Authorization: Bearer <refresh token>` and no body: a new
/// access token; the refresh token stays valid. A request with a body is refused (400),
/// so a client that sends one is caught.
pub(crate) async fn refresh(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    state.counters.token_apis.token_request(SHAPE);
    if !body.is_ok_and(|body| body.is_empty()) {
        issue::refused_request(&state, SHAPE);
        return msg(StatusCode::BAD_REQUEST, "The refresh request takes no body");
    }
    let refresh_token = match bearer_token(&headers) {
        BearerHeader::Token(token) => token,
        refusal => {
            issue::refused_request(&state, SHAPE);
            return header_refusal(&refusal);
        }
    };
    match issue::renew_access(&state, SHAPE, refresh_token) {
        Ok(access_token) => json(StatusCode::OK, json!({ "access_token": access_token })),
        Err(refusal) => token_refusal(refusal, TokenType::Refresh),
    }
}

/// `GET /flask/protected` with `Authorization: Bearer <access token>`: `{"logged_in_as"}`.
pub(crate) async fn protected(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let access_token = match bearer_token(&headers) {
        BearerHeader::Token(token) => token,
        refusal => return header_refusal(&refusal),
    };
    match issue::access_user(&state, access_token) {
        Ok(user) => json(StatusCode::OK, json!({ "logged_in_as": user })),
        Err(refusal) => token_refusal(refusal, TokenType::Access),
    }
}

fn header_refusal(header: &BearerHeader<'_>) -> Response {
    match header {
        BearerHeader::Missing => msg(StatusCode::UNAUTHORIZED, "Missing Authorization Header"),
        _ => msg(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
        ),
    }
}

/// flask-jwt-extended's words for a refused token, where `wanted` is the kind the route
/// takes.
fn token_refusal(refusal: Refusal, wanted: TokenType) -> Response {
    let (status, text) = match refusal {
        Refusal::Unverified(Rejected::Expired) => (StatusCode::UNAUTHORIZED, "Token has expired"),
        Refusal::Unverified(Rejected::WrongType) if wanted == TokenType::Refresh => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Only refresh tokens are allowed",
        ),
        Refusal::Unverified(Rejected::WrongType) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Only non-refresh tokens are allowed",
        ),
        Refusal::Unverified(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Signature verification failed",
        ),
        Refusal::Revoked | Refusal::Reused | Refusal::WrongPassword => {
            (StatusCode::UNAUTHORIZED, "Token has been revoked")
        }
        Refusal::Internal => return internal(),
    };
    msg(status, text)
}

fn msg(status: StatusCode, text: &str) -> Response {
    json(status, json!({ "msg": text }))
}

fn internal() -> Response {
    msg(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}
