// Input: the value of a `Retry-After` header and the current wall-clock time.
// Output: how long to wait: delta-seconds, or the time left until an HTTP-date in any of the
// three formats RFC 9110 section 5.6.7 makes recipients accept; `None` for anything else.
//
// Written by hand because the crate has no date dependency and needs only this.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long `Retry-After: value` asks to wait, counted from `now`. A date in the past means
/// no wait.
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: only overflow can fail, and a wait that long is "as long as possible".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = http_date(value, now)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), `Sunday, 06-Nov-94 08:49:37 GMT`
/// (RFC 850) or `Sun Nov  6 08:49:37 1994` (asctime). The weekday is not checked.
fn http_date(value: &str, now: SystemTime) -> Option<SystemTime> {
    let parts: Vec<&str> = value
        .split([' ', ',', '-'])
        .filter(|part| !part.is_empty())
        .collect();
    let (day, month, year, time) = match parts.as_slice() {
        [weekday, day, month, year, time, zone]
            if is_word(weekday) && zone.eq_ignore_ascii_case("GMT") =>
        {
            let year = match year.len() {
                4 => number(year)?,
                2 => two_digit_year(number(year)?, now),
                _ => return None,
            };
            (*day, *month, year, *time)
        }
        [weekday, month, day, time, year] if is_word(weekday) && year.len() == 4 => {
            (*day, *month, number(year)?, *time)
        }
        _ => return None,
    };
    let month = month_number(month)?;
    if day.len() > 2 {
        return None;
    }
    let day = number(day)?;
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let seconds_of_day = time_of_day(time)?;
    let days = days_since_epoch(year, month, day);
    let seconds = days.checked_mul(86_400)?.checked_add(seconds_of_day)?;
    match u64::try_from(seconds) {
        Ok(after) => UNIX_EPOCH.checked_add(Duration::from_secs(after)),
        // Before 1970: long past, so no wait.
        Err(_) => Some(UNIX_EPOCH),
    }
}

fn is_word(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Digits only (no sign, no spaces), as every numeric part of an HTTP-date is.
fn number(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// RFC 9110: a two-digit year that would be more than 50 years in the future is in the
/// past century.
fn two_digit_year(two_digits: i64, now: SystemTime) -> i64 {
    const SECONDS_PER_YEAR: u64 = 31_556_952; // the mean Gregorian year
    let elapsed = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let this_year = 1970 + i64::try_from(elapsed / SECONDS_PER_YEAR).unwrap_or(0);
    let year = this_year - this_year % 100 + two_digits;
    if year > this_year + 50 {
        year - 100
    } else {
        year
    }
}

fn month_number(name: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let index = MONTHS
        .iter()
        .position(|month| month.eq_ignore_ascii_case(name))?;
    i64::try_from(index + 1).ok()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `hh:mm:ss` as seconds since midnight (a leap second, `:60`, is accepted).
fn time_of_day(time: &str) -> Option<i64> {
    let mut parts = time.split(':');
    let (hour, minute, second) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || [hour, minute, second].iter().any(|p| p.len() != 2) {
        return None;
    }
    let (hour, minute, second) = (number(hour)?, number(minute)?, number(second)?);
    (hour < 24 && minute < 60 && second <= 60).then_some(hour * 3600 + minute * 60 + second)
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`).
fn days_since_epoch(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
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
        assert_eq!(
            retry_after("Mon, 01 Jan 1900 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
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
    fn two_digit_years_are_at_most_fifty_years_ahead() {
        let in_2025 = at(1_750_000_000);
        assert_eq!(two_digit_year(30, in_2025), 2030);
        assert_eq!(two_digit_year(94, in_2025), 1994);
        assert_eq!(two_digit_year(75, in_2025), 2075);
        assert_eq!(two_digit_year(76, in_2025), 1976);
    }

    #[test]
    fn days_since_epoch_matches_known_dates() {
        assert_eq!(days_since_epoch(1970, 1, 1), 0);
        assert_eq!(days_since_epoch(2000, 3, 1), 11_017);
        assert_eq!(days_since_epoch(1969, 12, 31), -1);
        assert_eq!(days_since_epoch(1994, 11, 6) * 86_400 + 31_777, 784_111_777);
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
