// Input: `POST /oauth/register`, a JSON object of client metadata (RFC 7591 §2).
// Output: 201 with the new client's id, its secret if it is confidential, and the metadata
// as registered (RFC 7591 §3.2.1); or 400 `invalid_redirect_uri` / `invalid_client_metadata`
// (§3.2.2). The client is usable at once by `/oauth/authorize` and `/oauth/token`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::authorize::is_loopback;
use super::oauth_clients::OAuthClient;
use super::oauth_errors::{OAuthError, OAuthErrorCode};
use super::oauth_token::checked_scope;
use super::secrets::random_code;
use super::state::Shared;

/// The grant types a registered client may name: the ones `/oauth/token` serves.
const GRANT_TYPES: [&str; 4] = [
    "authorization_code",
    "refresh_token",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
];

/// What a registration request may say; other members are ignored.
#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    application_type: Option<String>,
    scope: Option<String>,
}

fn metadata_error(description: &'static str) -> OAuthError {
    OAuthError::new(OAuthErrorCode::InvalidClientMetadata, description)
}

/// `POST /oauth/register`.
pub(crate) async fn register(
    State(state): State<Shared>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let request: Request = body
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(metadata_error(
            "the body must be a JSON object of client metadata (RFC 7591 section 2)",
        ))?;
    let method = request
        .token_endpoint_auth_method
        .as_deref()
        .unwrap_or("client_secret_basic");
    if !matches!(
        method,
        "none" | "client_secret_basic" | "client_secret_post"
    ) {
        return Err(metadata_error(
            "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post",
        ));
    }
    let grant_types = request
        .grant_types
        .unwrap_or_else(|| vec!["authorization_code".to_owned()]);
    if grant_types.is_empty()
        || !grant_types
            .iter()
            .all(|g| GRANT_TYPES.contains(&g.as_str()))
    {
        return Err(metadata_error(
            "grant_types must name grants this server serves: authorization_code, \
             refresh_token, password, urn:ietf:params:oauth:grant-type:device_code",
        ));
    }
    let response_types = request
        .response_types
        .unwrap_or_else(|| vec!["code".to_owned()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(metadata_error("response_types must be [\"code\"]"));
    }
    let application_type = request.application_type.as_deref().unwrap_or("web");
    if !matches!(application_type, "web" | "native") {
        return Err(metadata_error("application_type must be web or native"));
    }
    if let Some(scope) = &request.scope {
        checked_scope(scope)
            .map_err(|_| metadata_error("scope must be scope tokens separated by single spaces"))?;
    }
    check_redirect_uris(&request.redirect_uris, &grant_types)?;

    let no_randomness = |_| {
        OAuthError::new(
            OAuthErrorCode::ServerError,
            "the server could not make a client id",
        )
    };
    let client_id = format!("registered-{}", random_code().map_err(no_randomness)?);
    let secret = match method {
        "none" => None,
        _ => Some(random_code().map_err(no_randomness)?),
    };
    let issued_at = state.signer.now().as_secs();
    state.clients.add(OAuthClient {
        secret: secret.clone(),
        redirect_uris: request.redirect_uris.clone(),
        loopback_redirects: false,
        ..OAuthClient::public(client_id.clone())
    });
    state.counters.client_registered();
    tracing::info!(client = %client_id, method, application_type, "client registered");

    let mut answer = Map::new();
    answer.insert("client_id".into(), client_id.into());
    if let Some(secret) = secret {
        answer.insert("client_secret".into(), secret.into());
        // 0: the secret does not expire (RFC 7591 §3.2.1).
        answer.insert("client_secret_expires_at".into(), 0.into());
    }
    answer.insert("client_id_issued_at".into(), issued_at.into());
    answer.insert("redirect_uris".into(), json!(request.redirect_uris));
    answer.insert("grant_types".into(), json!(grant_types));
    answer.insert("response_types".into(), json!(response_types));
    answer.insert("token_endpoint_auth_method".into(), method.into());
    answer.insert("application_type".into(), application_type.into());
    if let Some(name) = request.client_name {
        answer.insert("client_name".into(), name.into());
    }
    if let Some(scope) = request.scope {
        answer.insert("scope".into(), scope.into());
    }
    let mut response = (StatusCode::CREATED, Json(Value::Object(answer))).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// A redirect-based grant needs redirect URIs; each must be an absolute URL without a
/// fragment, `https` or a loopback `http://127.0.0.1` one.
fn check_redirect_uris(uris: &[String], grant_types: &[String]) -> Result<(), OAuthError> {
    let refuse = |description| OAuthError::new(OAuthErrorCode::InvalidRedirectUri, description);
    if uris.is_empty() && grant_types.iter().any(|g| g == "authorization_code") {
        return Err(refuse(
            "the authorization_code grant needs redirect_uris (RFC 7591 section 2)",
        ));
    }
    for uri in uris {
        let url = Url::parse(uri).map_err(|_| refuse("a redirect URI is not an absolute URL"))?;
        if url.fragment().is_some() {
            return Err(refuse("a redirect URI must not have a fragment"));
        }
        if !(url.scheme() == "https" || is_loopback(&url)) {
            return Err(refuse(
                "a redirect URI must be https, or http://127.0.0.1 (any port) for a native app",
            ));
        }
    }
    Ok(())
}
