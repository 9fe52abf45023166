// Input: a 2xx answer from a token or login endpoint, and the names of its fields.
// Output: a `Token`, or `AuthErrorKind::InvalidToken` that says what is wrong with the answer
// (naming the endpoint, the status and the content type, never echoing the body).
//
// Lenient where servers differ (`expires_in` as a number or a string, or `expires_at` as an
// epoch or RFC 3339 time, `token_type` in any case, extra fields), strict where a wrong guess would hurt (no usable access token).

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::exchange::{Answer, MAX_BODY};
use super::expires_at::lifetime_until;
use super::response_fields::{TokenResponseFields, take};
use crate::token::MAX_LIFETIME;
use crate::{AuthError, AuthErrorKind, Token, TokenBuilder};

/// Builds the token from a 2xx answer of `endpoint` (a printable name).
pub(crate) fn token_from_answer(
    endpoint: &str,
    answer: &Answer,
    fields: &TokenResponseFields,
) -> Result<Token, AuthError> {
    let invalid = |what: String| {
        AuthError::invalid_token(format!(
            "POST {endpoint} answered {}: {what}",
            answer.status
        ))
    };
    #[cfg_attr(not(feature = "dpop"), allow(unused_mut))]
    let mut token = token_builder(answer, fields, &invalid)?;
    #[cfg(feature = "dpop")]
    if let Some(key) = &answer.dpop_key {
        token = token.dpop_key(key.clone());
    }
    token
        .build()
        .map_err(|error| invalid_token_error(error, &invalid))
}

/// The token builder of a 2xx answer, every field read.
fn token_builder(
    answer: &Answer,
    fields: &TokenResponseFields,
    invalid: &dyn Fn(String) -> AuthError,
) -> Result<TokenBuilder, AuthError> {
    let mut body = parse_json(answer)
        .map_err(|what| invalid(format!("{what}; expected a JSON token response")))?;
    if !body.is_object() {
        return Err(invalid(format!(
            "the JSON body is {} instead of an object; expected a JSON token response",
            kind_of(&body)
        )));
    }

    let access_token = match take(&mut body, &fields.access_token) {
        Some(Value::String(token)) if !token.is_empty() => token,
        other => {
            let problem = match other {
                None | Some(Value::Null) => "is missing".to_owned(),
                Some(Value::String(_)) => "is empty".to_owned(),
                Some(value) => format!("is {} instead of a string", kind_of(&value)),
            };
            return Err(invalid(format!(
                "the access token field `{}` {problem}",
                fields.access_token
            )));
        }
    };

    let mut token = Token::builder(access_token);
    if let Some(Value::String(token_type)) = take(&mut body, &fields.token_type) {
        token = token.token_type(token_type);
    }
    // `expires_in` first: it is relative, so immune to a skew between the server's clock and
    // ours. `expires_at` becomes a lifetime now, to be counted on the monotonic clock.
    let lifetime = take(&mut body, &fields.expires_in)
        .as_ref()
        .and_then(expires_in)
        .or_else(|| {
            take(&mut body, &fields.expires_at)
                .as_ref()
                .and_then(|at| lifetime_until(at, SystemTime::now()))
        });
    if let Some(lifetime) = lifetime {
        token = token.expires_in(lifetime);
    }
    // An empty refresh token is no refresh token: the cache then keeps the previous one.
    if let Some(Value::String(refresh)) = take(&mut body, &fields.refresh_token)
        && !refresh.is_empty()
    {
        token = token.refresh_token(refresh);
    } else if let Some(refresh) = fields
        .refresh_token_cookie
        .as_deref()
        .and_then(|name| cookie(&answer.set_cookies, name))
    {
        token = token.refresh_token(refresh);
    }
    if let Some(Value::String(scope)) = take(&mut body, &fields.scope) {
        token = token.scope(scope);
    }
    Ok(token)
}

