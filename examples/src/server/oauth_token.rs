// Input: `POST /oauth/token`, a form (RFC 6749 §4 and §6) with client authentication.
// Output: the RFC 6749 §5.1 token answer, or an RFC 6749 §5.2 error; this file holds the
// dispatch by `grant_type` and the password and refresh token grants.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::client_credentials::{CLIENT_CREDENTIALS_GRANT, client_credentials_grant};
use super::client_metadata_document;
use super::device_routes::{DEVICE_CODE_GRANT, device_code_grant};
use super::dpop;
use super::form::Form;
use super::jwt_bearer::{JWT_BEARER_GRANT, jwt_bearer_grant};
use super::oauth_clients::OAuthClient;
use super::oauth_errors::{OAuthError, OAuthErrorCode};
use super::pkce;
use super::resource_indicator::{checked_resource, granted_resource};
use super::sessions::{RefreshError, TokenPair};
use super::state::Shared;
use super::token_exchange::{TOKEN_EXCHANGE_GRANT, token_exchange_grant};
use super::tokens::TokenType;

/// What a successful grant issued.
pub(crate) struct Issued {
    pub(crate) access_token: String,
    /// `None` for grants that give no refresh token.
    pub(crate) refresh_token: Option<String>,
    pub(crate) scope: Option<String>,
}

impl From<TokenPair> for Issued {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token,
            refresh_token: Some(pair.refresh_token),
            scope: pair.scope,
        }
    }
}

/// `POST /oauth/token`.
pub(crate) async fn token(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let form = Form::parse(&headers, body)?;
    let grant_type = form.require("grant_type", "grant_type is missing")?;
    if let Some(client_id) = form.get("client_id") {
        client_metadata_document::resolve(&state, client_id)
            .await
            .map_err(OAuthError::invalid_client)?;
    }
    state
        .resource_requests
        .record(grant_type, form.get("resource"));
    let client = state.authenticate_client(&headers, &form)?;
    let client = client.as_deref();
    let jkt = dpop::token_request_key(&state, &headers)?;
    let jkt = jkt.as_deref();
    let mut issued = match grant_type {
        "password" => password_grant(&state, required(client)?, &form)?,
        CLIENT_CREDENTIALS_GRANT => client_credentials_grant(&state, required(client)?, &form)?,
        "refresh_token" => {
            dpop::check_refresh_binding(&state, &form, jkt)?;
            refresh_grant(&state, required(client)?, &form)?
        }
        "authorization_code" => pkce::code_grant(&state, required(client)?, &form, jkt)?,
        DEVICE_CODE_GRANT => device_code_grant(&state, required(client)?, &form)?,
        JWT_BEARER_GRANT => jwt_bearer_grant(&state, client, &form)?,
        TOKEN_EXCHANGE_GRANT => {
            return token_exchange_grant(&state, required(client)?, &form, jkt);
        }
        _ => {
            return Err(OAuthError::new(
                OAuthErrorCode::UnsupportedGrantType,
                "this server does not support that grant_type",
            ));
        }
    };
    let token_type = dpop::bind_issued(&state, &mut issued, client, jkt)?;
    Ok(token_answer(&state, issued, token_type))
}

/// Every grant but the JWT bearer grant needs to know its client.
pub(crate) fn required(client: Option<&OAuthClient>) -> Result<&OAuthClient, OAuthError> {
    client.ok_or(OAuthError::invalid_client(
        "the request names no client: send client_id, or authenticate the client",
    ))
}

/// RFC 6749 §4.3: the resource owner's username and password, for any registered client.
fn password_grant(state: &Shared, client: &OAuthClient, form: &Form) -> Result<Issued, OAuthError> {
    let username = form.require("username", "username is missing")?;
    let password = form.require("password", "password is missing")?;
    let scope = form.get("scope").map(checked_scope).transpose()?;
    let resource = checked_resource(form)?;
    if !state.password_matches(username, password) {
        tracing::info!(user = %username, client = %client.id, "password grant refused");
        return Err(OAuthError::invalid_grant("wrong username or password"));
    }
    let pair = state
        .sessions()
        .login_for(&state.signer, username, Some(&client.id), scope, resource)
        .map_err(|error| OAuthError::signing_failed(&error))?;
    state.counters.issued_pair(true);
    tracing::info!(user = %username, client = %client.id, "password grant");
    Ok(pair.into())
}

