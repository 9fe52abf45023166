// Input: a request's `Authorization` header (`Bearer`, or `DPoP` with a proof), and the
// scope a route needs.
// Output: `Bearer`, the user, token id and scope of a valid, unrevoked access token; or a
// 401 `invalid_token` / 403 `insufficient_scope` refusal (a `DPoP` challenge for DPoP
// requests and bound tokens) with its `WWW-Authenticate` challenge, counted in the stats.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::dpop::{BOUND_SENT_AS_BEARER, DpopChallenge, authenticate_dpop};
use super::errors::ApiError;
use super::protected_resource::{RESOURCE_METADATA_PATH, holds};
use super::state::Shared;
use super::tokens::{Claims, Rejected, TokenType};

/// The caller of a route that needs an access token.
#[derive(Debug)]
pub(crate) struct Bearer {
    /// The `sub` claim: the username.
    pub(crate) user: String,
    /// The `jti` claim.
    pub(crate) jti: String,
    /// The `scope` claim; `None`: the token holds every scope.
    pub(crate) scope: Option<String>,
}

impl Bearer {
    fn of(claims: Claims) -> Self {
        Self {
            user: claims.sub,
            jti: claims.jti,
            scope: claims.scope,
        }
    }

    /// Refuses with 403 `insufficient_scope` unless the token holds `needed`, or always when
    /// the server is configured to refuse every scope.
    pub(crate) fn require(&self, state: &Shared, needed: &'static str) -> Result<(), ApiError> {
        if !state.refuse_every_scope && holds(self.scope.as_deref(), needed) {
            return Ok(());
        }
        state.counters.insufficient_scope();
        tracing::info!(user = %self.user, scope = needed, "insufficient scope");
        Err(refused(state, RefusalReason::InsufficientScope(needed)))
    }
}

/// Why a bearer route refused a request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RefusalReason {
    /// No bearer token attempted (no `Authorization` header, or another scheme): the
    /// challenge has no `error` (RFC 6750 §3.1).
    NoToken,
    /// The token is missing, malformed, wrongly signed, expired or revoked; a fixed text.
    InvalidToken(&'static str),
    /// The token lacks this scope.
    InsufficientScope(&'static str),
    /// A DPoP request is refused, or a DPoP-bound token came as `Bearer`: a `DPoP`
    /// challenge (RFC 9449 §7.1).
    Dpop(DpopChallenge),
}

impl RefusalReason {
    pub(crate) const NO_TOKEN: &'static str =
        "the request has no bearer token: send `Authorization: Bearer <access token>`";
    pub(crate) const INSUFFICIENT_SCOPE: &'static str =
        "the token lacks the scope this route needs";
}

/// A refusal and where the resource's metadata is.
#[derive(Debug)]
pub(crate) struct BearerRefusal {
    pub(crate) reason: RefusalReason,
    resource_metadata: String,
}

impl BearerRefusal {
    /// The `WWW-Authenticate` value (RFC 6750 §3, RFC 9728 §5.1). Descriptions are fixed
    /// texts without `"` or `\`, so they need no escaping.
    pub(crate) fn challenge(&self) -> String {
        let metadata = format!("resource_metadata=\"{}\"", self.resource_metadata);
        match self.reason {
            RefusalReason::NoToken => format!("Bearer {metadata}"),
            RefusalReason::InvalidToken(text) => {
                format!("Bearer error=\"invalid_token\", error_description=\"{text}\", {metadata}")
            }
            RefusalReason::InsufficientScope(scope) => format!(
                "Bearer error=\"insufficient_scope\", scope=\"{scope}\", error_description=\"{}\", {metadata}",
                RefusalReason::INSUFFICIENT_SCOPE
            ),
            RefusalReason::Dpop(challenge) => challenge.header(&self.resource_metadata),
        }
    }
}

fn refused(state: &Shared, reason: RefusalReason) -> ApiError {
    ApiError::Bearer(BearerRefusal {
        reason,
        resource_metadata: state.url(RESOURCE_METADATA_PATH),
    })
}

impl FromRequestParts<Shared> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        authenticate(parts, state).map_err(|reason| {
            state.counters.unauthorized();
            refused(state, reason)
        })
    }
}

fn authenticate(parts: &Parts, state: &Shared) -> Result<Bearer, RefusalReason> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(RefusalReason::NoToken)?;
    // RFC 6750 §3.1: a request that does not try a bearer token (another scheme, an empty
    // header) lacks authentication, which is not an error of a token.
    let value = header.to_str().unwrap_or_default();
    let scheme = value.split(' ').next().unwrap_or_default();
    let token = value
        .split_once(' ')
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    if scheme.eq_ignore_ascii_case("dpop") && state.dpop.supported() {
        let dpop_refusal = |text| RefusalReason::Dpop(DpopChallenge::InvalidToken(text));
        let token = token.ok_or(dpop_refusal(
            "the Authorization header is not `DPoP <token>`",
        ))?;
        let claims = access_claims(state, token).map_err(dpop_refusal)?;
        authenticate_dpop(state, parts, token, &claims).map_err(RefusalReason::Dpop)?;
        return Ok(Bearer::of(claims));
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(RefusalReason::NoToken);
    }
    let token = token.ok_or(RefusalReason::InvalidToken(
        "the Authorization header is not `Bearer <token>`",
    ))?;
    let claims = access_claims(state, token).map_err(RefusalReason::InvalidToken)?;
    // RFC 9449 §7.1: a bound token without its key's proof is refused, as a stolen one.
    if claims.cnf.is_some() {
        return Err(RefusalReason::Dpop(DpopChallenge::InvalidToken(
            BOUND_SENT_AS_BEARER,
        )));
    }
    Ok(Bearer::of(claims))
}

/// The claims of `token` if it is a live access token for this resource; else why not.
fn access_claims(state: &Shared, token: &str) -> Result<Claims, &'static str> {
    let claims = state
        .signer
        .verify(TokenType::Access, token)
        .map_err(Rejected::describe)?;
    if !state.sessions().access_is_live(&claims) {
        return Err("the token has been revoked");
    }
    // RFC 8707: a token for another resource must not be taken here.
    if claims
        .aud
        .as_deref()
        .is_some_and(|aud| aud.trim_end_matches('/') != state.base_url)
    {
        return Err("the token is for another resource (its aud)");
    }
    Ok(claims)
}
