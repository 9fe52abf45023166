// Input: a request's head (its `Authorization` header, and for a DPoP-bound token its
// proof, method and URL).
// Output: the caller of the MCP endpoint, from a valid, unrevoked access token issued for the
// MCP resource, bound tokens with a valid proof by their key; or why the request is
// refused, counted in the stats.

use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::McpState;
use crate::server::dpop::authenticate_dpop;
use crate::server::tokens::TokenType;

/// Who calls the MCP endpoint, and what the token allows.
pub(crate) struct McpCaller {
    /// The `sub` claim: the username.
    pub(crate) user: String,
    /// The `scope` claim; `None`: no scope at all.
    pub(crate) scope: Option<String>,
}

/// Why a request to the MCP endpoint is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// No bearer token at all: the challenge has no error code (RFC 6750 §3.1).
    NoToken,
    /// A token the endpoint does not take: malformed, wrongly signed, expired, revoked, or
    /// issued for another resource or for none.
    InvalidToken,
}

/// The caller, if the request's token is one the MCP endpoint takes. Unlike the Tasks API,
/// the endpoint takes only tokens issued for it (`aud` = its resource): the MCP
/// authorization spec has servers check the audience, so a token cannot be passed on.
pub(crate) fn authenticate(parts: &Parts, mcp: &McpState) -> Result<McpCaller, Refused> {
    let caller = caller(parts, mcp);
    if caller.is_err() {
        mcp.auth.counters.unauthorized();
    }
    caller
}

fn caller(parts: &Parts, mcp: &McpState) -> Result<McpCaller, Refused> {
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(Refused::NoToken)?
        .to_str()
        .unwrap_or_default();
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    let dpop = scheme.eq_ignore_ascii_case("dpop");
    if !dpop && !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Refused::NoToken);
    }
    let token = token.trim();
    let claims = mcp
        .auth
        .signer
        .verify(TokenType::Access, token)
        .map_err(|_| Refused::InvalidToken)?;
    // A bound token works only with a proof by its key, as at the Tasks API.
    if dpop {
        authenticate_dpop(&mcp.auth, parts, token, &claims).map_err(|_| Refused::InvalidToken)?;
    } else if claims.cnf.is_some() {
        tracing::info!(user = %claims.sub, "MCP request refused: a DPoP-bound token sent as Bearer");
        return Err(Refused::InvalidToken);
    }
    if !mcp.auth.sessions().access_is_live(&claims) {
        return Err(Refused::InvalidToken);
    }
    if claims.aud.as_deref() != Some(mcp.resource.as_str()) {
        tracing::info!(user = %claims.sub, "MCP request refused: the token is for another resource");
        return Err(Refused::InvalidToken);
    }
    Ok(McpCaller {
        user: claims.sub,
        scope: claims.scope,
    })
}
