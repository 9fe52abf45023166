// Input: a request body as axum read it (or why it could not).
// Output: the JSON value the route takes, or a 400 `invalid_request` that says what to send.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use serde::de::DeserializeOwned;

use super::errors::ApiError;

/// Parses `body` as JSON into `T`. Any failure (unreadable or oversized body, not JSON,
/// missing or mistyped fields) is `invalid_request` with `expected` as the description, so
/// nothing from the body (say, a password) is echoed back. The `Content-Type` is not checked.
pub(crate) fn json_body<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    expected: &'static str,
) -> Result<T, ApiError> {
    body.ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(ApiError::InvalidRequest(expected))
}
