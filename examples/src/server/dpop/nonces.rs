// Input: the server's clock and a rotation interval.
// Output: `Nonce`, one side's current DPoP nonce (RFC 9449 §8 and §9): a random value that
// is replaced once the interval has passed, or when a test rotates it.

use std::io;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// One side's nonce. Only the current value is accepted: a client sees exactly one
/// `use_dpop_nonce` per rotation.
pub(crate) struct Nonce {
    interval: Duration,
    current: Mutex<Current>,
}

struct Current {
    value: String,
    /// When `value` was drawn, on the server's clock.
    since: Duration,
}

impl Nonce {
    /// A first nonce, current from `now`. A zero `interval` is refused: every nonce would be
    /// stale before a client could send it back.
    pub(crate) fn new(interval: Duration, now: Duration) -> io::Result<Self> {
        if interval.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "ServerConfig::dpop.nonce_rotation_interval is zero: give it a duration above \
                 zero (the default is 5 minutes)",
            ));
        }
        Ok(Self {
            interval,
            current: Mutex::new(Current {
                value: random_nonce()?,
                since: now,
            }),
        })
    }

    /// The nonce current at `now`: a new one once `interval` has passed since the last.
    pub(crate) fn current(&self, now: Duration) -> String {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if now.saturating_sub(current.since) >= self.interval {
            replace(&mut current, now);
        }
        current.value.clone()
    }

    /// Replaces the nonce now, whatever the schedule.
    pub(crate) fn rotate(&self, now: Duration) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        replace(&mut current, now);
    }
}

fn replace(current: &mut Current, now: Duration) {
    // A nonce that cannot be drawn keeps the old one current rather than failing requests.
    match random_nonce() {
        Ok(value) => {
            current.value = value;
            current.since = now;
        }
        Err(error) => tracing::error!(%error, "no random DPoP nonce: the old one stays"),
    }
}

/// 128 random bits, base64url: unguessable, and header-safe.
fn random_nonce() -> io::Result<String> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(io::Error::other)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_nonce_stays_current_until_its_interval_has_passed() {
        let start = Duration::from_secs(1_000);
        let nonce = Nonce::new(MINUTE, start).unwrap();
        let first = nonce.current(start);
        assert_eq!(nonce.current(start + Duration::from_millis(59_999)), first);
        let second = nonce.current(start + MINUTE);
        assert_ne!(second, first);
        assert_eq!(
            nonce.current(start + MINUTE + Duration::from_secs(59)),
            second
        );
    }

    #[test]
    fn a_zero_rotation_interval_is_refused_with_the_field_named() {
        let error = Nonce::new(Duration::ZERO, Duration::from_secs(1_000))
            .err()
            .expect("refused");
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(
            error.to_string().contains("nonce_rotation_interval"),
            "{error}"
        );
    }

    #[test]
    fn rotating_replaces_the_nonce_and_restarts_its_interval() {
        let start = Duration::from_secs(1_000);
        let nonce = Nonce::new(MINUTE, start).unwrap();
        let first = nonce.current(start);
        nonce.rotate(start + Duration::from_secs(30));
        let second = nonce.current(start + Duration::from_secs(30));
        assert_ne!(second, first);
        assert_eq!(nonce.current(start + Duration::from_secs(89)), second);
    }
}
