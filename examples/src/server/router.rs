// Input: the shared state.
// Output: the axum `Router` of every route, with JSON 404 and 405 answers for the rest.

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use super::errors::ApiError;
use super::protected_resource::{self, RESOURCE_METADATA_PATH};
use super::registration;
use super::state::Shared;
use super::{
    admin_routes, auth_routes, authorize, device_routes, dpop, metadata, oauth_token, revoke,
    task_routes, token_apis,
};

pub(crate) fn router(state: Shared) -> Router {
    // DPoP nonces (RFC 9449 §8, §9): each side sends its own on every answer.
    let token_endpoint_nonce = from_fn_with_state(state.clone(), dpop::token_endpoint_nonce_header);
    let resource_nonce = from_fn_with_state(state.clone(), dpop::resource_nonce_header);
    Router::new()
        .route("/auth/login", post(auth_routes::login))
        .route("/auth/refresh", post(auth_routes::refresh))
        .route(
            "/auth/logout",
            post(auth_routes::logout).layer(resource_nonce.clone()),
        )
        .route("/oauth/authorize", get(authorize::authorize))
        .route(
            "/oauth/token",
            post(oauth_token::token).layer(token_endpoint_nonce),
        )
        .route("/oauth/revoke", post(revoke::revoke))
        .route("/oauth/register", post(registration::register))
        .route(
            "/oauth/device_authorization",
            post(device_routes::device_authorization),
        )
        .route("/oauth/device/approve", post(device_routes::approve))
        .route("/device", get(device_routes::verification_page))
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::metadata),
        )
        .route("/.well-known/openid-configuration", get(metadata::metadata))
        .route(RESOURCE_METADATA_PATH, get(protected_resource::metadata))
        .route(
            "/tasks",
            get(task_routes::list)
                .post(task_routes::create)
                .layer(resource_nonce.clone()),
        )
        .route(
            "/tasks/{id}",
            axum::routing::delete(task_routes::delete).layer(resource_nonce.clone()),
        )
        .route(
            "/tasks/{id}/complete",
            post(task_routes::complete).layer(resource_nonce),
        )
        .route(
            "/admin/revoke-access/{username}",
            post(admin_routes::revoke_access),
        )
        .route(
            "/admin/revoke-refresh/{username}",
            post(admin_routes::revoke_refresh),
        )
        .route("/admin/stats", get(admin_routes::stats))
        .merge(token_apis::routes())
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
}
