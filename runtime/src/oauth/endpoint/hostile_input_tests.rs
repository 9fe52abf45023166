// Input: whatever a token endpoint may answer with a 2xx status: any bytes under any content
// type, cut short or not; any JSON value under each field of a token response; field names
// and JSON Pointers of any shape.
// Output: property tests that the response parser never panics, that it gives either a token
// whose expiry is sane or an `InvalidToken` error, and that no error quotes the access token.

use std::time::Duration;

use http::StatusCode;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

use super::exchange::Answer;
use super::response_fields::TokenResponseFields;
use super::token_response::{expires_in, token_from_answer};
use crate::{AuthError, AuthErrorKind, Token};

const ENDPOINT: &str = "http://127.0.0.1:9/token";

/// Every access token generated here carries it, so one substring check finds a leak.
const MARKER: &str = "SECRET";

/// The longest lifetime the crate gives a token: past it the expiry counts as unknown.
const CENTURY: Duration = Duration::from_secs(3_155_760_000);

fn config() -> ProptestConfig {
    ProptestConfig {
        // Shrunk failures are printed; files of them in the source tree would be junk.
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    }
}

fn answer(status: StatusCode, content_type: Option<String>, body: Vec<u8>) -> Answer {
    Answer {
        status,
        content_type,
        retry_after: None,
        body: Zeroizing::new(body),
        truncated: false,
        set_cookies: Vec::new(),
        dpop_nonce: None,
        #[cfg(feature = "dpop")]
        dpop_key: None,
    }
}

fn parse(body: Vec<u8>) -> Result<Token, AuthError> {
    let answer = answer(StatusCode::OK, Some("application/json".to_owned()), body);
    token_from_answer(ENDPOINT, &answer, &TokenResponseFields::default())
}

// ----- strategies -----

/// An access token a header can carry, marked, and without dots so that it is never read as
/// a JWT (its expiry then comes from `expires_in` alone).
fn secret_token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_~+/-]{16,40}".prop_map(|tail| format!("{MARKER}-{tail}"))
}

fn status() -> impl Strategy<Value = StatusCode> {
    (200_u16..300).prop_map(|code| StatusCode::from_u16(code).unwrap_or(StatusCode::OK))
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json".to_owned())),
        Just(Some("text/html".to_owned())),
        "[a-z]{1,10}/[a-z0-9.+-]{1,20}".prop_map(Some),
    ]
}

/// Numbers of every size and sign, strings that hold numbers or almost do, and the rest.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from), // NaN and infinities become null, as in JSON
        prop_oneof![
            Just(f64::MAX),
            Just(f64::MIN),
            Just(f64::MIN_POSITIVE),
            Just(-0.0),
            Just(1e300),
            Just(-1e300),
            Just(1e30),
            Just(3599.5),
        ]
        .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        "[ +-]{0,2}[0-9]{0,30}(\\.[0-9]{0,10})?([eE][+-]?[0-9]{1,4})? ?".prop_map(Value::from),
        prop_oneof![
            Just("NaN"),
            Just("inf"),
            Just("-inf"),
            Just("infinity"),
            Just("1e400"),
            Just("-1e400"),
            Just("0x10"),
            Just("3600"),
            Just("soon"),
            Just(""),
        ]
        .prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![
            Just("access_token"),
            Just("expires_in"),
            Just("refresh_token"),
            Just("token_type"),
            Just("scope"),
            Just("exp"),
        ]
        .prop_map(str::to_owned),
        "[a-z_]{1,12}",
        any::<String>(),
    ]
}

/// Any JSON value, nested up to four levels.
fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// A field that may be absent (`None`) or hold anything.
fn any_field() -> impl Strategy<Value = Option<Value>> {
    prop::option::weighted(0.8, any_json())
}

/// Bodies that are not token responses: raw bytes, JSON of any shape, nesting deeper than
/// any parser's recursion limit.
fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        any_json().prop_map(|value| value.to_string().into_bytes()),
        (1_usize..20_000)
            .prop_map(|depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()),
        (1_usize..20_000).prop_map(|depth| "{\"a\":".repeat(depth).into_bytes()),
    ]
}

/// One way a body gets damaged on its way.
#[derive(Debug, Clone, Copy)]
enum Damage {
    CutAt(Index),
    Replace(Index, u8),
    Insert(Index, u8),
    Prefix(u8),
    Wrap,
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<Index>().prop_map(Damage::CutAt),
        (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Damage::Replace(at, byte)),
        (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Damage::Insert(at, byte)),
        any::<u8>().prop_map(Damage::Prefix),
        Just(Damage::Wrap),
    ]
}

fn damaged(mut body: Vec<u8>, damage: Damage) -> Vec<u8> {
    match damage {
        Damage::CutAt(at) => body.truncate(at.index(body.len() + 1)),
        Damage::Replace(at, byte) => {
            let at = at.index(body.len());
            body[at] = byte;
        }
        Damage::Insert(at, byte) => body.insert(at.index(body.len() + 1), byte),
        Damage::Prefix(byte) => body.insert(0, byte),
        Damage::Wrap => {
            body.insert(0, b'[');
            body.push(b']');
        }
    }
    body
}

// ----- what every outcome must satisfy -----

/// A deadline at or after receipt, and no further than any lifetime the crate accepts.
fn check_expiry(token: &Token) -> Result<(), TestCaseError> {
    if let Some(expires_at) = token.expires_at() {
        prop_assert!(expires_at >= token.received_at(), "expires before receipt");
        prop_assert!(expires_at - token.received_at() <= CENTURY, "{token:?}");
    }
    Ok(())
}

