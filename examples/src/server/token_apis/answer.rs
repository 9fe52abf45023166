// Input: what a shape's handler decided, and the request's `Authorization` header.
// Output: JSON answers that no cache keeps, the `WWW-Authenticate: Bearer` challenge, and
// the bearer token of a request.

use axum::Json;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// `body` with `status`, `Cache-Control: no-store` (token answers must not be cached, and
/// refusals may quote what was sent).
pub(super) fn json(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// [`json`] with `WWW-Authenticate: Bearer`, as FastAPI's `OAuth2PasswordBearer` answers.
pub(super) fn bearer_challenge(status: StatusCode, body: Value) -> Response {
    let mut response = json(status, body);
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// What a request's `Authorization` header holds.
pub(super) enum BearerHeader<'a> {
    /// No `Authorization` header.
    Missing,
    /// A header that is not `Bearer <token>`.
    Malformed,
    /// The token of `Bearer <token>`.
    Token(&'a str),
}

/// The bearer token of `headers`, if any.
pub(super) fn bearer_token(headers: &HeaderMap) -> BearerHeader<'_> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return BearerHeader::Missing;
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    token.map_or(BearerHeader::Malformed, BearerHeader::Token)
}
