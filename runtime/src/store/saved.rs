// Input: a token, or the bytes of a saved one.
// Output: the other. Times are saved on the wall clock (a monotonic instant means nothing to
// another process), and the bytes holding secrets are zeroed when dropped.
//
// A loaded token keeps the receipt time and lifetime it had in the process that fetched it,
// so every process sharing the file renews it at the same point of its life. Rebuilt from its
// time left alone, it would seem received at load time with a shorter lifetime, and the
// cache's schedule (which caps its margins at half the lifetime) would renew it later than
// the fetching process: against a server that revokes the old access token on rotation, the
// late process takes a 401 at every rotation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use zeroize::Zeroizing;

use crate::Token;

/// Still 1 although `received_at`, `lifetime` and `resource` were added: they are optional fields, which
/// this reader treats as absent in older files and older readers ignore (serde skips unknown
/// fields), so files move freely between versions. A new version number would make every older
/// freshtoken refuse the file as "saved by an unknown version".
const VERSION: u32 = 1;

#[derive(Serialize)]
struct SavedRef<'a> {
    version: u32,
    access_token: &'a str,
    token_type: &'a str,
    /// Seconds since the Unix epoch. What older readers use; this one prefers the next two.
    expires_at: Option<f64>,
    /// When the token was received, in seconds since the Unix epoch.
    received_at: Option<f64>,
    /// Seconds from receipt to expiry.
    lifetime: Option<f64>,
    refresh_token: Option<&'a str>,
    scope: Option<&'a str>,
    /// The RFC 8707 resource the token was requested for; left out when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    /// The private DPoP key a bound token (and its refresh token) is bound to, PKCS#8 PEM or
    /// JWK: a restarted process refreshes with it. Left out for a bearer token.
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_key: Option<&'a str>,
}

#[derive(Deserialize)]
struct SavedOwned {
    version: u32,
    access_token: String,
    token_type: Option<String>,
    expires_at: Option<f64>,
    /// Absent from files written before it was added, like `lifetime`.
    received_at: Option<f64>,
    lifetime: Option<f64>,
    refresh_token: Option<String>,
    scope: Option<String>,
    /// Absent from files written before it was added, and for tokens without one.
    resource: Option<String>,
    /// Absent for bearer tokens. Read only with the `dpop` feature; without it a bound
    /// token loads unbound (and its server refuses it).
    #[cfg_attr(not(feature = "dpop"), allow(dead_code))]
    dpop_key: Option<String>,
}

/// The JSON of `token`, in a buffer zeroed on drop.
pub(crate) fn to_json(token: &Token) -> Zeroizing<Vec<u8>> {
    let (now, wall_now) = (Instant::now(), SystemTime::now());
    let expires_at = token.expires_at().map(|at| {
        let left = at.saturating_duration_since(now);
        seconds_since_epoch(wall_now + left).unwrap_or(0.0)
    });
    let received_at = wall_now
        .checked_sub(now.saturating_duration_since(token.received_at()))
        .and_then(seconds_since_epoch);
    let saved = SavedRef {
        version: VERSION,
        access_token: token.access_token().expose_secret(),
        token_type: token.token_type(),
        expires_at,
        received_at,
        lifetime: token.lifetime().map(|lifetime| lifetime.as_secs_f64()),
        refresh_token: token
            .refresh_token()
            .map(crate::RefreshToken::expose_secret),
        scope: token.scope(),
        resource: token.resource(),
        dpop_key: dpop_key(token),
    };
    // Room for everything up front: a Vec that grew would leave unzeroed copies behind.
    let text_len = saved.access_token.len()
        + saved.refresh_token.map_or(0, str::len)
        + saved.scope.map_or(0, str::len)
        + saved.resource.map_or(0, str::len)
        + saved.dpop_key.map_or(0, str::len)
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
    let received_at = saved.received_at.and_then(wall_clock);
    let lifetime = saved
        .lifetime
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok());
    token = match (received_at, lifetime, saved.expires_at) {
        (Some(received_at), Some(lifetime), _) => {
            token.received_at(received_at).expires_in(lifetime)
        }
        // Expiry unknown: a JWT is read again, its lifetime counted from the same receipt.
        (Some(received_at), None, None) => token.received_at(received_at),
        // An older file, or unusable new fields: what is left of the lifetime, from now.
        (_, _, Some(expires_at)) => token.expires_in(time_left(expires_at, SystemTime::now())),
        (None, _, None) => token,
    };
    if let Some(refresh_token) = saved.refresh_token {
        token = token.refresh_token(refresh_token);
    }
    if let Some(scope) = saved.scope {
        token = token.scope(scope);
    }
    if let Some(resource) = saved.resource {
        token = token.resource(resource);
    }
    #[cfg(feature = "dpop")]
    if let Some(key) = &saved.dpop_key {
        let key = crate::dpop::DpopKey::from_private_text(key)
            .map_err(|error| format!("the saved DPoP key cannot be loaded: {error}"))?;
        token = token.dpop_key(key);
    }
    token.build().map_err(|error| error.to_string())
}

