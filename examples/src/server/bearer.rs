// Input: a request's `Authorization` header.
// Output: `Bearer`, the user and token id of a valid, unrevoked access token; or a 401
// `invalid_token` answer, counted in the stats.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::errors::ApiError;
use super::state::Shared;
use super::tokens::TokenType;

/// The caller of a route that needs an access token.
#[derive(Debug)]
pub(crate) struct Bearer {
    /// The `sub` claim: the username.
    pub(crate) user: String,
    /// The `jti` claim.
    pub(crate) jti: String,
}

impl FromRequestParts<Shared> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        authenticate(parts, state).inspect_err(|_| state.counters.unauthorized())
    }
}

fn authenticate(parts: &Parts, state: &Shared) -> Result<Bearer, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(ApiError::InvalidToken(
            "the request has no Authorization header",
        ))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::InvalidToken(
            "the Authorization header is not `Bearer <token>`",
        ))?;
    let claims = state
        .signer
        .verify(TokenType::Access, token)
        .map_err(|rejected| ApiError::InvalidToken(rejected.describe()))?;
    if !state.sessions().access_is_live(&claims) {
        return Err(ApiError::InvalidToken("the token has been revoked"));
    }
    Ok(Bearer {
        user: claims.sub,
        jti: claims.jti,
    })
}
