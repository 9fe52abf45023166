// Input: a non-2xx answer from a token or login endpoint, and the secrets the request carried.
// Output: the `AuthError` that tells the cache what to do: wait and retry, stop until the user
// logs in again, or stop because the request itself is wrong.
//
// The message keeps the RFC 6749 `error` code and a cleaned-up `error_description`, with
// every secret the request carried cut out, since some servers echo what they were sent.

use std::time::SystemTime;

use http::StatusCode;
use serde_json::Value;

use super::endpoint_error::EndpointError;
use super::exchange::Answer;
use super::redaction::Redactions;
use super::retry_after::retry_after;
use super::url::Endpoint;
use crate::AuthError;
#[cfg(test)]
use crate::AuthErrorKind;

/// A server's description is kept to this many characters.
const MAX_DESCRIPTION_CHARS: usize = 200;

/// What the cache should do after a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Remedy {
    /// Wait and try again (5xx, 408, 429).
    Retry,
    /// The credentials are dead: log in again.
    Reauthenticate,
    /// The client's id or secret is refused: fix the configuration.
    InvalidClient,
    /// The request is wrong; retrying cannot fix it.
    Reject,
}

/// The RFC 6749 section 5.2 reading of an error: `invalid_grant` (and a 401) means dead
/// credentials, `invalid_client` a refused client id or secret; server trouble and rate
/// limits pass; any other refusal is a configuration error.
pub(crate) fn oauth_remedy(status: StatusCode, error_code: Option<&str>) -> Remedy {
    if status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
    {
        return Remedy::Retry;
    }
    match error_code {
        Some("invalid_grant") => Remedy::Reauthenticate,
        Some("invalid_client") => Remedy::InvalidClient,
        // Meant for the authorization endpoint, but some token endpoints send them too.
        Some("temporarily_unavailable" | "server_error") => Remedy::Retry,
        _ if status == StatusCode::UNAUTHORIZED => Remedy::Reauthenticate,
        _ => Remedy::Reject,
    }
}

/// [`oauth_remedy`] for a client that sent a secret: RFC 6749 section 5.2 has the server
/// answer 401 when client authentication fails, so a 401 that names no other cause is a
/// refused client, not a dead grant. (Without a secret, a 401 stays a dead grant: there is no
/// secret to get wrong.)
pub(crate) fn authenticated_client_remedy(status: StatusCode, error_code: Option<&str>) -> Remedy {
    match oauth_remedy(status, error_code) {
        Remedy::Reauthenticate
            if status == StatusCode::UNAUTHORIZED && error_code != Some("invalid_grant") =>
        {
            Remedy::InvalidClient
        }
        remedy => remedy,
    }
}

/// The `error` code and description of an error body, if it is JSON and has them.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    pub(crate) code: Option<String>,
    pub(crate) description: Option<String>,
}

impl ErrorBody {
    /// Reads `error` and `error_description`, or the description login APIs give instead:
    /// `message` (Express and most JSON APIs), `detail` (FastAPI, also its 422 list of
    /// fields), `msg` (flask-jwt-extended). Every secret in `secrets`, in any spelling, is
    /// replaced by `[redacted]`; a code that holds one is dropped.
    pub(crate) fn read(body: &[u8], secrets: &Redactions) -> Self {
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return Self::default();
        };
        let text = |name: &str| fields.get(name).and_then(Value::as_str);
        let code = text("error")
            .filter(|code| is_error_code(code) && !secrets.found_in(code))
            .map(str::to_owned);
        let description = ["error_description", "message", "detail", "msg"]
            .into_iter()
            .find_map(|name| text(name).map(str::to_owned))
            .or_else(|| fields.get("detail").and_then(field_errors))
            .map(|description| clean(&description, secrets))
            .filter(|description| !description.is_empty());
        Self { code, description }
    }
}

/// FastAPI's (pydantic's) 422 `detail`, `[{"loc": ["body", "username"], "msg": "Field
/// required", "input": ...}]`, as `body.username: Field required`, one per field; never the
/// `input`, which holds what was sent.
fn field_errors(detail: &Value) -> Option<String> {
    let errors: Vec<String> = detail
        .as_array()?
        .iter()
        .filter_map(|error| {
            let msg = error.get("msg")?.as_str()?;
            let loc: Vec<String> = error
                .get("loc")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|part| {
                    part.as_str()
                        .map_or_else(|| part.to_string(), str::to_owned)
                })
                .collect();
            Some(if loc.is_empty() {
                msg.to_owned()
            } else {
                format!("{}: {msg}", loc.join("."))
            })
        })
        .collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

