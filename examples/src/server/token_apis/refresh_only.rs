// Input: `POST /refresh-only/refresh {"refresh"}`, the only route of an API whose refresh
// token comes from elsewhere (a dashboard), and the dashboard itself for tests.
// Output: `{"token", "refresh", "expires_at"}` (epoch seconds), the refresh token rotated;
// 401 `{"error": "invalid refresh token"}`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::Shape;
use super::answer::json;
use super::issue::{self, Refusal};
use crate::server::state::Shared;

const SHAPE: Shape = Shape::RefreshOnly;

#[derive(Deserialize)]
struct RefreshRequest {
    refresh: String,
}

/// `POST /refresh-only/refresh {"refresh": <refresh token>}`: the next access and refresh
/// tokens.
pub(crate) async fn refresh(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    state.counters.token_apis.token_request(SHAPE);
    let request: Option<RefreshRequest> = body.ok().and_then(|b| serde_json::from_slice(&b).ok());
    let Some(request) = request else {
        issue::refused_request(&state, SHAPE);
        return json(
            StatusCode::BAD_REQUEST,
            json!({"error": "the body must be {\"refresh\": <refresh token>}"}),
        );
    };
    match issue::rotate(&state, SHAPE, &request.refresh) {
        Ok(pair) => json(
            StatusCode::OK,
            json!({
                "token": pair.access_token,
                "refresh": pair.refresh_token,
                "expires_at": issue::access_exp(&state, &pair.access_token),
            }),
        ),
        Err(Refusal::Internal) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "internal error"}),
        ),
        // Quotes the token it refuses, as careless backends do: clients must not pass it on.
        Err(_) => json(
            StatusCode::UNAUTHORIZED,
            json!({
                "error": "invalid refresh token",
                "detail": format!("refused {}", request.refresh),
            }),
        ),
    }
}

/// A new session for `username` on this API, as its dashboard would start one: its refresh
/// token. `None` when there is no such user, or signing fails.
pub(crate) fn dashboard_refresh_token(state: &Shared, username: &str) -> Option<String> {
    if !state.user_exists(username) {
        return None;
    }
    let pair = state
        .sessions()
        .login_as(&state.signer, username, Some(SHAPE.client()), None)
        .ok()?;
    tracing::info!(shape = SHAPE.name(), user = %username, "refresh token issued");
    Some(pair.refresh_token)
}
