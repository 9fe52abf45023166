// Input: an access token that may be a JWT.
// Output: its `exp` claim as a time left from now, read without verifying the signature.
//
// The claim only schedules the next refresh; the token is never trusted because of it, so
// skipping verification is safe here. Anything that is not a well-formed JWT with a numeric
// `exp` yields `None` (expiry unknown), never a panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// When a JWT's `exp` claim says it expires, measured from `now`.
///
/// `Some(Duration::ZERO)` for a token already expired; `None` when the token is not a JWT,
/// has no usable `exp`, or the claim is so far away that it cannot be represented.
pub(crate) fn time_left(token: &str, now: SystemTime) -> Option<Duration> {
    let exp = exp_claim(token)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
    let left = exp - now;
    if left <= 0.0 {
        return Some(Duration::ZERO);
    }
    Duration::try_from_secs_f64(left).ok()
}

/// The `exp` claim (seconds since the Unix epoch) of a compact JWS, if it has a finite one.
fn exp_claim(token: &str) -> Option<f64> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None; // five parts is a JWE, whose payload is encrypted
    }
    // Some issuers pad base64url; the spec says not to, so accept both.
    let json = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&json).ok()?;
    claims.get("exp")?.as_f64().filter(|exp| exp.is_finite())
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod hostile_input_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn reads_integer_and_float_exp() {
        assert_eq!(
            time_left(&jwt(r#"{"sub":"a","exp":1000}"#), at(400)),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            time_left(&jwt(r#"{"exp":1000.5}"#), at(1000)),
            Some(Duration::from_millis(500))
        );
    }

    #[test]
    fn past_exp_means_expired_now() {
        assert_eq!(
            time_left(&jwt(r#"{"exp":10}"#), at(400)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn padded_payload_is_accepted() {
        let padded = format!(
            "e30.{}.sig",
            base64::engine::general_purpose::URL_SAFE.encode(r#"{"exp":10001}"#)
        );
        assert!(padded.contains('='), "test needs a padded payload");
        assert_eq!(time_left(&padded, at(10_000)), Some(Duration::from_secs(1)));
    }

    #[test]
    fn anything_else_is_unknown() {
        for token in [
            "opaque-token".to_owned(),
            "a.b".to_owned(),
            "a.b.c.d.e".to_owned(),
            "e30.!!!.sig".to_owned(),
            jwt("not json"),
            jwt(r#"{"sub":"no exp"}"#),
            jwt(r#"{"exp":"1000"}"#),
            jwt(r#"{"exp":null}"#),
            jwt("[1,2,3]"),
            jwt(r#"{"exp":1e400}"#),
        ] {
            assert_eq!(time_left(&token, at(0)), None, "token {token}");
        }
    }

    #[test]
    fn absurdly_far_exp_is_unknown_not_a_panic() {
        assert_eq!(time_left(&jwt(r#"{"exp":1e300}"#), at(0)), None);
    }
}
