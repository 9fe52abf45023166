// Input: an access token that may be a JWT, and when it was received (wall clock).
// Output: how long it lives from its receipt, read from its `exp` and `iat` claims without
// verifying the signature.
//
// The claims only schedule the next refresh; the token is never trusted because of them, so
// skipping verification is safe here. Anything that is not a well-formed JWT with a numeric
// `exp` yields `None` (expiry unknown), never a panic.
//
// `exp` and `iat` are read on the issuer's clock, which need not agree with ours. So the
// lifetime is `exp - iat` when the token says when it was issued: counted from our receipt it
// holds whatever the two clocks say (a few network milliseconds late at worst). Only without
// `iat` is `exp` compared with the local clock, and then an `exp` already past means "unknown",
// not "expired": an issuer whose clock is behind ours would otherwise have every token
// refused as dead on arrival, though the API accepts them. The server's 401 decides instead.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How long a JWT lives from `received` (when it was received, on the local wall clock).
///
/// `exp - iat` when the token has a numeric `iat` before its `exp`, whatever the local clock
/// says; otherwise the time from `received` to `exp`. `None` when the token is not a JWT, has
/// no usable `exp`, has no `iat` and an `exp` that is not after `received` (skew or expiry:
/// we cannot tell, so the server's 401 decides), or when the lifetime cannot be represented.
pub(crate) fn lifetime(token: &str, received: SystemTime) -> Option<Duration> {
    let claims = claims(token)?;
    let exp = number(&claims, "exp")?;
    let since_issued = match number(&claims, "iat").filter(|iat| *iat < exp) {
        Some(iat) => exp - iat,
        None => exp - received.duration_since(UNIX_EPOCH).ok()?.as_secs_f64(),
    };
    if since_issued <= 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(since_issued).ok()
}

/// The claims of a compact JWS, if its payload is JSON.
fn claims(token: &str) -> Option<serde_json::Value> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None; // five parts is a JWE, whose payload is encrypted
    }
    // Some issuers pad base64url; the spec says not to, so accept both.
    let json = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&json).ok()
}

/// A finite numeric claim (seconds since the Unix epoch for `exp` and `iat`).
fn number(claims: &serde_json::Value, name: &str) -> Option<f64> {
    claims.get(name)?.as_f64().filter(|value| value.is_finite())
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
            lifetime(&jwt(r#"{"sub":"a","exp":1000}"#), at(400)),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            lifetime(&jwt(r#"{"exp":1000.5}"#), at(1000)),
            Some(Duration::from_millis(500))
        );
    }

    /// Changed deliberately (issue 11, item 10): this was `Some(Duration::ZERO)`, "expired",
    /// which refused every token of an issuer whose clock is far enough behind ours.
    #[test]
    fn a_past_exp_without_iat_is_unknown_not_expired() {
        for exp in ["10", "400", "399.5"] {
            let token = jwt(&format!(r#"{{"exp":{exp}}}"#));
            assert_eq!(lifetime(&token, at(400)), None, "exp {exp}");
        }
    }

    #[test]
    fn with_iat_the_lifetime_is_exp_minus_iat_whatever_the_local_clock() {
        let token = jwt(r#"{"iat":1000,"exp":1300}"#);
        for now in [0, 700, 1000, 1240, 1600, 1_000_000] {
            assert_eq!(
                lifetime(&token, at(now)),
                Some(Duration::from_secs(300)),
                "local clock at {now}"
            );
        }
        assert_eq!(
            lifetime(&jwt(r#"{"iat":1000.25,"exp":1000.75}"#), at(5000)),
            Some(Duration::from_millis(500))
        );
    }

    #[test]
    fn an_iat_that_is_not_before_exp_or_not_a_number_is_ignored() {
        for iat in ["1300", "1400", r#""1000""#, "null", "[1000]"] {
            let token = jwt(&format!(r#"{{"iat":{iat},"exp":1300}}"#));
            assert_eq!(
                lifetime(&token, at(1200)),
                Some(Duration::from_secs(100)),
                "iat {iat}: judged by the local clock"
            );
            assert_eq!(lifetime(&token, at(1300)), None, "iat {iat}: past exp");
        }
    }

    #[test]
    fn an_absurd_exp_minus_iat_is_unknown_not_a_panic() {
        assert_eq!(
            lifetime(&jwt(r#"{"iat":-1.7e308,"exp":1.7e308}"#), at(0)),
            None
        );
        assert_eq!(lifetime(&jwt(r#"{"iat":0,"exp":1e300}"#), at(0)), None);
    }

    #[test]
    fn padded_payload_is_accepted() {
        let padded = format!(
            "e30.{}.sig",
            base64::engine::general_purpose::URL_SAFE.encode(r#"{"exp":10001}"#)
        );
        assert!(padded.contains('='), "test needs a padded payload");
        assert_eq!(lifetime(&padded, at(10_000)), Some(Duration::from_secs(1)));
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
            assert_eq!(lifetime(&token, at(0)), None, "token {token}");
        }
    }

    #[test]
    fn absurdly_far_exp_is_unknown_not_a_panic() {
        assert_eq!(lifetime(&jwt(r#"{"exp":1e300}"#), at(0)), None);
    }
}
