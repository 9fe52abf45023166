// Input: a token, or the bytes of a saved one.
// Output: the other. Expiry is saved as wall-clock time (a monotonic instant means nothing to
// another process), and the bytes holding secrets are zeroed when dropped.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use zeroize::Zeroizing;

use crate::Token;

const VERSION: u32 = 1;

#[derive(Serialize)]
struct SavedRef<'a> {
    version: u32,
    access_token: &'a str,
    token_type: &'a str,
    /// Seconds since the Unix epoch.
    expires_at: Option<f64>,
    refresh_token: Option<&'a str>,
    scope: Option<&'a str>,
}

#[derive(Deserialize)]
struct SavedOwned {
    version: u32,
    access_token: String,
    token_type: Option<String>,
    expires_at: Option<f64>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

/// The JSON of `token`, in a buffer zeroed on drop.
pub(crate) fn to_json(token: &Token) -> Zeroizing<Vec<u8>> {
    let expires_at = token.expires_at().map(|at| {
        let left = at.saturating_duration_since(Instant::now());
        (SystemTime::now() + left)
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64())
    });
    let saved = SavedRef {
        version: VERSION,
        access_token: token.access_token().expose_secret(),
        token_type: token.token_type(),
        expires_at,
        refresh_token: token
            .refresh_token()
            .map(crate::RefreshToken::expose_secret),
        scope: token.scope(),
    };
    // Room for everything up front: a Vec that grew would leave unzeroed copies behind.
    let text_len = saved.access_token.len()
        + saved.refresh_token.map_or(0, str::len)
        + saved.scope.map_or(0, str::len)
        + saved.token_type.len();
    let mut json = Zeroizing::new(Vec::with_capacity(256 + 2 * text_len));
    // Serializing strings and numbers into a Vec cannot fail.
    let _ = serde_json::to_writer_pretty(&mut *json, &saved);
    json
}

/// The token saved in `json`, or why there is none (never quoting the content).
pub(crate) fn from_json(json: &[u8]) -> Result<Token, String> {
    let saved: SavedOwned = serde_json::from_slice(json).map_err(|error| {
        format!(
            "not a saved token: {} at line {}, column {}",
            classify(&error),
            error.line(),
            error.column()
        )
    })?;
    if saved.version != VERSION {
        return Err(format!(
            "saved by an unknown version {} of freshtoken (this one reads version {VERSION})",
            saved.version
        ));
    }
    let mut token = Token::builder(saved.access_token);
    if let Some(token_type) = saved.token_type {
        token = token.token_type(token_type);
    }
    if let Some(expires_at) = saved.expires_at {
        token = token.expires_in(time_left(expires_at, SystemTime::now()));
    }
    if let Some(refresh_token) = saved.refresh_token {
        token = token.refresh_token(refresh_token);
    }
    if let Some(scope) = saved.scope {
        token = token.scope(scope);
    }
    token.build().map_err(|error| error.to_string())
}

/// From a wall-clock expiry to a lifetime from now; zero if it has passed, `Duration::MAX`
/// (no known expiry) if it cannot be represented.
fn time_left(expires_at: f64, now: SystemTime) -> Duration {
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64());
    let left = expires_at - now;
    if left.is_nan() || left <= 0.0 {
        Duration::ZERO
    } else {
        Duration::try_from_secs_f64(left).unwrap_or(Duration::MAX)
    }
}

/// `serde_json`'s error category, without the excerpt of the input some messages carry.
fn classify(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "missing or mistyped fields",
        serde_json::error::Category::Eof => "truncated JSON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn round_trip_keeps_every_field() {
        let token = Token::builder("access")
            .token_type("DPoP")
            .expires_in(Duration::from_secs(600))
            .refresh_token("refresh")
            .scope("tasks")
            .build()
            .unwrap();
        let back = from_json(&to_json(&token)).unwrap();
        assert_eq!(back.access_token().expose_secret(), "access");
        assert_eq!(back.token_type(), "DPoP");
        assert_eq!(back.refresh_token().unwrap().expose_secret(), "refresh");
        assert_eq!(back.scope(), Some("tasks"));
        let lifetime = back.lifetime().unwrap();
        assert!(lifetime <= Duration::from_secs(600) && lifetime > Duration::from_secs(598));
    }

    #[test]
    fn unknown_expiry_stays_unknown() {
        let token = Token::builder("opaque").build().unwrap();
        assert_eq!(from_json(&to_json(&token)).unwrap().expires_at(), None);
    }

    #[test]
    fn past_expiry_loads_as_expired() {
        let json = br#"{"version":1,"access_token":"a","expires_at":1000.0,"refresh_token":"r"}"#;
        let token = from_json(json).unwrap();
        assert!(token.is_expired());
        assert_eq!(token.refresh_token().unwrap().expose_secret(), "r");
    }

    #[test]
    fn bad_content_is_described_without_quoting_it() {
        for (json, expected) in [
            (&b"<html>secret-ish</html>"[..], "invalid JSON"),
            (b"", "truncated JSON"),
            (br#"{"version":1,"access_token":"#, "truncated JSON"),
            (br#"{"version":1}"#, "missing or mistyped fields"),
            (br#"{"version":2,"access_token":"a"}"#, "unknown version 2"),
            (br#"{"version":1,"access_token":""}"#, "empty"),
        ] {
            let reason = from_json(json).unwrap_err();
            assert!(reason.contains(expected), "{reason}");
            assert!(!reason.contains("secret-ish"), "{reason}");
        }
    }

    #[test]
    fn absurd_expiry_values_do_not_panic() {
        let now = SystemTime::now();
        assert_eq!(time_left(f64::NAN, now), Duration::ZERO);
        assert_eq!(time_left(f64::NEG_INFINITY, now), Duration::ZERO);
        assert_eq!(time_left(f64::INFINITY, now), Duration::MAX);
        assert_eq!(time_left(1e300, now), Duration::MAX);
    }
}
