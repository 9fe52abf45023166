// Input: `POST /oauth/revoke` (RFC 7009): a form with `token`, an optional
// `token_type_hint`, and the client's authentication.
// Output: 200 with an empty body whenever the client authenticates, whether or not the
// token was known; the token is revoked when it was issued to that client.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::form::Form;
use super::oauth_errors::OAuthError;
use super::oauth_token::required;
use super::sessions::Revocation;
use super::state::Shared;
use super::tokens::TokenType;

/// `POST /oauth/revoke`. A refresh token revokes its session (its refresh family and the
/// access tokens issued in it); an access token revokes itself. An unknown, expired or
/// malformed token, or one issued to another client, changes nothing and is still 200
/// (RFC 7009 §2.2: the answer tells nothing about the token). `token_type_hint` is
/// accepted and not needed: the two kinds are told apart by their signatures.
pub(crate) async fn revoke(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let form = Form::parse(&headers, body)?;
    let client = state.authenticate_client(&headers, &form)?;
    let client = required(client.as_deref())?;
    let token = form.require("token", "token is missing")?;
    let outcome = if let Ok(claims) = state.signer.verify(TokenType::Refresh, token) {
        state
            .sessions()
            .revoke_refresh_token(&claims.jti, &client.id)
    } else if let Ok(claims) = state.signer.verify(TokenType::Access, token) {
        state
            .sessions()
            .revoke_access_token(&claims.jti, &client.id)
    } else {
        Revocation::Unknown
    };
    tracing::info!(client = %client.id, ?outcome, "revocation request");
    let mut response = StatusCode::OK.into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
