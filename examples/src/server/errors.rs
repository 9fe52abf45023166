// Input: what went wrong while answering a request.
// Output: the HTTP answer: a status and a JSON body `{"error", "error_description"}`, with
// `WWW-Authenticate` on a refused bearer token.

use axum::Json;
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::bearer::{BearerRefusal, RefusalReason};

/// An error answer. Descriptions are fixed texts: they never quote the request.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// 400 `invalid_request`: the body is not what the route takes.
    InvalidRequest(&'static str),
    /// 401 `invalid_grant`: wrong credentials, or a refresh token that is refused.
    InvalidGrant(&'static str),
    /// 401 `invalid_token` (no usable access token) or 403 `insufficient_scope`, with a
    /// `WWW-Authenticate` challenge.
    Bearer(BearerRefusal),
    /// 404 `not_found`.
    NotFound,
    /// 405 `method_not_allowed`.
    MethodNotAllowed,
    /// 500 `server_error`: signing a token failed.
    Internal,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut challenge = None;
        let (status, error, description) = match self {
            Self::InvalidRequest(text) => (StatusCode::BAD_REQUEST, "invalid_request", text),
            Self::InvalidGrant(text) => (StatusCode::UNAUTHORIZED, "invalid_grant", text),
            Self::Bearer(refusal) => {
                challenge = HeaderValue::from_str(&refusal.challenge()).ok();
                match refusal.reason {
                    RefusalReason::NoToken => (
                        StatusCode::UNAUTHORIZED,
                        "invalid_token",
                        RefusalReason::NO_TOKEN,
                    ),
                    RefusalReason::InvalidToken(text) => {
                        (StatusCode::UNAUTHORIZED, "invalid_token", text)
                    }
                    RefusalReason::InsufficientScope(_) => (
                        StatusCode::FORBIDDEN,
                        "insufficient_scope",
                        RefusalReason::INSUFFICIENT_SCOPE,
                    ),
                    RefusalReason::Dpop(challenge) => (
                        StatusCode::UNAUTHORIZED,
                        challenge.error(),
                        challenge.description(),
                    ),
                }
            }
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found", "no such resource"),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not sign a token",
            ),
        };
        let body = Json(json!({ "error": error, "error_description": description }));
        let mut response = (status, body).into_response();
        if let Some(challenge) = challenge {
            response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
        }
        response
    }
}
