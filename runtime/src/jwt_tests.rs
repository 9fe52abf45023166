// Input: whatever a token endpoint may put in an access token: any string, three dot-separated
// parts around any payload, JWT payloads whose `exp` is any JSON value.
// Output: property tests that the `exp`/`iat` reader (and `Token::build`, which calls it)
// never panics, and that an expiry it reports is one the rest of the crate can handle.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::lifetime;
use crate::{Token, TokenStore};

/// The longest lifetime a token may be given: past it the expiry counts as unknown.
const CENTURY: Duration = Duration::from_secs(3_155_760_000);

fn config() -> ProptestConfig {
    ProptestConfig {
        // Shrunk failures are printed; files of them in the source tree would be junk.
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    }
}

/// Any instant a clock may show, before the Unix epoch included.
fn any_now() -> impl Strategy<Value = SystemTime> {
    prop_oneof![
        (0..4_000_000_000_u64).prop_map(|secs| UNIX_EPOCH + Duration::from_secs(secs)),
        any::<u64>().prop_filter_map("beyond this platform's clock", |secs| {
            UNIX_EPOCH.checked_add(Duration::from_secs(secs))
        }),
        (1..u64::from(u32::MAX)).prop_map(|secs| UNIX_EPOCH - Duration::from_secs(secs)),
    ]
}

/// A header or signature: any text without a dot.
fn part() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[A-Za-z0-9_=+/!-]{0,40}"].prop_map(|text| text.replace('.', ""))
}

/// `payload` encoded as issuers do: unpadded base64url, as the spec says, or padded.
fn encoded(payload: &[u8]) -> impl Strategy<Value = String> + use<> {
    prop_oneof![
        Just(URL_SAFE_NO_PAD.encode(payload)),
        Just(URL_SAFE.encode(payload)),
    ]
}

fn jwt(header: &str, payload: &str, signature: &str) -> String {
    format!("{header}.{payload}.{signature}")
}

/// Values an `exp` claim may hold: numbers of every size and sign, numbers as strings, and
/// everything that is not a number.
fn any_exp() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from), // NaN and infinities become null
        Just(json!(f64::MAX)),
        Just(json!(f64::MIN_POSITIVE)),
        Just(json!(-0.0)),
        Just(json!(i64::MAX)),
        Just(json!(u64::MAX)),
        any::<String>().prop_map(Value::from),
        Just(json!("tomorrow")),
        Just(json!("1000")),
        Just(json!(null)),
        any::<bool>().prop_map(Value::from),
        Just(json!([1, 2])),
        Just(json!({ "exp": 1 })),
    ]
}

/// `exp` written as raw JSON text: literals far beyond what an `f64` holds, which a
/// `serde_json::Value` cannot express.
fn raw_number() -> impl Strategy<Value = String> {
    "-?[0-9]{1,400}(\\.[0-9]{1,40})?([eE][+-]?[0-9]{1,5})?"
}

