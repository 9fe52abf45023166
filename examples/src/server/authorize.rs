// Input: `GET /oauth/authorize?response_type=code&client_id&redirect_uri&state&
// code_challenge&code_challenge_method=S256&scope&resource&login_hint` (RFC 6749 §4.1.1,
// RFC 7636, RFC 8707).
// Output: a 302 to the client's loopback redirect URI with `code`, `state` and `iss` (the
// automatic consent of the server's configuration), or with `error`; a 400 JSON error when
// the client or the redirect URI cannot be trusted with a redirect.

use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use reqwest::Url;

use super::authorization_codes::CodeGrant;
use super::client_metadata_document;
use super::form::Form;
use super::oauth_clients::OAuthClient;
use super::oauth_errors::{OAuthError, OAuthErrorCode};
use super::oauth_token::checked_scope;
use super::pkce::is_pkce_string;
use super::resource_indicator::checked_resource;
use super::secrets::random_code;
use super::state::Shared;

/// The `login_hint` that makes the automatic consent deny the request.
const DENY_HINT: &str = "deny";

/// `GET /oauth/authorize`.
pub(crate) async fn authorize(
    State(state): State<Shared>,
    RawQuery(query): RawQuery,
) -> Result<Response, OAuthError> {
    let params = Form::from_query(query.as_deref())?;
    // RFC 6749 §4.1.2.1: without a known client and one of its redirect URIs, the error
    // goes to the user agent, never to the URI.
    let client_id = params.require("client_id", "client_id is missing")?;
    client_metadata_document::resolve(&state, client_id)
        .await
        .map_err(OAuthError::invalid_request)?;
    let client = state
        .clients
        .find(client_id)
        .ok_or(OAuthError::invalid_request("unknown client_id"))?;
    let redirect_uri = params.require("redirect_uri", "redirect_uri is missing")?;
    let redirect = allowed_redirect(&client, redirect_uri).ok_or(OAuthError::invalid_request(
        "redirect_uri is not allowed for this client: use one of its registered redirect URIs \
         (any port for a loopback one), or http://127.0.0.1:<port>/... for a client with \
         loopback redirects",
    ))?;
    let answer = match authorize_code(&state, &client, redirect_uri, &params) {
        Ok(code) => vec![("code", code)],
        Err(error) => {
            tracing::info!(client = %client.id, error = error.code.as_str(), "authorization refused");
            vec![
                ("error", error.code.as_str().to_owned()),
                ("error_description", error.description.to_owned()),
            ]
        }
    };
    Ok(redirect_to(
        redirect,
        &answer,
        params.get("state"),
        state.redirect_iss(),
    ))
}

/// Checks the request, asks the automatic consent, and issues a code.
fn authorize_code(
    state: &Shared,
    client: &OAuthClient,
    redirect_uri: &str,
    params: &Form,
) -> Result<String, OAuthError> {
    if params.get("response_type") != Some("code") {
        return Err(OAuthError::new(
            OAuthErrorCode::UnsupportedResponseType,
            "response_type must be code",
        ));
    }
    let challenge = params
        .get("code_challenge")
        .ok_or(OAuthError::invalid_request(
            "code_challenge is missing: PKCE is required",
        ))?;
    if params.get("code_challenge_method") != Some("S256") {
        return Err(OAuthError::invalid_request(
            "code_challenge_method must be S256",
        ));
    }
    if challenge.len() != 43 || !is_pkce_string(challenge) {
        return Err(OAuthError::invalid_request(
            "code_challenge must be an S256 challenge: 43 base64url characters",
        ));
    }
    let scope = params.get("scope").map(checked_scope).transpose()?;
    let resource = params.get("resource");
    state.resource_requests.record("authorize", resource);
    let resource = checked_resource(params)?;
    let user = consenting_user(state, params.get("login_hint")).ok_or(OAuthError::new(
        OAuthErrorCode::AccessDenied,
        "the user denied the request",
    ))?;
    let code = random_code().map_err(|error| {
        tracing::error!(%error, "no random code");
        OAuthError::new(
            OAuthErrorCode::ServerError,
            "the server could not make a code",
        )
    })?;
    let now = state.signer.now();
    let grant = CodeGrant {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        challenge: challenge.to_owned(),
        user: user.clone(),
        scope: scope.map(str::to_owned),
        resource: resource.map(str::to_owned),
        // A server without DPoP ignores the parameter, as one that never heard of it.
        dpop_jkt: params
            .get("dpop_jkt")
            .filter(|_| state.dpop.supported())
            .map(str::to_owned),
        expires_at: now.saturating_add(state.authorization_code_ttl),
    };
    state.codes().insert(code.clone(), grant, now);
    tracing::info!(client = %client.id, %user, "authorization code issued by automatic consent");
    Ok(code)
}

/// Who the automatic consent logs in: nobody for `login_hint=deny` or without a
/// configured user; the hinted user if it exists; else the configured user.
fn consenting_user(state: &Shared, login_hint: Option<&str>) -> Option<String> {
    let default = state.auto_consent_user.as_ref()?;
    match login_hint {
        Some(DENY_HINT) => None,
        Some(user) if state.user_exists(user) => Some(user.to_owned()),
        _ => Some(default.clone()),
    }
}

/// `redirect_uri` parsed, if the client may be sent there: one of its registered redirect
/// URIs, where a loopback one matches on any port (RFC 8252 §7.3); or, for a client with
/// loopback redirects, any loopback URI `http://127.0.0.1[:port]/...` without user info or
/// fragment.
fn allowed_redirect(client: &OAuthClient, redirect_uri: &str) -> Option<Url> {
    let url = Url::parse(redirect_uri).ok()?;
    let loopback = is_loopback(&url);
    let registered = client.redirect_uris.iter().any(|registered| {
        registered == redirect_uri
            || (loopback
                && Url::parse(registered).is_ok_and(|mut registered| {
                    let mut asked = url.clone();
                    is_loopback(&registered)
                        && registered.set_port(None).is_ok()
                        && asked.set_port(None).is_ok()
                        && registered == asked
                }))
    });
    (registered || (client.loopback_redirects && loopback)).then_some(url)
}

/// `http://127.0.0.1[:port]/...` without user info or fragment.
pub(crate) fn is_loopback(url: &Url) -> bool {
    url.scheme() == "http"
        && url.host_str() == Some("127.0.0.1")
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
}

/// A 302 to `redirect` with `answer`, `state` and `iss` (RFC 9207, if any) added to its
/// query.
fn redirect_to(
    mut redirect: Url,
    answer: &[(&str, String)],
    state: Option<&str>,
    issuer: Option<&str>,
) -> Response {
    {
        let mut query = redirect.query_pairs_mut();
        for (name, value) in answer {
            query.append_pair(name, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        if let Some(issuer) = issuer {
            query.append_pair("iss", issuer);
        }
    }
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(redirect.as_str()) {
        headers.insert(LOCATION, location);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
