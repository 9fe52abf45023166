// Input: `POST /keys/auth {"key", "secret"}`, an API key login with names of its own.
// Output: `{"data": {"token", "expiresAt"}}` (RFC 3339, UTC) and no refresh token, so every
// renewal logs in again; 401 `{"error": "invalid key or secret", "detail": "no account
// matches <the request>"}`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::Shape;
use super::answer::json;
use super::issue::{self, Refusal};
use crate::server::state::Shared;

const SHAPE: Shape = Shape::Keys;

#[derive(Deserialize)]
struct AuthRequest {
    key: String,
    secret: String,
}

/// `POST /keys/auth {"key": <username>, "secret": <password>}`: an access token alone.
pub(crate) async fn auth(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    state.counters.token_apis.token_request(SHAPE);
    let sent: Value = body
        .ok()
        .and_then(|body| serde_json::from_slice(&body).ok())
        .unwrap_or_default();
    let Ok(request) = AuthRequest::deserialize(&sent) else {
        issue::refused_request(&state, SHAPE);
        return json(
            StatusCode::BAD_REQUEST,
            json!({"error": "the body must be {\"key\": ..., \"secret\": ...}"}),
        );
    };
    match issue::access_only(&state, SHAPE, &request.key, &request.secret) {
        Ok((token, exp)) => json(
            StatusCode::OK,
            json!({"data": {"token": token, "expiresAt": rfc3339(exp)}}),
        ),
        Err(Refusal::Internal) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "internal error"}),
        ),
        // Quotes the request it refuses, secret and all, as careless backends do: clients
        // must not pass it on.
        Err(_) => json(
            StatusCode::UNAUTHORIZED,
            json!({
                "error": "invalid key or secret",
                "detail": format!("no account matches {sent}"),
            }),
        ),
    }
}

/// `epoch_seconds` as RFC 3339 in UTC (`2023-11-14T22:13:20Z`).
fn rfc3339(epoch_seconds: u64) -> String {
    i64::try_from(epoch_seconds)
        .ok()
        .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn expiry_is_rfc_3339_in_utc() {
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