/// `InvalidToken`, naming the endpoint, and quoting no access token in `Display` or `Debug`:
/// neither the marker nor `secret`, the random part of the one sent (which damage to the
/// marker would not hide).
fn check_error(error: &AuthError, secret: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        matches!(error.kind(), AuthErrorKind::InvalidToken { .. }),
        "{error:?}"
    );
    let shown = format!("{error} {error:?}");
    prop_assert!(shown.contains(ENDPOINT), "{shown}");
    prop_assert!(!shown.contains(MARKER), "the access token leaked: {shown}");
    prop_assert!(
        secret.is_empty() || !shown.contains(secret),
        "the access token leaked: {shown}"
    );
    Ok(())
}

fn check(outcome: &Result<Token, AuthError>, secret: &str) -> Result<(), TestCaseError> {
    match outcome {
        Ok(token) => check_expiry(token),
        Err(error) => check_error(error, secret),
    }
}

/// The random part of a token from `secret_token`.
fn tail(token: &str) -> &str {
    token.strip_prefix(MARKER).unwrap_or(token)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_body_gives_a_token_or_an_invalid_token_error(
        status in status(),
        content_type in content_type(),
        body in any_body(),
        truncated in any::<bool>(),
    ) {
        let mut answer = answer(status, content_type, body);
        answer.truncated = truncated;
        let outcome = token_from_answer(ENDPOINT, &answer, &TokenResponseFields::default());
        check(&outcome, "")?;
        if truncated {
            let error = outcome.err().map(|error| error.to_string()).unwrap_or_default();
            prop_assert!(error.contains("larger than"), "a cut body was read: {error}");
        }
    }

    #[test]
    fn a_damaged_token_response_never_quotes_its_access_token(
        access_token in secret_token(),
        expires_in in any_field(),
        refresh_token in any_field(),
        damage in damage(),
    ) {
        let mut body = json!({ "access_token": access_token, "token_type": "Bearer" });
        body["expires_in"] = expires_in.unwrap_or(Value::Null);
        body["refresh_token"] = refresh_token.unwrap_or(Value::Null);
        check(&parse(damaged(body.to_string().into_bytes(), damage)), tail(&access_token))?;
    }

    #[test]
    fn any_values_under_the_token_fields_give_a_sane_token_or_a_clear_error(
        access_token in prop_oneof![
            3 => secret_token().prop_map(Value::from),
            1 => any_json(),
        ],
        expires_in_value in any_field(),
        refresh_token in any_field(),
        token_type in any_field(),
        scope in any_field(),
        extra in any_json(),
    ) {
        let mut body = Map::new();
        body.insert("extra".to_owned(), extra);
        for (name, value) in [
            ("access_token", Some(access_token.clone())),
            ("expires_in", expires_in_value.clone()),
            ("refresh_token", refresh_token),
            ("token_type", token_type.clone()),
            ("scope", scope),
        ] {
            if let Some(value) = value {
                body.insert(name.to_owned(), value);
            }
        }
        let sent = access_token.as_str().unwrap_or_default();
        let outcome = parse(Value::Object(body).to_string().into_bytes());
        check(&outcome, tail(sent))?;

        match &outcome {
            Ok(token) => {
                prop_assert_eq!(token.access_token().expose_secret(), sent);
                let lifetime = expires_in_value.as_ref().and_then(expires_in);
                if lifetime.is_some() || sent.starts_with(MARKER) {
                    prop_assert_eq!(token.lifetime(), lifetime);
                }
            }
            Err(error) if sent.is_empty() => {
                prop_assert!(error.to_string().contains("`access_token`"), "{error}");
            }
            // A marked token is sendable: only a token type can make such an answer unusable.
            Err(error) => prop_assert!(
                !sent.starts_with(MARKER) || token_type.as_ref().is_some_and(Value::is_string),
                "{error}"
            ),
        }
    }

    #[test]
    fn expires_in_is_the_number_it_holds_within_a_century(
        seconds in prop_oneof![
            any::<f64>(),
            -1e4..1e12_f64,
            // Every magnitude up to 2^70, so both sides of the century and of u64::MAX.
            (0.0..70.0_f64).prop_map(f64::exp2),
        ],
    ) {
        let expected = if seconds.is_nan() || seconds > CENTURY.as_secs_f64() {
            None
        } else if seconds <= 0.0 {
            Some(Duration::ZERO)
        } else {
            Some(Duration::from_secs_f64(seconds))
        };
        if seconds.is_finite() {
            prop_assert_eq!(expires_in(&json!(seconds)), expected);
        }
        // Rust prints every f64 so that it parses back to itself: "inf", "NaN" included.
        prop_assert_eq!(expires_in(&json!(seconds.to_string())), expected);
        prop_assert_eq!(expires_in(&json!(format!(" {seconds} "))), expected);
    }

    #[test]
    fn expires_in_of_any_value_is_unknown_or_within_a_century(value in any_json()) {
        if let Some(lifetime) = expires_in(&value) {
            prop_assert!(lifetime <= CENTURY, "{value} gave {lifetime:?}");
        }
    }

    #[test]
    fn any_field_names_and_pointers_are_looked_up_without_panic(
        names in prop::collection::vec(
            prop_oneof![key(), "(/([a-z_0-9-]|~0|~1|~|~2){0,6}){1,4}", any::<String>()],
            5,
        ),
        body in any_json(),
    ) {
        let fields = TokenResponseFields::default()
            .access_token(names[0].clone())
            .expires_in(names[1].clone())
            .refresh_token(names[2].clone())
            .token_type(names[3].clone())
            .scope(names[4].clone());
        let answer = answer(StatusCode::OK, None, body.to_string().into_bytes());
        check(&token_from_answer(ENDPOINT, &answer, &fields), "")?;
    }
}
