//! Token APIs in the shapes of real backends that are not OAuth 2.0 servers, one route set
//! per shape, each under its own path prefix (see the
//! [server's documentation](crate::server#token-apis-of-other-shapes)). They share the
//! server's accounts, signer and sessions (so rotation and reuse detection), and each
//! session belongs to the shape that started it: a refresh token of one shape is refused
//! by the others.

mod answer;
mod cookie;
mod fastapi;
mod flask;
mod issue;
mod keys;
mod refresh_only;
mod shape_stats;

use axum::Router;
use axum::routing::{get, post};

pub(crate) use refresh_only::dashboard_refresh_token;
pub(crate) use shape_stats::TokenApiCounters;
pub use shape_stats::{ShapeStats, TokenApiStats};

use super::state::Shared;

/// One of the token API shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    FastApi,
    Flask,
    Cookie,
    Keys,
    RefreshOnly,
}

impl Shape {
    /// The shape's name in logs.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::FastApi => "fastapi",
            Self::Flask => "flask",
            Self::Cookie => "cookie",
            Self::Keys => "keys",
            Self::RefreshOnly => "refresh-only",
        }
    }

    /// Who the shape's sessions are issued to, so that another API's refresh tokens are
    /// refused (no OAuth client has this id: it has no `/oauth/...` use).
    pub(crate) fn client(self) -> &'static str {
        match self {
            Self::FastApi => "token-api:fastapi",
            Self::Flask => "token-api:flask",
            Self::Cookie => "token-api:cookie",
            Self::Keys => "token-api:keys",
            Self::RefreshOnly => "token-api:refresh-only",
        }
    }
}

/// The routes of every shape.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/fastapi/token", post(fastapi::token))
        .route("/fastapi/refresh", post(fastapi::refresh))
        .route("/fastapi/users/me", get(fastapi::users_me))
        .route("/flask/login", post(flask::login))
        .route("/flask/refresh", post(flask::refresh))
        .route("/flask/protected", get(flask::protected))
        .route("/cookie/login", post(cookie::login))
        .route("/cookie/refresh", post(cookie::refresh))
        .route("/keys/auth", post(keys::auth))
        .route("/refresh-only/refresh", post(refresh_only::refresh))
}