/// The `AuthError` for a non-2xx answer, with `remedy` chosen by the source.
pub(crate) fn error_from_answer(
    endpoint: &Endpoint,
    answer: &Answer,
    error_body: ErrorBody,
    remedy: Remedy,
    hint: Option<&str>,
) -> AuthError {
    let mut detail = match (&error_body.code, &error_body.description) {
        (Some(code), Some(description)) => format!("{code} ({description})"),
        (Some(code), None) => code.clone(),
        (None, Some(description)) => description.clone(),
        (None, None) if answer.body.is_empty() => "the body is empty".to_owned(),
        (None, None) => format!("no OAuth error in the body ({})", answer.describe_body()),
    };
    if answer.status.is_redirection() {
        detail.push_str("; a token endpoint must not redirect, check the URL");
    }
    if let Some(hint) = hint {
        detail.push_str("; ");
        detail.push_str(hint);
    }
    if remedy == Remedy::Reject && !answer.status.is_redirection() {
        detail.push_str(match answer.status {
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => {
                "; the endpoint refused the request: check the endpoint URL"
            }
            _ => {
                "; the endpoint refused the request: check the client configuration (its \
                 grant type, scopes and parameters)"
            }
        });
    }
    let error = EndpointError::answered(endpoint, answer.status, error_body.code, detail);
    match remedy {
        Remedy::Retry => {
            let error = AuthError::refresh_failed(error);
            let may_retry_after = answer.status == StatusCode::TOO_MANY_REQUESTS
                || answer.status == StatusCode::SERVICE_UNAVAILABLE;
            match answer.retry_after.as_deref() {
                Some(value) if may_retry_after => match retry_after(value, SystemTime::now()) {
                    Some(delay) => error.with_retry_after(delay),
                    None => error,
                },
                _ => error,
            }
        }
        Remedy::Reauthenticate => AuthError::reauthenticate(error),
        Remedy::InvalidClient => AuthError::invalid_client(error),
        Remedy::Reject => AuthError::rejected(error),
    }
}

