// Input: a token exchange request (RFC 8693 §2.1): a subject token and optionally an actor
// token, both access tokens this server issued, and the audience, resource and scope wanted.
// Output: a new access token for the subject with `aud`, `scope` and, for an actor, the `act`
// claim naming who acts (RFC 8693 §4.1), answered with its `issued_token_type`; or
// `invalid_request` / `invalid_grant` / `invalid_target`.

use axum::Json;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::response::{IntoResponse, Response};
use reqwest::Url;
use serde_json::{Map, Value, json};

use super::dpop;
use super::form::Form;
use super::oauth_clients::OAuthClient;
use super::oauth_errors::{OAuthError, OAuthErrorCode};
use super::oauth_token::checked_scope;
use super::state::Shared;
use super::tokens::{Claims, TokenType};

/// The `grant_type` of token exchange (RFC 8693 §2.1).
pub(crate) const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The token types this server takes and issues: its access tokens, which are JWTs.
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// RFC 8693 §2.1 for `client`: the answer, with `issued_token_type`, or the refusal.
pub(crate) fn token_exchange_grant(
    state: &Shared,
    client: &OAuthClient,
    form: &Form,
    jkt: Option<&str>,
) -> Result<Response, OAuthError> {
    let subject = presented(
        state,
        form,
        ("subject_token", "subject_token is missing"),
        ("subject_token_type", "subject_token_type is missing"),
    )?
    .ok_or(OAuthError::invalid_request("subject_token is missing"))?;
    let actor = presented(
        state,
        form,
        (
            "actor_token",
            "actor_token_type was sent without actor_token",
        ),
        (
            "actor_token_type",
            "actor_token was sent without actor_token_type",
        ),
    )?;
    let issued_type = match form.get("requested_token_type") {
        None | Some(ACCESS_TOKEN_TYPE) => ACCESS_TOKEN_TYPE,
        Some(JWT_TOKEN_TYPE) => JWT_TOKEN_TYPE,
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "this server issues only access tokens (access_token or jwt token types)",
            ));
        }
    };
    let scope = form.get("scope").map(checked_scope).transpose()?;
    let mut extra = Map::new();
    if let Some(audience) = target(form)? {
        extra.insert("aud".into(), audience.into());
    }
    if let Some(scope) = scope {
        extra.insert("scope".into(), scope.into());
    }
    if let Some(actor) = &actor {
        extra.insert("act".into(), json!({ "sub": actor.sub }));
    }
    if let Some(jkt) = jkt {
        extra.insert("cnf".into(), dpop::cnf_claim(jkt));
    }
    let access_token = state
        .sessions()
        .issue_exchanged(&state.signer, &subject.sub, &client.id, extra)
        .map_err(|error| OAuthError::signing_failed(&error))?;
    state.counters.issued_access();
    let token_type = match jkt {
        Some(_) => {
            state.counters.dpop_bound_token_issued();
            dpop::DPOP_TOKEN_TYPE
        }
        None => "Bearer",
    };
    tracing::info!(
        client = %client.id,
        user = %subject.sub,
        actor = actor.as_ref().map_or("", |actor| actor.sub.as_str()),
        "token exchange grant"
    );
    Ok(answer(state, &access_token, scope, issued_type, token_type))
}

/// The claims of the token named `token` of type `token_type`, if the form sends one (both,
/// or neither: `missing` says which is absent); it must be a live access token of this
/// server, else `invalid_grant`.
fn presented(
    state: &Shared,
    form: &Form,
    (token, token_missing): (&str, &'static str),
    (token_type, type_missing): (&str, &'static str),
) -> Result<Option<Claims>, OAuthError> {
    let (token, token_type) = match (form.get(token), form.get(token_type)) {
        (None, None) => return Ok(None),
        (Some(_), None) => return Err(OAuthError::invalid_request(type_missing)),
        (None, Some(_)) => return Err(OAuthError::invalid_request(token_missing)),
        (Some(token), Some(token_type)) => (token, token_type),
    };
    if token_type != ACCESS_TOKEN_TYPE && token_type != JWT_TOKEN_TYPE {
        return Err(OAuthError::invalid_request(
            "this server exchanges only its own access tokens (access_token or jwt token types)",
        ));
    }
    let claims = state
        .signer
        .verify(TokenType::Access, token)
        .map_err(|rejected| OAuthError::invalid_grant(rejected.describe()))?;
    if !state.sessions().access_is_live(&claims) {
        return Err(OAuthError::invalid_grant("the token has been revoked"));
    }
    Ok(Some(claims))
}

/// The new token's audience: the `resource` (RFC 8707: an absolute URI without a fragment),
/// else the `audience`; `invalid_target` for a `resource` that is not such a URI.
fn target(form: &Form) -> Result<Option<String>, OAuthError> {
    if let Some(resource) = form.get("resource") {
        let valid = Url::parse(resource).is_ok_and(|url| url.fragment().is_none());
        if !valid {
            return Err(OAuthError::new(
                OAuthErrorCode::InvalidTarget,
                "resource must be an absolute URI without a fragment",
            ));
        }
        return Ok(Some(resource.to_owned()));
    }
    Ok(form.get("audience").map(str::to_owned))
}

/// The RFC 8693 §2.2.1 answer: the token answer of RFC 6749 §5.1 with `issued_token_type`,
/// never cached.
fn answer(
    state: &Shared,
    access_token: &str,
    scope: Option<&str>,
    issued_type: &str,
    token_type: &str,
) -> Response {
    let mut body = json!({
        "access_token": access_token,
        "issued_token_type": issued_type,
        "token_type": token_type,
        "expires_in": state.signer.access_ttl(),
    });
    if let Some(scope) = scope {
        body["scope"] = Value::from(scope);
    }
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