/// A claim's value as JSON text: any of the above.
fn any_claim_text() -> impl Strategy<Value = String> {
    prop_oneof![raw_number(), any_exp().prop_map(|value| value.to_string())]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_string_is_read_without_panic(token in any::<String>(), now in any_now()) {
        let left = lifetime(&token, now);
        if token.matches('.').count() != 2 {
            prop_assert_eq!(left, None, "only a three-part token is a JWS");
        }
    }

    #[test]
    fn any_payload_between_two_dots_is_read_without_panic(
        header in part(),
        payload in any::<Vec<u8>>().prop_flat_map(|payload| encoded(&payload)),
        signature in part(),
        now in any_now(),
    ) {
        let token = jwt(&header, &payload, &signature);
        let left = lifetime(&token, now);
        if left.is_some() {
            let claims = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok();
            let claims: Option<Value> = claims.and_then(|json| serde_json::from_slice(&json).ok());
            let exp = claims.as_ref().and_then(|claims| claims.get("exp"));
            prop_assert!(exp.is_some_and(Value::is_number), "an expiry read from nowhere");
        }
    }

    #[test]
    fn any_undecodable_payload_means_unknown(
        header in part(),
        payload in "[^A-Za-z0-9_=-]{1,20}",
        signature in part(),
        now in any_now(),
    ) {
        prop_assert_eq!(lifetime(&jwt(&header, &payload, &signature), now), None);
    }

    /// Without `iat`, `exp` is judged by the local clock. Changed deliberately (issue 11,
    /// item 10): an `exp` already past used to be `Some(ZERO)`, "expired"; it is now unknown,
    /// since clock skew looks the same. The extra claim is never `iat`, which has its own test.
    #[test]
    fn an_integer_exp_is_the_time_left_and_a_past_or_non_number_one_is_unknown(
        exp in any_exp(),
        now_secs in 0..(1_u64 << 40),
        more_claims in any::<(String, i32)>(),
    ) {
        let (name, value) = more_claims;
        prop_assume!(name != "iat", "iat has its own test");
        let mut claims = json!({ "sub": "someone" });
        claims[name] = json!(value);
        claims["exp"] = exp.clone();
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let now = UNIX_EPOCH + Duration::from_secs(now_secs);
        let left = lifetime(&jwt("e30", &payload, "sig"), now);

        match &exp {
            // Whole seconds below 2^53 are exact in an f64, so the answer is exact too.
            Value::Number(n) if n.as_i64().is_some_and(|exp| exp.unsigned_abs() < 1 << 53) => {
                let exp = n.as_i64().unwrap_or_default();
                let expected = u64::try_from(exp)
                    .ok()
                    .filter(|exp| *exp > now_secs)
                    .map(|exp| Duration::from_secs(exp - now_secs));
                prop_assert_eq!(left, expected);
            }
            Value::Number(_) => {}
            _ => prop_assert_eq!(left, None, "a non-number exp is no expiry"),
        }
    }

    /// An issuer whose clock is hours off either way still gets its tokens' full lifetime.
    #[test]
    fn an_iat_before_exp_makes_the_lifetime_exp_minus_iat_whatever_the_clock(
        iat in -(1_i64 << 52)..(1_i64 << 52),
        lifetime_secs in 1..(1_i64 << 40),
        now in any_now(),
    ) {
        let exp = iat + lifetime_secs;
        let payload = URL_SAFE_NO_PAD.encode(json!({ "iat": iat, "exp": exp }).to_string());
        prop_assert_eq!(
            lifetime(&jwt("e30", &payload, "sig"), now),
            Some(Duration::from_secs(lifetime_secs.unsigned_abs()))
        );
    }

    /// `iat` of any JSON value never panics; one that is not a number before `exp` is ignored.
    #[test]
    fn an_iat_of_any_kind_is_read_without_panic_and_a_useless_one_is_ignored(
        iat in any_claim_text(),
        exp in any_claim_text(),
        now in any_now(),
    ) {
        let claims = format!(r#"{{"iat":{iat},"exp":{exp}}}"#);
        let left = lifetime(&jwt("e30", &URL_SAFE_NO_PAD.encode(&claims), "sig"), now);
        let Ok(claims) = serde_json::from_str::<Value>(&claims) else {
            // Leading zeros, or a number beyond f64: not JSON, so no claims at all.
            prop_assert_eq!(left, None);
            return Ok(());
        };
        let number = |name: &str| claims[name].as_f64();
        let useful = matches!((number("iat"), number("exp")), (Some(iat), Some(exp)) if iat < exp);
        if !useful {
            let without = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#));
            prop_assert_eq!(left, lifetime(&jwt("e30", &without, "sig"), now));
        }
    }

    #[test]
    fn an_exp_of_any_size_is_read_without_panic(exp in raw_number(), now in any_now()) {
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#));
        let left = lifetime(&jwt("e30", &payload, "sig"), now);
        if exp.parse::<f64>().is_ok_and(f64::is_infinite) {
            prop_assert_eq!(left, None, "an exp beyond f64 is no expiry");
        }
    }

    /// The builder turns the claim into a deadline on the monotonic clock: that must never
    /// overflow, and must never be further away than any lifetime the crate accepts.
    #[test]
    fn a_token_built_from_any_jwt_has_a_sane_expiry(
        exp in any_claim_text(),
        iat in proptest::option::of(any_claim_text()),
    ) {
        let iat = iat.map_or_else(String::new, |iat| format!(r#""iat":{iat},"#));
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{{iat}"exp":{exp}}}"#));
        let token = Token::builder(jwt("e30", &payload, "sig"))
            .build()
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        if let Some(lifetime) = token.lifetime() {
            prop_assert!(lifetime <= CENTURY, "exp {exp} gave a lifetime of {lifetime:?}");
        }
    }
}

/// Far-away deadlines the monotonic clock can hold overflowed the wall clock when the token
/// was saved: `FileStore::save` panicked on this one.
#[tokio::test]
async fn a_token_whose_exp_is_just_past_the_clock_limit_can_be_saved() {
    // i64::MAX seconds plus some thirty years: beyond the wall clock, within the monotonic one
    // once today's date is subtracted.
    let exp = 9_223_372_037_854_775_807_u64;
    let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#));
    let token = Token::builder(jwt("e30", &payload, "sig")).build().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = crate::FileStore::new(dir.path().join("token.json"));
    store.save(None, &token).await.unwrap();
    assert_eq!(token.expires_at(), None, "so far away is no known expiry");
    let back = store.load().await.unwrap().expect("the token was saved");
    assert_eq!(back.expires_at(), None);
}