/// A build error of the token, worded as the endpoint's answer.
fn invalid_token_error(error: AuthError, invalid: &dyn Fn(String) -> AuthError) -> AuthError {
    match error.kind() {
        AuthErrorKind::InvalidToken { reason } => invalid(reason.clone()),
        _ => error,
    }
}

/// The body as JSON, or a phrase that says why it is not (describing the body, never
/// quoting it).
fn parse_json(answer: &Answer) -> Result<Value, String> {
    let facts = answer.describe_body();
    if answer.truncated {
        return Err(format!(
            "the body is larger than {} KiB ({facts})",
            MAX_BODY / 1024
        ));
    }
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Err(format!("the body is empty ({facts})"));
    }
    serde_json::from_slice(&answer.body).map_err(|error| {
        if error.is_eof() {
            format!("the body is truncated JSON ({facts})")
        } else {
            // Line and column only: serde_json's message does not quote the input, but say
            // less rather than rely on that.
            format!(
                "the body is not JSON ({facts}; invalid at line {}, column {})",
                error.line(),
                error.column()
            )
        }
    })
}

/// The value of the cookie `name` that `set_cookies` set, if not empty: the `name=value`
/// pair before the first `;` of a `Set-Cookie` (RFC 6265 section 5.2), without the quotes a
/// value may have. The attributes (path, expiry...) do not matter to a client that sends the
/// cookie only to the refresh URL.
fn cookie(set_cookies: &[http::HeaderValue], name: &str) -> Option<String> {
    // The last one for `name` decides: an API that clears a cookie and sets it again means
    // the new value.
    let value = set_cookies.iter().rev().find_map(|header| {
        let pair = header.to_str().ok()?.split(';').next()?;
        let (cookie_name, value) = pair.split_once('=')?;
        (cookie_name.trim() == name).then_some(value.trim())
    })?;
    let value = value
        .strip_prefix('"')
        .and_then(|value| value.strip_suffix('"'))
        .unwrap_or(value);
    (!value.is_empty()).then(|| value.to_owned())
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `expires_in` as servers send it: a JSON number (integer or float) or a string holding
/// one. Negative means already expired; absurdly large, infinite or unreadable means unknown.
pub(crate) fn expires_in(value: &Value) -> Option<Duration> {
    let seconds = match value {
        Value::Number(number) => number.as_f64()?,
        Value::String(text) => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if seconds.is_nan() || seconds > MAX_LIFETIME.as_secs_f64() {
        return None;
    }
    if seconds <= 0.0 {
        return Some(Duration::ZERO);
    }
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use serde_json::json;
    use zeroize::Zeroizing;

    use super::*;

    const ENDPOINT: &str = "http://127.0.0.1:9/token";

    fn answer(content_type: Option<&str>, body: &[u8]) -> Answer {
        Answer {
            status: StatusCode::OK,
            content_type: content_type.map(str::to_owned),
            retry_after: None,
            body: Zeroizing::new(body.to_vec()),
            truncated: false,
            set_cookies: Vec::new(),
            dpop_nonce: None,
            #[cfg(feature = "dpop")]
            dpop_key: None,
        }
    }

    fn parse(body: &Value) -> Result<Token, AuthError> {
        let body = serde_json::to_vec(body).unwrap();
        token_from_answer(
            ENDPOINT,
            &answer(Some("application/json"), &body),
            &TokenResponseFields::default(),
        )
    }

    fn reason(error: &AuthError) -> String {
        match error.kind() {
            AuthErrorKind::InvalidToken { reason } => reason.clone(),
            other => panic!("expected InvalidToken, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_response_becomes_a_token() {
        let token = parse(&json!({
            "access_token": "at-SECRET",
            "token_type": "bearer",
            "expires_in": 3600,
            "refresh_token": "rt-SECRET",
            "scope": "read write",
            "id_token": "ignored",
            "extra": {"nested": [1, 2]},
        }))
        .unwrap();
        assert_eq!(token.access_token().expose_secret(), "at-SECRET");
        assert_eq!(token.token_type(), "Bearer");
        assert_eq!(token.lifetime(), Some(Duration::from_secs(3600)));
        assert_eq!(token.refresh_token().unwrap().expose_secret(), "rt-SECRET");
        assert_eq!(token.scope(), Some("read write"));
    }

    #[test]
    fn a_minimal_response_has_no_expiry_and_no_refresh_token() {
        let token = parse(&json!({ "access_token": "at" })).unwrap();
        assert_eq!(token.token_type(), "Bearer");
        assert_eq!(token.expires_at(), None);
        assert!(token.refresh_token().is_none());
        let token = parse(&json!({ "access_token": "at", "refresh_token": "" })).unwrap();
        assert!(token.refresh_token().is_none(), "empty means absent");
        let token = parse(&json!({ "access_token": "at", "token_type": null })).unwrap();
        assert_eq!(token.token_type(), "Bearer");
    }

    #[test]
    fn expires_in_is_read_leniently() {
        let secs = |s: u64| Some(Duration::from_secs(s));
        assert_eq!(expires_in(&json!(3600)), secs(3600));
        assert_eq!(expires_in(&json!(3600.0)), secs(3600));
        assert_eq!(expires_in(&json!(1.5)), Some(Duration::from_millis(1500)));
        assert_eq!(expires_in(&json!("3600")), secs(3600));
        assert_eq!(expires_in(&json!(" 60 ")), secs(60));
        assert_eq!(expires_in(&json!("1e3")), secs(1000));
        assert_eq!(expires_in(&json!(-5)), secs(0), "negative: already expired");
        assert_eq!(expires_in(&json!("-5")), secs(0));
        assert_eq!(expires_in(&json!(0)), secs(0));
        assert_eq!(expires_in(&json!(u64::MAX)), None, "absurd: unknown");
        assert_eq!(expires_in(&json!(1e300)), None);
        assert_eq!(expires_in(&json!("inf")), None);
        assert_eq!(expires_in(&json!("NaN")), None);
        assert_eq!(expires_in(&json!("-inf")), secs(0));
        assert_eq!(expires_in(&json!("soon")), None);
        assert_eq!(expires_in(&json!("")), None);
        assert_eq!(expires_in(&json!(true)), None);
        assert_eq!(expires_in(&json!(null)), None);
        assert_eq!(expires_in(&json!([60])), None);
    }

    #[tokio::test(start_paused = true)]
    async fn expires_in_as_a_string_sets_the_lifetime() {
        let token = parse(&json!({ "access_token": "at", "expires_in": "120" })).unwrap();
        assert_eq!(token.lifetime(), Some(Duration::from_secs(120)));
    }

    #[test]
    fn a_missing_or_unusable_access_token_is_named() {
        for (body, problem) in [
            (json!({ "token": "x" }), "is missing"),
            (json!({ "access_token": null }), "is missing"),
            (json!({ "access_token": "" }), "is empty"),
            (
                json!({ "access_token": 42 }),
                "is a number instead of a string",
            ),
            (
                json!({ "access_token": ["x"] }),
                "is an array instead of a string",
            ),
        ] {
            let reason = reason(&parse(&body).unwrap_err());
            assert!(reason.contains(ENDPOINT), "{reason}");
            assert!(reason.contains("200 OK"), "{reason}");
            assert!(reason.contains("`access_token`"), "{reason}");
            assert!(reason.contains(problem), "{reason}");
        }
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_described_not_echoed() {
        let html = b"<html><body>SECRET login page</body></html>";
        for (content_type, body, expected) in [
            (Some("text/html"), &html[..], "not JSON"),
            (None, b"", "empty"),
            (Some("application/json"), b"  \n", "empty"),
            (
                Some("application/json"),
                br#"{"access_token": "SECRET"#,
                "truncated",
            ),
            (
                Some("application/json"),
                br#"["SECRET"]"#,
                "an array instead of an object",
            ),
            (Some("application/json"), b"\xff\xfe", "not JSON"),
        ] {
            let error = token_from_answer(
                ENDPOINT,
                &answer(content_type, body),
                &TokenResponseFields::default(),
            )
            .unwrap_err();
            let reason = reason(&error);
            assert!(reason.contains(expected), "{reason}");
            assert!(reason.contains(ENDPOINT), "{reason}");
            assert!(reason.contains("200 OK"), "{reason}");
            assert!(!reason.contains("SECRET"), "{reason}");
        }
        let reason = reason(
            &token_from_answer(
                ENDPOINT,
                &answer(Some("text/html"), html),
                &TokenResponseFields::default(),
            )
            .unwrap_err(),
        );
        assert!(reason.contains("content type text/html"), "{reason}");
    }

    #[test]
    fn a_truncated_read_is_reported_as_too_large() {
        let mut too_large = answer(Some("application/json"), b"{");
        too_large.truncated = true;
        let reason = reason(
            &token_from_answer(ENDPOINT, &too_large, &TokenResponseFields::default()).unwrap_err(),
        );
        assert!(reason.contains("larger than 1024 KiB"), "{reason}");
    }

    #[test]
    fn a_bad_token_type_names_the_endpoint() {
        let reason = reason(
            &parse(&json!({ "access_token": "at", "token_type": "two words" })).unwrap_err(),
        );
        assert!(reason.contains(ENDPOINT), "{reason}");
        assert!(reason.contains("authentication scheme"), "{reason}");
    }

    #[tokio::test(start_paused = true)]
    async fn custom_names_and_json_pointers() {
        let fields = TokenResponseFields::default()
            .access_token("/data/token")
            .refresh_token("refreshToken")
            .expires_in("ttl")
            .token_type("kind")
            .scope("/data/scopes");
        let body = serde_json::to_vec(&json!({
            "data": { "token": "at", "scopes": "a b" },
            "refreshToken": "rt",
            "ttl": "90",
            "kind": "BEARER",
            "access_token": "not this one",
        }))
        .unwrap();
        let token =
            token_from_answer(ENDPOINT, &answer(Some("application/json"), &body), &fields).unwrap();
        assert_eq!(token.access_token().expose_secret(), "at");
        assert_eq!(token.refresh_token().unwrap().expose_secret(), "rt");
        assert_eq!(token.lifetime(), Some(Duration::from_secs(90)));
        assert_eq!(token.token_type(), "Bearer");
        assert_eq!(token.scope(), Some("a b"));
        let reason = reason(&parse_with(&fields, &json!({ "data": "flat" })).unwrap_err());
        assert!(reason.contains("`/data/token` is missing"), "{reason}");
    }

    fn parse_with(fields: &TokenResponseFields, body: &Value) -> Result<Token, AuthError> {
        let body = serde_json::to_vec(body).unwrap();
        token_from_answer(ENDPOINT, &answer(Some("application/json"), &body), fields)
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = fastrand::Rng::with_seed(11);
        let pieces: [&[u8]; 14] = [
            b"{",
            b"}",
            b"[",
            b"]",
            b"\"access_token\"",
            b"\"expires_in\"",
            b":",
            b",",
            b"\"x\"",
            b"-1e999",
            b"1e308",
            b"null",
            b"\xff",
            b"\"\\u",
        ];
        for _ in 0..20_000 {
            let mut body = Vec::new();
            for _ in 0..rng.usize(0..12) {
                body.extend_from_slice(pieces[rng.usize(0..pieces.len())]);
            }
            let _ = token_from_answer(
                ENDPOINT,
                &answer(None, &body),
                &TokenResponseFields::default(),
            );
        }
        for value in [
            json!(f64::MAX),
            json!(f64::MIN_POSITIVE),
            json!(i64::MIN),
            json!("1e309"),
        ] {
            let _ = expires_in(&value);
        }
    }
}

#[cfg(test)]
#[path = "token_response_expiry_tests.rs"]
mod expiry_tests;
