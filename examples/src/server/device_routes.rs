// Input: `POST /oauth/device_authorization`, `POST /oauth/device/approve`, `GET /device`,
// and the device code grant of `/oauth/token` (RFC 8628).
// Output: device and user codes, recorded decisions, and the grant's answers:
// `authorization_pending`, `slow_down`, `access_denied`, `expired_token`, or tokens.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::config::whole_seconds;
use super::device::{DecideError, DeviceGrant, Poll, display_user_code, random_user_code};
use super::form::Form;
use super::oauth_clients::OAuthClient;
use super::oauth_errors::{OAuthError, OAuthErrorCode};
use super::oauth_token::{Issued, checked_scope, required};
use super::resource_indicator::{checked_resource, granted_resource};
use super::secrets::random_code;
use super::state::Shared;

/// The `grant_type` of the device code grant.
pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// `POST /oauth/device_authorization` (RFC 8628 §3.1): a client (authenticated like at the
/// token endpoint) starts a device authorization, with an optional `scope`.
pub(crate) async fn device_authorization(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let form = Form::parse(&headers, body)?;
    state
        .resource_requests
        .record("device_authorization", form.get("resource"));
    let client = state.authenticate_client(&headers, &form)?;
    let client = required(client.as_deref())?;
    let scope = form.get("scope").map(checked_scope).transpose()?;
    let resource = checked_resource(&form)?;
    let device_code = random_code().map_err(|error| no_randomness(&error))?;
    let now = state.signer.now();
    let user_code = {
        let mut devices = state.devices();
        let user_code = loop {
            let candidate = random_user_code().map_err(|error| no_randomness(&error))?;
            if !devices.user_code_taken(&candidate) {
                break candidate;
            }
        };
        let mut grant = DeviceGrant::new(
            client.id.clone(),
            scope.map(str::to_owned),
            user_code.clone(),
            now.saturating_add(state.device_code_ttl),
            state.device_poll_interval,
        );
        grant.resource = resource.map(str::to_owned);
        devices.insert(device_code.clone(), grant, now);
        display_user_code(&user_code)
    };
    tracing::info!(client = %client.id, "device authorization started");
    let verification_uri = state.url("/device");
    let body = Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
        "verification_uri": verification_uri,
        "expires_in": whole_seconds(state.device_code_ttl),
        "interval": state.device_poll_interval.as_secs(),
    }));
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /oauth/device/approve` (form: `user_code`, `approve=true|false`, optional
/// `username`): what the user would do on the verification page, for tests and the demo.
/// No authentication, like the admin routes. Approves for `username`, else for the
/// automatic consent user; 204 when recorded.
pub(crate) async fn approve(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, OAuthError> {
    let form = Form::parse(&headers, body)?;
    let user_code = form.require("user_code", "user_code is missing")?;
    let approve = match form.get("approve") {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(OAuthError::invalid_request("approve must be true or false")),
    };
    let user = if approve {
        let user = match form.get("username") {
            Some(user) if state.user_exists(user) => user.to_owned(),
            Some(_) => return Err(OAuthError::invalid_request("unknown username")),
            None => state
                .auto_consent_user
                .clone()
                .ok_or(OAuthError::invalid_request(
                    "username is missing and no automatic consent user is configured",
                ))?,
        };
        Some(user)
    } else {
        None
    };
    let now = state.signer.now();
    let decided = state.devices().decide(user_code, user.clone(), now);
    match decided {
        Ok(()) => {
            tracing::info!(approved = approve, user = ?user, "device authorization decided");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(DecideError::Unknown) => Err(OAuthError::invalid_request(
            "no pending device authorization has that user_code",
        )),
        Err(DecideError::AlreadyDecided) => Err(OAuthError::invalid_request(
            "that device authorization was already approved or denied",
        )),
    }
}

/// `GET /device`: the verification URI. This server has no page to type a code into.
pub(crate) async fn verification_page() -> Response {
    let text = "This reference server has no verification page. Approve or deny a device \
                authorization with POST /oauth/device/approve \
                (form: user_code=...&approve=true|false[&username=...]).\n";
    ([(CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// The device code grant (RFC 8628 §3.4, §3.5).
pub(crate) fn device_code_grant(
    state: &Shared,
    client: &OAuthClient,
    form: &Form,
) -> Result<Issued, OAuthError> {
    let device_code = form.require("device_code", "device_code is missing")?;
    let now = state.signer.now();
    let asked = checked_resource(form)?;
    let (poll, granted) = {
        let mut devices = state.devices();
        let granted = devices.resource(device_code);
        (devices.poll(device_code, &client.id, now), granted)
    };
    let (user, scope) = match poll {
        Poll::Approved { user, scope } => (user, scope),
        Poll::Unknown => {
            return Err(OAuthError::invalid_grant(
                "the device code is unknown, another client's, or already exchanged",
            ));
        }
        Poll::Pending => {
            return Err(OAuthError::new(
                OAuthErrorCode::AuthorizationPending,
                "the user has not answered yet",
            ));
        }
        Poll::SlowDown => {
            return Err(OAuthError::new(
                OAuthErrorCode::SlowDown,
                "polled faster than the interval: it grew by 5 seconds",
            ));
        }
        Poll::Denied => {
            return Err(OAuthError::new(
                OAuthErrorCode::AccessDenied,
                "the user denied the request",
            ));
        }
        Poll::Expired => {
            return Err(OAuthError::new(
                OAuthErrorCode::ExpiredToken,
                "the device code has expired",
            ));
        }
    };
    let resource = granted_resource(granted.as_deref(), asked)?;
    let pair = state
        .sessions()
        .login_for(
            &state.signer,
            &user,
            Some(&client.id),
            scope.as_deref(),
            resource.as_deref(),
        )
        .map_err(|error| OAuthError::signing_failed(&error))?;
    state.counters.issued_pair(true);
    tracing::info!(client = %client.id, %user, "device code grant");
    Ok(pair.into())
}

fn no_randomness(error: &std::io::Error) -> OAuthError {
    tracing::error!(%error, "no random code");
    OAuthError::new(
        OAuthErrorCode::ServerError,
        "the server could not make a code",
    )
}
