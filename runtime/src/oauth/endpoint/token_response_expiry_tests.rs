// The lifetime of a token read from a 2xx answer: `expires_in`, a wall-clock `expires_at` (epoch
// seconds, epoch milliseconds or RFC 3339), or neither (the JWT's own `exp` then decides).
// Wall-clock values are computed from `SystemTime::now()` and compared with a tolerance: the
// clock ticks between writing the answer and reading it, and no test sleeps.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::*;

const ENDPOINT: &str = "http://127.0.0.1:9/login";

/// Seconds since the Unix epoch, now.
fn epoch_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn read_with(fields: &TokenResponseFields, body: &Value) -> Token {
    let answer = Answer::new(
        StatusCode::OK,
        &http::HeaderMap::new(),
        Zeroizing::new(serde_json::to_vec(body).unwrap()),
        false,
    );
    token_from_answer(ENDPOINT, &answer, fields).unwrap()
}

fn read(body: &Value) -> Token {
    read_with(&TokenResponseFields::default(), body)
}

/// `lifetime` is `expected` give or take the couple of seconds the wall clock may tick.
fn assert_about(lifetime: Option<Duration>, expected: u64) {
    let lifetime = lifetime.expect("a known lifetime");
    let expected = Duration::from_secs(expected);
    assert!(
        lifetime <= expected + Duration::from_secs(1)
            && lifetime + Duration::from_secs(2) >= expected,
        "{lifetime:?} is not about {expected:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn expires_at_in_epoch_seconds_sets_the_lifetime() {
    let token = read(&json!({ "access_token": "at", "expires_at": epoch_now() + 600 }));
    assert_about(token.lifetime(), 600);
    let token =
        read(&json!({ "access_token": "at", "expires_at": format!("{}", epoch_now() + 60) }));
    assert_about(token.lifetime(), 60);
}

#[tokio::test(start_paused = true)]
async fn expires_at_in_epoch_milliseconds_sets_the_lifetime() {
    let millis = (epoch_now() + 900) * 1000;
    let token = read(&json!({ "access_token": "at", "expires_at": millis }));
    assert_about(token.lifetime(), 900);
}

#[tokio::test(start_paused = true)]
async fn expires_at_in_rfc_3339_sets_the_lifetime() {
    // 2 hours ahead, written in UTC and then at +02:00 with a fraction: the same instant.
    let at = epoch_now() + 7200;
    let (days, seconds) = (at / 86_400, at % 86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let utc = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z");
    let token = read(&json!({ "access_token": "at", "expires_at": utc }));
    assert_about(token.lifetime(), 7200);

    let at = at + 2 * 3600;
    let (days, seconds) = (at / 86_400, at % 86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let offset = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.5+02:00");
    let token = read(&json!({ "access_token": "at", "expires_at": offset }));
    assert_about(token.lifetime(), 7200);
}

#[tokio::test(start_paused = true)]
async fn expires_in_wins_over_expires_at() {
    let token = read(&json!({
        "access_token": "at",
        "expires_in": 30,
        "expires_at": epoch_now() + 600,
    }));
    assert_eq!(token.lifetime(), Some(Duration::from_secs(30)));
    // An `expires_in` that cannot be read says nothing; `expires_at` then does.
    let token = read(&json!({
        "access_token": "at",
        "expires_in": "soon",
        "expires_at": epoch_now() + 600,
    }));
    assert_about(token.lifetime(), 600);
}

#[tokio::test(start_paused = true)]
async fn an_expires_at_in_the_past_is_already_expired() {
    for past in [
        json!(epoch_now() - 10),
        json!("2001-09-09T01:46:40Z"),
        json!(0),
    ] {
        let token = read(&json!({ "access_token": "at", "expires_at": past }));
        assert_eq!(token.lifetime(), Some(Duration::ZERO), "{past}");
        assert!(token.is_expired(), "{past}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_unreadable_or_absurd_expires_at_leaves_the_expiry_unknown() {
    for value in [
        json!("tomorrow"),
        json!("2026-13-01T00:00:00Z"),
        json!("2026-12-31 23:59:59"),
        json!("2026-12-31T23:59:59"),
        json!(""),
        json!(true),
        json!({ "at": 1 }),
        json!(null),
        json!(u64::MAX),
        json!(1e300),
        json!("9999-12-31T23:59:59Z"),
    ] {
        let token = read(&json!({ "access_token": "at", "expires_at": value }));
        assert_eq!(token.expires_at(), None, "{value}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_jwt_without_a_lifetime_in_the_answer_expires_at_its_exp() {
    let jwt = jwt_expiring_at(epoch_now() + 300);
    let token = read(&json!({ "access_token": jwt }));
    assert_about(token.lifetime(), 300);
}

/// A JWT (unsigned: only its claims are read) whose `exp` is `exp`.
pub(super) fn jwt_expiring_at(exp: u64) -> String {
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!(r#"{{"sub":"u","exp":{exp}}}"#));
    format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig")
}

/// The civil date of `days` since 1970-01-01 (Howard Hinnant's algorithm), to write RFC 3339
/// in a test without parsing it with the code under test.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}
