// Input: every answer of the token endpoint or of the resource routes.
// Output: the same answer with `DPoP-Nonce: <that side's current nonce>` when the side
// checks nonces (RFC 9449 §8.2 and §9): 2xx, 4xx and 5xx alike.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use super::Side;
use crate::server::state::Shared;

/// Layer of `/oauth/token`.
pub(crate) async fn token_endpoint_nonce_header(
    State(state): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    with_nonce(&state, Side::TokenEndpoint, next.run(request).await)
}

/// Layer of the routes that take access tokens.
pub(crate) async fn resource_nonce_header(
    State(state): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    with_nonce(&state, Side::Resource, next.run(request).await)
}

fn with_nonce(state: &Shared, side: Side, mut response: Response) -> Response {
    if state.dpop.uses_nonces(side)
        && let Ok(nonce) = HeaderValue::from_str(&state.dpop.nonce(side))
    {
        response.headers_mut().insert("dpop-nonce", nonce);
    }
    response
}
