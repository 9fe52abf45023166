// Input: why an `/oauth/...` request is refused.
// Output: the RFC 6749 §5.2 error answer: a status, `{"error", "error_description"}`,
// `Cache-Control: no-store`, and a `WWW-Authenticate` challenge for `invalid_client`.

use axum::Json;
use axum::http::header::{CACHE_CONTROL, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The challenge sent with every `invalid_client` answer (RFC 6749 §5.2: a 401 for a failed
/// client authentication names the scheme the client may use).
pub(crate) const CLIENT_CHALLENGE: &str = "Basic realm=\"freshtoken reference server\"";

/// The error codes of RFC 6749 §5.2, RFC 8628 §3.5, RFC 7009 §2.2.1 and RFC 8707 §2 this
/// server answers, and RFC 9449 §12.2's DPoP errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OAuthErrorCode {
    /// 400: a parameter is missing, repeated, malformed, or not allowed here.
    InvalidRequest,
    /// 401: the client is unknown or its authentication failed.
    InvalidClient,
    /// 400: the grant (password, refresh token, code, assertion...) is refused.
    InvalidGrant,
    /// 400: the client may not use this grant (a public client asking for client
    /// credentials).
    UnauthorizedClient,
    /// 400: the server does not know the `grant_type`.
    UnsupportedGrantType,
    /// 400: the requested scope is malformed or exceeds what was granted.
    InvalidScope,
    /// Authorization redirect: the `response_type` is not `code`.
    UnsupportedResponseType,
    /// 400 (device flow, RFC 8628 §3.5), or an authorization redirect: the user denied.
    AccessDenied,
    /// 400: device flow: the user has not answered yet.
    AuthorizationPending,
    /// 400: device flow: polled faster than the interval; the interval grew by 5 s.
    SlowDown,
    /// 400: device flow: the device code expired.
    ExpiredToken,
    /// 500: the server could not sign a token.
    ServerError,
    /// 400: dynamic client registration (RFC 7591 §3.2.2): a redirect URI is not allowed.
    InvalidRedirectUri,
    /// 400: dynamic client registration: other client metadata is not allowed.
    InvalidClientMetadata,
    /// 400, or an authorization redirect: the `resource` is not an absolute URI, or not
    /// the grant's (RFC 8707 §2).
    InvalidTarget,
    /// 400: the DPoP proof is missing where needed, malformed, or fails a check (RFC 9449
    /// §5.2).
    InvalidDpopProof,
    /// 400: the DPoP proof lacks the token endpoint's current nonce (RFC 9449 §8).
    UseDpopNonce,
}

impl OAuthErrorCode {
    /// The `error` value on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::AccessDenied => "access_denied",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::ServerError => "server_error",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidTarget => "invalid_target",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::InvalidClient => StatusCode::UNAUTHORIZED,
            Self::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// A refused `/oauth/...` request. The description is a fixed text: it never quotes the
/// request, so no secret sent by the client comes back in the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OAuthError {
    pub(crate) code: OAuthErrorCode,
    pub(crate) description: &'static str,
}

impl OAuthError {
    pub(crate) fn new(code: OAuthErrorCode, description: &'static str) -> Self {
        Self { code, description }
    }

    pub(crate) fn invalid_request(description: &'static str) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    pub(crate) fn invalid_client(description: &'static str) -> Self {
        Self::new(OAuthErrorCode::InvalidClient, description)
    }

    pub(crate) fn invalid_grant(description: &'static str) -> Self {
        Self::new(OAuthErrorCode::InvalidGrant, description)
    }

    pub(crate) fn invalid_scope(description: &'static str) -> Self {
        Self::new(OAuthErrorCode::InvalidScope, description)
    }

    /// Logs the signing error (never a token) and answers `server_error`.
    pub(crate) fn signing_failed(error: &jsonwebtoken::errors::Error) -> Self {
        tracing::error!(%error, "could not sign a token");
        Self::new(
            OAuthErrorCode::ServerError,
            "the server could not sign a token",
        )
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = Json(json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        }));
        let mut response = (self.code.status(), body).into_response();
        let headers = response.headers_mut();
        // RFC 6749 §5.1 asks this of token answers; errors of the token endpoint too.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
        if self.code == OAuthErrorCode::InvalidClient {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(CLIENT_CHALLENGE));
        }
        response
    }
}