/// RFC 6749 §6: rotates the refresh token, with `/auth/refresh`'s reuse detection. A
/// `scope` may narrow the answer's scope; the session keeps the scope of its login.
fn refresh_grant(state: &Shared, client: &OAuthClient, form: &Form) -> Result<Issued, OAuthError> {
    let token = form.require("refresh_token", "refresh_token is missing")?;
    let claims = state
        .signer
        .verify(TokenType::Refresh, token)
        .map_err(|rejected| OAuthError::invalid_grant(rejected.describe()))?;
    let narrower = form.get("scope").map(checked_scope).transpose()?;
    let resource = checked_resource(form)?;
    let outcome = {
        let mut sessions = state.sessions();
        // RFC 8707 §2: a refresh is for the resource of its grant, or for none named.
        granted_resource(sessions.granted_resource(&claims.jti), resource)?;
        if let Some(narrower) = narrower
            && !within(narrower, sessions.granted_scope(&claims.jti))
        {
            return Err(OAuthError::invalid_scope(
                "the requested scope exceeds the scope of the login",
            ));
        }
        sessions.refresh_as(&state.signer, &claims, Some(&client.id), narrower)
    };
    let pair = match outcome {
        Ok(pair) => pair,
        Err(RefreshError::Revoked) => {
            tracing::info!(user = %claims.sub, client = %client.id, "refresh refused: revoked");
            return Err(OAuthError::invalid_grant(
                "the refresh token has been revoked",
            ));
        }
        Err(RefreshError::Reused) => {
            state.counters.reuse_detected();
            tracing::warn!(
                user = %claims.sub,
                client = %client.id,
                "refresh token reused: its whole family is revoked"
            );
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; every token of its session is revoked",
            ));
        }
        Err(RefreshError::OtherClient) => {
            tracing::info!(user = %claims.sub, client = %client.id, "refresh refused: other client");
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        Err(RefreshError::Signing(error)) => return Err(OAuthError::signing_failed(&error)),
    };
    state.counters.issued_pair(false);
    tracing::info!(user = %claims.sub, client = %client.id, "refresh token grant");
    Ok(pair.into())
}

/// `scope` if it is a valid RFC 6749 §3.3 list: scope tokens of printable ASCII without
/// `"` or `\`, separated by single spaces.
pub(crate) fn checked_scope(scope: &str) -> Result<&str, OAuthError> {
    let valid = scope.split(' ').all(|item| {
        !item.is_empty()
            && item
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
    });
    if valid {
        Ok(scope)
    } else {
        Err(OAuthError::invalid_scope(
            "scope must be scope tokens separated by single spaces",
        ))
    }
}

/// Whether every scope token of `requested` is in `granted`.
fn within(requested: &str, granted: Option<&str>) -> bool {
    let granted: Vec<&str> = granted.unwrap_or_default().split(' ').collect();
    requested.split(' ').all(|item| granted.contains(&item))
}

/// The RFC 6749 §5.1 answer: `access_token`, `token_type` (`Bearer`, or `DPoP` for a
/// bound token), `expires_in`, and `refresh_token` and `scope` when there are some; never
/// cached.
pub(crate) fn token_answer(state: &Shared, issued: Issued, token_type: &str) -> Response {
    let mut body = Map::new();
    body.insert("access_token".into(), issued.access_token.into());
    body.insert("token_type".into(), token_type.into());
    body.insert("expires_in".into(), state.signer.access_ttl().into());
    if let Some(refresh_token) = issued.refresh_token {
        body.insert("refresh_token".into(), refresh_token.into());
    }
    if let Some(scope) = issued.scope {
        body.insert("scope".into(), scope.into());
    }
    let mut response = Json(Value::Object(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_rfc_6749_section_3_3() {
        assert!(checked_scope("tasks:read tasks:write").is_ok());
        assert!(checked_scope("tasks:read  tasks:write").is_err());
        assert!(checked_scope("a\"b").is_err());
        assert!(checked_scope(" a").is_err());
    }

    #[test]
    fn a_narrower_scope_is_within_the_granted_one() {
        assert!(within("a", Some("a b")));
        assert!(within("b a", Some("a b")));
        assert!(!within("c", Some("a b")));
        assert!(!within("a", None));
    }
}