/// RFC 6749 section 5.2: `error` is printable ASCII without `"` and `\`. A code outside that
/// is not an OAuth code and is not repeated.
fn is_error_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// Cuts secrets out and the rest short together (so that the cut cannot leave half of a
/// secret), then flattens control characters.
fn clean(text: &str, secrets: &Redactions) -> String {
    let (redacted, cut) = secrets.redact(text, MAX_DESCRIPTION_CHARS);
    let mut cleaned: String = redacted
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if cut {
        cleaned.push('…');
    }
    cleaned.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reqwest::Url;
    use zeroize::Zeroizing;

    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint::new(Url::parse("http://127.0.0.1:9/token").unwrap())
    }

    fn answer(status: u16, retry_after: Option<&str>, body: &[u8]) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            content_type: Some("application/json".to_owned()),
            retry_after: retry_after.map(str::to_owned),
            body: Zeroizing::new(body.to_vec()),
            truncated: false,
            set_cookies: Vec::new(),
            dpop_nonce: None,
            #[cfg(feature = "dpop")]
            dpop_key: None,
        }
    }

    fn error(status: u16, retry_after: Option<&str>, body: &str) -> AuthError {
        let answer = answer(status, retry_after, body.as_bytes());
        let secrets = Redactions::new(&["SECRET-1", "SECRET-2"]);
        let error_body = ErrorBody::read(&answer.body, &secrets);
        let remedy = oauth_remedy(answer.status, error_body.code.as_deref());
        error_from_answer(&endpoint(), &answer, error_body, remedy, None)
    }

    #[test]
    fn remedies_follow_rfc_6749() {
        let remedy = |status: u16, code: Option<&str>| {
            oauth_remedy(StatusCode::from_u16(status).unwrap(), code)
        };
        assert_eq!(remedy(400, Some("invalid_grant")), Remedy::Reauthenticate);
        assert_eq!(remedy(401, Some("invalid_client")), Remedy::InvalidClient);
        assert_eq!(remedy(400, Some("invalid_client")), Remedy::InvalidClient);
        assert_eq!(remedy(401, None), Remedy::Reauthenticate);
        assert_eq!(remedy(400, Some("invalid_scope")), Remedy::Reject);
        assert_eq!(remedy(400, Some("invalid_request")), Remedy::Reject);
        assert_eq!(remedy(400, Some("unauthorized_client")), Remedy::Reject);
        assert_eq!(remedy(403, None), Remedy::Reject);
        assert_eq!(remedy(404, None), Remedy::Reject);
        assert_eq!(remedy(302, None), Remedy::Reject);
        assert_eq!(remedy(400, Some("temporarily_unavailable")), Remedy::Retry);
        for status in [408, 429, 500, 502, 503, 504] {
            assert_eq!(
                remedy(status, Some("invalid_grant")),
                Remedy::Retry,
                "{status}"
            );
        }
    }

    #[test]
    fn a_401_to_an_authenticated_client_is_invalid_client() {
        let remedy = |status: u16, code: Option<&str>| {
            authenticated_client_remedy(StatusCode::from_u16(status).unwrap(), code)
        };
        assert_eq!(remedy(401, None), Remedy::InvalidClient);
        assert_eq!(
            remedy(401, Some("unauthorized_client")),
            Remedy::InvalidClient
        );
        assert_eq!(remedy(400, Some("invalid_client")), Remedy::InvalidClient);
        assert_eq!(remedy(401, Some("invalid_grant")), Remedy::Reauthenticate);
        assert_eq!(remedy(400, Some("invalid_grant")), Remedy::Reauthenticate);
        assert_eq!(remedy(400, Some("invalid_scope")), Remedy::Reject);
        assert_eq!(remedy(401, Some("temporarily_unavailable")), Remedy::Retry);
        assert_eq!(remedy(503, None), Remedy::Retry);
    }

    #[test]
    fn invalid_client_says_to_check_the_client_and_stops_retries() {
        let error = error(401, None, r#"{"error":"invalid_client"}"#);
        assert!(
            matches!(error.kind(), AuthErrorKind::InvalidClient { .. }),
            "{error:?}"
        );
        assert!(!error.needs_reauthentication() && !error.is_retryable());
        let message = error.to_string();
        assert!(
            message.contains("check the client id and secret"),
            "{message}"
        );
        assert!(!message.contains("log in again"), "{message}");
    }

    #[test]
    fn invalid_grant_needs_reauthentication_and_says_why() {
        let error = error(
            400,
            None,
            r#"{"error":"invalid_grant","error_description":"Refresh token expired"}"#,
        );
        assert!(error.needs_reauthentication(), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains(
                "POST http://127.0.0.1:9/token answered 400 Bad Request: invalid_grant \
                 (Refresh token expired)"
            ),
            "{message}"
        );
    }

    #[test]
    fn echoed_secrets_are_cut_out() {
        let error = error(
            400,
            None,
            r#"{"error":"invalid_grant","error_description":"token SECRET-1 revoked; client SECRET-2"}"#,
        );
        let message = format!("{error} {error:?}");
        assert!(!message.contains("SECRET"), "{message}");
        assert!(message.contains("token [redacted] revoked"), "{message}");
        let error = super::tests::error(400, None, r#"{"error":"SECRET-1"}"#);
        assert!(!format!("{error} {error:?}").contains("SECRET"));
    }

    #[test]
    fn descriptions_are_shortened_and_flattened() {
        let long = "x".repeat(500);
        let body = serde_json::json!({ "error": "invalid_request", "error_description": format!("a\nb\u{7}{long}") });
        let error = error(400, None, &body.to_string());
        let message = error.to_string();
        assert!(message.contains("(a b "), "{message}");
        assert!(message.contains('…'), "{message}");
        assert!(message.len() < 400, "{message}");
    }

    #[test]
    fn a_message_field_is_a_description() {
        let body = ErrorBody::read(
            br#"{"message":"Invalid credentials"}"#,
            &Redactions::default(),
        );
        assert_eq!(body.code, None);
        assert_eq!(body.description.as_deref(), Some("Invalid credentials"));
    }

    #[test]
    fn fastapi_and_flask_refusals_are_descriptions() {
        let read = |body: &str| {
            ErrorBody::read(body.as_bytes(), &Redactions::new(&["SECRET-1"])).description
        };
        assert_eq!(
            read(r#"{"detail":"Incorrect username or password"}"#).as_deref(),
            Some("Incorrect username or password")
        );
        assert_eq!(
            read(r#"{"msg":"Token has been revoked"}"#).as_deref(),
            Some("Token has been revoked")
        );
        assert_eq!(
            read(r#"{"detail":"bad refresh token SECRET-1"}"#).as_deref(),
            Some("bad refresh token [redacted]")
        );
        // FastAPI's 422: where each field went wrong.
        let missing = r#"{"detail":[
            {"type":"missing","loc":["body","username"],"msg":"Field required","input":null},
            {"type":"missing","loc":["body","password"],"msg":"Field required","input":"SECRET-1"}
        ]}"#;
        assert_eq!(
            read(missing).as_deref(),
            Some("body.username: Field required; body.password: Field required")
        );
        assert_eq!(read(r#"{"detail":[{"x":1}]}"#), None);
    }

    #[test]
    fn codes_outside_the_rfc_charset_are_dropped() {
        for code in [r#"a"b"#, "a\\b", "é", "", "line\nbreak"] {
            let body = serde_json::json!({ "error": code }).to_string();
            assert_eq!(
                ErrorBody::read(body.as_bytes(), &Redactions::default()).code,
                None,
                "{code:?}"
            );
        }
        let body = ErrorBody::read(br#"{"error":{"code":"x"}}"#, &Redactions::default());
        assert_eq!(body, ErrorBody::default());
    }

    #[test]
    fn a_body_without_an_oauth_error_is_described() {
        let mut answer = answer(502, None, b"<html>Bad gateway</html>");
        answer.content_type = Some("text/html".to_owned());
        let error_body = ErrorBody::read(&answer.body, &Redactions::default());
        let error = error_from_answer(&endpoint(), &answer, error_body, Remedy::Retry, None);
        assert!(error.is_retryable());
        let message = error.to_string();
        assert!(message.contains("502 Bad Gateway"), "{message}");
        assert!(message.contains("content type text/html"), "{message}");
        assert!(!message.contains("html>"), "{message}");
    }

    #[test]
    fn retry_after_is_read_on_429_and_503_only() {
        let busy = error(503, Some("30"), "");
        assert_eq!(busy.retry_after(), Some(Duration::from_secs(30)));
        let limited = error(429, Some("7"), r#"{"error":"slow_down"}"#);
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
        let failed = error(500, Some("30"), "");
        assert!(failed.is_retryable());
        assert_eq!(failed.retry_after(), None);
        let garbled = error(503, Some("whenever"), "");
        assert_eq!(garbled.retry_after(), None);
    }

    #[test]
    fn the_source_of_the_error_can_be_inspected() {
        let error = error(400, None, r#"{"error":"invalid_scope"}"#);
        let AuthErrorKind::Rejected { source } = error.kind() else {
            panic!("{error:?}");
        };
        let endpoint_error = source.downcast_ref::<EndpointError>().unwrap();
        assert_eq!(endpoint_error.error_code(), Some("invalid_scope"));
        assert_eq!(endpoint_error.status(), Some(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn a_redirect_says_so() {
        let error = error(302, None, "");
        assert!(
            matches!(error.kind(), AuthErrorKind::Rejected { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("must not redirect"), "{error}");
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..20_000 {
            let body: Vec<u8> = (0..rng.usize(0..64)).map(|_| rng.u8(..)).collect();
            let status = rng.u16(200..600);
            let Ok(status) = StatusCode::from_u16(status) else {
                continue;
            };
            let mut answer = answer(200, None, &body);
            answer.status = status;
            let error_body = ErrorBody::read(&answer.body, &Redactions::new(&["", "x"]));
            let _ = oauth_remedy(status, error_body.code.as_deref());
            let _ = clean(
                &String::from_utf8_lossy(&body),
                &Redactions::new(&["", "\u{fffd}"]),
            );
            let _ = error_from_answer(&endpoint(), &answer, error_body, Remedy::Retry, None);
        }
    }
}
