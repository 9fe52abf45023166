// Input: requests in the shape of FastAPI's security tutorial: a form login
// (`OAuth2PasswordRequestForm`), a JSON refresh, and `GET /fastapi/users/me` with a bearer
// token.
// Output: FastAPI's answers: `{"access_token", "token_type": "bearer", "refresh_token"}`,
// `{"detail": "..."}` refusals with `WWW-Authenticate: Bearer`, and 422 `{"detail": [...]}`
// for a body missing a field.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::Shape;
use super::answer::{BearerHeader, bearer_challenge, bearer_token, json};
use super::issue::{self, Refusal};
use crate::server::sessions::TokenPair;
use crate::server::state::Shared;

const SHAPE: Shape = Shape::FastApi;

/// `POST /fastapi/token`, a form `username`, `password` (optional `grant_type=password`,
/// `scope`): a new session's pair.
pub(crate) async fn token(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    state.counters.token_apis.token_request(SHAPE);
    let form = form_fields(&headers, body);
    let missing: Vec<&str> = ["username", "password"]
        .into_iter()
        .filter(|name| !form.contains_key(*name))
        .collect();
    if !missing.is_empty() {
        issue::refused_request(&state, SHAPE);
        let errors: Vec<Value> = missing.iter().map(|name| missing_field(name)).collect();
        return unprocessable(&errors);
    }
    if form
        .get("grant_type")
        .is_some_and(|grant| grant != "password")
    {
        issue::refused_request(&state, SHAPE);
        return unprocessable(&[json!({
            "type": "string_pattern_mismatch",
            "loc": ["body", "grant_type"],
            "msg": "String should match pattern '^password$'",
            "ctx": {"pattern": "^password$"},
        })]);
    }
    match issue::log_in(&state, SHAPE, &form["username"], &form["password"]) {
        Ok(pair) => tokens(&pair),
        Err(Refusal::Internal) => internal(),
        Err(_) => bearer_challenge(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Incorrect username or password"}),
        ),
    }
}

/// `POST /fastapi/refresh {"refresh_token"}`: the next pair (rotation).
pub(crate) async fn refresh(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    state.counters.token_apis.token_request(SHAPE);
    let request: Option<Value> = body.ok().and_then(|b| serde_json::from_slice(&b).ok());
    let Some(refresh_token) = request
        .as_ref()
        .and_then(|request| request["refresh_token"].as_str())
    else {
        issue::refused_request(&state, SHAPE);
        return unprocessable(&[missing_field("refresh_token")]);
    };
    match issue::rotate(&state, SHAPE, refresh_token) {
        Ok(pair) => tokens(&pair),
        Err(Refusal::Internal) => internal(),
        // Quotes the token it refuses, as careless backends do: clients must not pass it on.
        Err(_) => bearer_challenge(
            StatusCode::UNAUTHORIZED,
            json!({"detail": format!("bad refresh token {refresh_token}")}),
        ),
    }
}

/// `GET /fastapi/users/me` with `Authorization: Bearer <access token>`: `{"username"}`.
pub(crate) async fn users_me(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let BearerHeader::Token(access_token) = bearer_token(&headers) else {
        return bearer_challenge(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Not authenticated"}),
        );
    };
    match issue::access_user(&state, access_token) {
        Ok(username) => json(StatusCode::OK, json!({ "username": username })),
        Err(_) => bearer_challenge(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Could not validate credentials"}),
        ),
    }
}

/// The fields of a form body; none when the body is not a form (FastAPI then finds every
/// field missing).
fn form_fields(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> HashMap<String, String> {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return HashMap::new();
    }
    body.ok()
        .and_then(|bytes| serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).ok())
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn tokens(pair: &TokenPair) -> Response {
    json(
        StatusCode::OK,
        json!({
            "access_token": pair.access_token,
            "token_type": "bearer",
            "refresh_token": pair.refresh_token,
        }),
    )
}

/// FastAPI's (pydantic 2's) description of a missing body field.
fn missing_field(name: &str) -> Value {
    json!({"type": "missing", "loc": ["body", name], "msg": "Field required", "input": null})
}

fn unprocessable(errors: &[Value]) -> Response {
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({ "detail": errors }),
    )
}

fn internal() -> Response {
    json(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"detail": "Internal Server Error"}),
    )
}
