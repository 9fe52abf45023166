// Input: the value of a `Retry-After` header and the current wall-clock time.
// Output: how long to wait: delta-seconds, or the time left until an HTTP-date in any of the
// three formats RFC 9110 section 5.6.7 makes recipients accept; `None` for anything else.

use std::time::{Duration, SystemTime};

/// How long `Retry-After: value` asks to wait, counted from `now`. A date in the past means
/// no wait.
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: only overflow can fail, and a wait that long is "as long as possible".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    // `httpdate` reads IMF-fixdate, RFC 850 and asctime dates, checks the weekday, and
    // refuses dates before 1970 (no hint then, which waits no more than a past date does).
    let date = httpdate::parse_http_date(&canonical_case(value)).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `sun, 06 nov 1994 08:49:37 gmt` as `Sun, 06 Nov 1994 08:49:37 GMT`: `httpdate` matches
/// names case-sensitively, as RFC 9110 writes them, and servers that shout or whisper them
/// mean the same date.
fn canonical_case(value: &str) -> String {
    let mut canonical = String::with_capacity(value.len());
    let mut in_word = false;
    for c in value.chars() {
        canonical.push(if in_word {
            c.to_ascii_lowercase()
        } else {
            c.to_ascii_uppercase()
        });
        in_word = c.is_ascii_alphabetic();
    }
    match canonical.strip_suffix("Gmt") {
        Some(start) => format!("{start}GMT"),
        None => canonical,
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    /// 1994-11-06 08:49:37 UTC, the example date of RFC 9110.
    const RFC_EXAMPLE: u64 = 784_111_777;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn delta_seconds() {
        let now = SystemTime::now();
        assert_eq!(retry_after("30", now), Some(Duration::from_secs(30)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        for bad in ["", "-5", "1.5", "+3", "30s", "thirty", "3 0"] {
            assert_eq!(retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn the_three_http_date_formats() {
        let now = at(RFC_EXAMPLE - 120);
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "sun, 06 nov 1994 08:49:37 gmt",
        ] {
            assert_eq!(
                retry_after(date, now),
                Some(Duration::from_secs(120)),
                "{date}"
            );
        }
    }

    #[test]
    fn a_date_in_the_past_means_no_wait() {
        let now = at(RFC_EXAMPLE + 10);
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        // Before 1970 `httpdate` gives up: no hint, so no wait either.
        assert_eq!(retry_after("Mon, 01 Jan 1900 00:00:00 GMT", now), None);
    }

    #[test]
    fn leap_days_and_month_ends() {
        // 2024-02-29 00:00:00 UTC.
        let leap_day = 1_709_164_800;
        assert_eq!(
            retry_after("Thu, 29 Feb 2024 00:00:00 GMT", at(leap_day - 1)),
            Some(Duration::from_secs(1))
        );
        let now = SystemTime::now();
        for bad in [
            "Thu, 29 Feb 2023 00:00:00 GMT",
            "Thu, 31 Apr 2024 00:00:00 GMT",
            "Thu, 00 Jan 2024 00:00:00 GMT",
            "Thu, 01 Jan 2024 24:00:00 GMT",
            "Thu, 01 Jan 2024 00:60:00 GMT",
            "Thu, 01 Foo 2024 00:00:00 GMT",
            "Thu, 01 Jan 2024 00:00:00 CET",
            "Thu, 01 Jan 2024 0:00:00 GMT",
            "Thu, 01 Jan 02024 00:00:00 GMT",
            "01 Jan 2024 00:00:00 GMT",
        ] {
            assert_eq!(retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn a_wrong_weekday_is_not_a_date() {
        // 1994-11-06 was a Sunday.
        let now = at(RFC_EXAMPLE - 120);
        assert_eq!(retry_after("Mon, 06 Nov 1994 08:49:37 GMT", now), None);
    }

    #[test]
    fn canonical_case_fixes_names_only() {
        assert_eq!(
            canonical_case("sunday, 06-nov-94 08:49:37 gmt"),
            "Sunday, 06-Nov-94 08:49:37 GMT"
        );
        assert_eq!(
            canonical_case("SUN NOV  6 08:49:37 1994"),
            "Sun Nov  6 08:49:37 1994"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet: Vec<char> = "0123456789 ,-:GMTSunNovJanFebé\u{0}\t+".chars().collect();
        for _ in 0..20_000 {
            let len = rng.usize(0..40);
            let text: String = (0..len)
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect();
            let _ = retry_after(&text, SystemTime::now());
        }
        for extreme in [UNIX_EPOCH, at(u64::from(u32::MAX) * 100)] {
            let _ = retry_after("Sun, 06 Nov 94 08:49:37 GMT", extreme);
            let _ = retry_after("Fri, 31 Dec 9999 23:59:60 GMT", extreme);
        }
    }
}
