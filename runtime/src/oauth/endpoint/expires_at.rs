// Input: the value of an answer's `expires_at` field (when the token expires, on the server's
// wall clock), and the local wall clock's now.
// Output: how long the token lives from now, as `expires_in` would have said it, so that the
// deadline is then kept on the monotonic clock like every other.
//
// Servers write the time as epoch seconds, epoch milliseconds (JavaScript's `Date.now()`) or
// RFC 3339. A time in the past means already expired; anything unreadable means unknown,
// never a panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::token::MAX_LIFETIME;

/// An epoch time at least this large is in milliseconds: in seconds it would be past the
/// year 5000, and in milliseconds it is after March 1973.
pub(crate) const MILLISECONDS_FROM: u64 = 100_000_000_000;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// The lifetime left at `now` of a token that expires at `value`: zero if that has passed,
/// `None` if `value` is no time this reads or is more than a century away.
pub(crate) fn lifetime_until(value: &Value, now: SystemTime) -> Option<Duration> {
    // Integer nanoseconds: exact for every value a server sends, and far from overflowing
    // (i128 holds 10^29 years of them).
    let left = nanos_since_epoch(value)? - nanos_since_epoch_of(now);
    if left <= 0 {
        return Some(Duration::ZERO);
    }
    if left > MAX_LIFETIME.as_nanos().try_into().ok()? {
        return None;
    }
    Some(Duration::from_nanos(u64::try_from(left).ok()?))
}

/// A JSON number or a string of digits (epoch seconds or milliseconds), or an RFC 3339
/// string, as nanoseconds since the Unix epoch.
fn nanos_since_epoch(value: &Value) -> Option<i128> {
    match value {
        Value::Number(number) => {
            if let Some(epoch) = number.as_i64() {
                Some(from_epoch(i128::from(epoch)))
            } else if let Some(epoch) = number.as_u64() {
                Some(from_epoch(i128::from(epoch)))
            } else {
                from_fractional_epoch(number.as_f64()?)
            }
        }
        Value::String(text) => {
            let text = text.trim();
            if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                // More digits than a u64 holds is no time anyone means.
                Some(from_epoch(i128::from(text.parse::<u64>().ok()?)))
            } else {
                Some(
                    OffsetDateTime::parse(text, &Rfc3339)
                        .ok()?
                        .unix_timestamp_nanos(),
                )
            }
        }
        _ => None,
    }
}

/// Whole epoch seconds, or milliseconds from `MILLISECONDS_FROM` on, in nanoseconds.
fn from_epoch(epoch: i128) -> i128 {
    if epoch >= i128::from(MILLISECONDS_FROM) {
        epoch * 1_000_000
    } else {
        epoch * NANOS_PER_SECOND
    }
}

/// A fractional epoch time (`1767225600.5`), in nanoseconds; `None` beyond any date.
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn from_fractional_epoch(epoch: f64) -> Option<i128> {
    let seconds = if epoch >= MILLISECONDS_FROM as f64 {
        epoch / 1000.0
    } else {
        epoch
    };
    // Within ±10^20 s (3 * 10^12 years) the cast below cannot saturate.
    (seconds.abs() < 1e20).then_some((seconds * 1e9) as i128)
}

fn nanos_since_epoch_of(time: SystemTime) -> i128 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => i128::try_from(since.as_nanos()).unwrap_or(i128::MAX),
        Err(before) => -i128::try_from(before.duration().as_nanos()).unwrap_or(i128::MAX),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// 2026-01-01T00:00:00Z.
    const NEW_YEAR_2026: u64 = 1_767_225_600;

    fn at(epoch_seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(epoch_seconds)
    }

    fn left(value: &Value) -> Option<Duration> {
        lifetime_until(value, at(NEW_YEAR_2026 - 3600))
    }

    const HOUR: Option<Duration> = Some(Duration::from_secs(3600));

    #[test]
    fn epoch_seconds_and_milliseconds_are_told_apart_by_size() {
        assert_eq!(left(&json!(NEW_YEAR_2026)), HOUR);
        assert_eq!(left(&json!(NEW_YEAR_2026 * 1000)), HOUR);
        assert_eq!(
            left(&json!(1_767_225_600.5)),
            Some(Duration::from_millis(3_600_500))
        );
        assert_eq!(left(&json!(format!("{NEW_YEAR_2026}"))), HOUR);
        assert_eq!(left(&json!(format!(" {}000 ", NEW_YEAR_2026))), HOUR);
        // Just below the rule, a value is seconds: the year 5138, beyond a century: unknown.
        assert_eq!(left(&json!(99_999_999_999_u64)), None);
        // At the rule, milliseconds: March 1973, long past.
        assert_eq!(left(&json!(100_000_000_000_u64)), Some(Duration::ZERO));
    }

    #[test]
    fn rfc_3339_with_z_an_offset_or_a_fraction() {
        assert_eq!(left(&json!("2026-01-01T00:00:00Z")), HOUR);
        assert_eq!(left(&json!("2026-01-01T02:00:00+02:00")), HOUR);
        assert_eq!(left(&json!("2025-12-31T19:00:00-05:00")), HOUR);
        // RFC 3339 lets a space stand for the `T`, and either letter be lowercase.
        assert_eq!(left(&json!("2026-01-01 00:00:00Z")), HOUR);
        assert_eq!(left(&json!("2026-01-01t00:00:00z")), HOUR);
        assert_eq!(
            left(&json!("2026-01-01T00:00:00.25Z")),
            Some(Duration::from_millis(3_600_250))
        );
        assert_eq!(
            left(&json!("2026-01-01T02:00:00.5+02:00")),
            Some(Duration::from_millis(3_600_500))
        );
    }

    #[test]
    fn a_time_already_past_is_a_lifetime_of_zero() {
        for past in [
            json!(NEW_YEAR_2026 - 7200),
            json!(0),
            json!(-1),
            json!("1999-12-31T23:59:59Z"),
            json!("1969-07-20T20:17:40Z"),
        ] {
            assert_eq!(left(&past), Some(Duration::ZERO), "{past}");
        }
    }

    #[test]
    fn what_is_no_time_or_beyond_a_century_is_unknown() {
        for value in [
            json!("2026-01-01"),
            json!("2026-01-01T00:00:00"),
            json!("2026-02-30T00:00:00Z"),
            json!("-1767225600"),
            json!("1767225600.5"),
            json!("0x10"),
            json!(""),
            json!("   "),
            json!(null),
            json!(false),
            json!([NEW_YEAR_2026]),
            json!({ "at": NEW_YEAR_2026 }),
            json!("2200-01-01T00:00:00Z"),
            json!(u64::MAX),
            json!(f64::MAX),
            json!("9".repeat(400)),
        ] {
            assert_eq!(left(&value), None, "{value}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = fastrand::Rng::with_seed(26);
        let pieces = [
            "2026", "-", "01", "T", ":", "Z", "+", ".", "9", "60", "\u{e9}", " ",
        ];
        for _ in 0..20_000 {
            let text: String = (0..rng.usize(0..12))
                .map(|_| pieces[rng.usize(0..pieces.len())])
                .collect();
            let _ = left(&json!(text));
        }
        for now in [
            UNIX_EPOCH,
            at(u64::from(u32::MAX) * 100),
            UNIX_EPOCH - Duration::from_secs(1),
        ] {
            let _ = lifetime_until(&json!(i64::MIN), now);
            let _ = lifetime_until(&json!("9999-12-31T23:59:59.999999999Z"), now);
        }
    }
}