#[cfg(feature = "dpop")]
fn dpop_key(token: &Token) -> Option<&str> {
    token.dpop_key().map(crate::dpop::DpopKey::private_text)
}

#[cfg(not(feature = "dpop"))]
fn dpop_key(_token: &Token) -> Option<&str> {
    None
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

/// `at` in seconds since the Unix epoch, unless it is before it.
fn seconds_since_epoch(at: SystemTime) -> Option<f64> {
    at.duration_since(UNIX_EPOCH)
        .ok()
        .map(|since| since.as_secs_f64())
}

/// Seconds since the Unix epoch as a wall-clock time, unless negative or absurd.
fn wall_clock(secs: f64) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(secs).ok()?)
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
            .resource("https://mcp.example/")
            .build()
            .unwrap();
        let back = from_json(&to_json(&token)).unwrap();
        assert_eq!(back.resource(), Some("https://mcp.example/"));
        assert_eq!(back.access_token().expose_secret(), "access");
        assert_eq!(back.token_type(), "DPoP");
        assert_eq!(back.refresh_token().unwrap().expose_secret(), "refresh");
        assert_eq!(back.scope(), Some("tasks"));
        let lifetime = back.lifetime().unwrap();
        assert!(lifetime <= Duration::from_secs(600) && lifetime > Duration::from_secs(598));
    }

    /// The gap between two instants, whichever comes first.
    fn gap(a: Instant, b: Instant) -> Duration {
        a.max(b) - a.min(b)
    }

    /// Before the fix (issue 11, item 16) the loaded token seemed received at load time with a
    /// 200 s lifetime, so the cache's schedule (margins capped at half the lifetime, from
    /// `received_at` and `expires_at` alone) renewed it later than the fetching process did.
    #[tokio::test(start_paused = true)]
    async fn a_token_fetched_100s_ago_loads_with_its_300s_lifetime_and_the_same_deadlines() {
        let token = Token::builder("access")
            .expires_in(Duration::from_secs(300))
            .build()
            .unwrap();
        tokio::time::advance(Duration::from_secs(100)).await;

        let json = to_json(&token);
        let back = from_json(&json).unwrap();
        assert_eq!(back.lifetime(), Some(Duration::from_secs(300)));
        // Saved through the wall clock, which runs on while the paused monotonic clock waits.
        let close = Duration::from_millis(50);
        assert!(gap(back.received_at(), token.received_at()) < close);
        let (back_expiry, expiry) = (back.expires_at().unwrap(), token.expires_at().unwrap());
        assert!(gap(back_expiry, expiry) < close);

        // Readable by older versions: still version 1, still an `expires_at`, which is what
        // they (and this one, given a file without the new fields) use.
        let mut older: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(older["version"], 1);
        let fields = older.as_object_mut().unwrap();
        fields.remove("received_at").unwrap();
        fields.remove("lifetime").unwrap();
        let back = from_json(older.to_string().as_bytes()).unwrap();
        assert!(gap(back.expires_at().unwrap(), expiry) < close);
        assert_eq!(
            back.received_at(),
            Instant::now(),
            "older files: received at load"
        );
    }

    /// Hostile or hand-edited new fields never panic: the loader falls back to `expires_at`.
    #[tokio::test(start_paused = true)]
    async fn absurd_receipt_times_and_lifetimes_fall_back_to_the_saved_expiry() {
        let in_10_min = seconds_since_epoch(SystemTime::now()).unwrap() + 600.0;
        for (received_at, lifetime) in [
            ("-5", "300"),
            ("1e300", "300"),
            ("null", "300"),
            ("1000", "-1"),
            ("1000", "1e300"),
            ("1000", "null"),
        ] {
            let json = format!(
                r#"{{"version":1,"access_token":"a","expires_at":{in_10_min},
                    "received_at":{received_at},"lifetime":{lifetime}}}"#
            );
            let token = from_json(json.as_bytes()).unwrap();
            let left = token.expires_at().unwrap() - Instant::now();
            assert!(
                left.abs_diff(Duration::from_secs(600)) < Duration::from_secs(1),
                "received_at {received_at}, lifetime {lifetime}: {left:?}"
            );
        }
    }

    #[test]
    fn unknown_expiry_stays_unknown() {
        let token = Token::builder("opaque").build().unwrap();
        assert_eq!(from_json(&to_json(&token)).unwrap().expires_at(), None);
    }

    #[test]
    fn an_entry_saved_without_a_resource_loads_without_one() {
        let json = br#"{"version":1,"access_token":"a","refresh_token":"r","scope":"tasks"}"#;
        let token = from_json(json).unwrap();
        assert_eq!(token.resource(), None);
        assert_eq!(token.scope(), Some("tasks"));
        let saved = to_json(&token);
        assert!(!String::from_utf8_lossy(&saved).contains("resource"));
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
