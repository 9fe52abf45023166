// Input: the failures so far and the error just received.
// Output: the earliest instant at which the token source may be asked again.

use std::time::Duration;

use tokio::time::Instant;

use super::config::Config;
use crate::error::MAX_RETRY_AFTER;
use crate::{AuthError, AuthErrorKind};

/// The last failed refresh, remembered until a refresh succeeds or new credentials arrive.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) error: AuthError,
    consecutive: u32,
    /// `None` when retrying cannot help (dead credentials, a rejected request): no attempt
    /// until a new token is given.
    not_before: Option<Instant>,
}

impl Failure {
    /// Records `error`, received at `now`, after `previous` (the failure before it, if the
    /// refresh in between did not succeed).
    pub(crate) fn after(
        previous: Option<&Failure>,
        error: AuthError,
        now: Instant,
        config: &Config,
    ) -> Self {
        let consecutive = previous.map_or(0, |f| f.consecutive).saturating_add(1);
        let error = error.in_a_row(consecutive);
        let not_before = if error.is_retryable() {
            let hint = error.retry_after().unwrap_or_default();
            // A store that failed is tried again soon, without growing pauses: a try costs
            // the store one call, and callers with no token get errors until it answers.
            let delay = if matches!(error.kind(), AuthErrorKind::Store { .. }) {
                jittered(config.backoff_initial)
            } else {
                jittered(exponential(consecutive, config))
            };
            let delay = delay.max(hint);
            Some(now.checked_add(delay).unwrap_or(now + MAX_RETRY_AFTER))
        } else {
            None
        };
        Self {
            error,
            consecutive,
            not_before,
        }
    }

    /// The error to hand out at `now`, while this failure blocks new attempts: it says that
    /// it is the last failure repeated, and when the next attempt is (if there will be one).
    pub(crate) fn served_again(&self, now: Instant) -> AuthError {
        match self.not_before {
            Some(at) => self.error.repeated(at.saturating_duration_since(now)),
            None => self.error.clone(),
        }
    }

    /// This failure, blocking new attempts at least until `floor` (if any).
    pub(crate) fn not_sooner_than(mut self, floor: Option<Instant>) -> Self {
        if let (Some(at), Some(floor)) = (&mut self.not_before, floor) {
            *at = (*at).max(floor);
        }
        self
    }

    /// The instant from which a new attempt may be made; `None` when none may be made until
    /// new credentials arrive.
    pub(crate) fn not_before(&self) -> Option<Instant> {
        self.not_before
    }

    /// Whether a new attempt must wait (or, for dead credentials, must not happen).
    pub(crate) fn blocks(&self, now: Instant) -> bool {
        self.not_before.is_none_or(|at| now < at)
    }
}

/// `initial * 2^(n-1)`, at most `max`.
fn exponential(consecutive: u32, config: &Config) -> Duration {
    let factor = 2u32.saturating_pow(consecutive.saturating_sub(1));
    config
        .backoff_initial
        .saturating_mul(factor)
        .min(config.backoff_max.max(config.backoff_initial))
}

/// "Equal jitter": somewhere in the upper half of the delay, so clients that failed together
/// spread out, yet none retries much sooner than the schedule says.
fn jittered(delay: Duration) -> Duration {
    delay / 2 + delay.mul_f64(fastrand::f64() / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            ..Config::default()
        }
    }

    #[test]
    fn delays_double_up_to_the_cap() {
        let delays: Vec<u64> = (1..=9)
            .map(|n| exponential(n, &config()).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(exponential(u32::MAX, &config()), Duration::from_secs(60));
    }

    #[test]
    fn jitter_stays_in_the_upper_half() {
        for _ in 0..1000 {
            let delay = jittered(Duration::from_secs(8));
            assert!(delay >= Duration::from_secs(4) && delay <= Duration::from_secs(8));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_hint_is_a_floor() {
        let now = Instant::now();
        let error = AuthError::refresh_failed("429").with_retry_after(Duration::from_secs(30));
        let failure = Failure::after(None, error, now, &config());
        assert!(failure.blocks(now + Duration::from_secs(29)));
        assert!(!failure.blocks(now + Duration::from_secs(30)));
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_retry_after_is_capped() {
        let now = Instant::now();
        let error = AuthError::refresh_failed("503").with_retry_after(Duration::MAX);
        let failure = Failure::after(None, error, now, &config());
        assert!(!failure.blocks(now + MAX_RETRY_AFTER));
    }

    #[tokio::test(start_paused = true)]
    async fn dead_credentials_block_for_good() {
        let now = Instant::now();
        let failure = Failure::after(
            None,
            AuthError::reauthenticate("invalid_grant"),
            now,
            &config(),
        );
        assert!(failure.blocks(now + Duration::from_secs(86_400 * 365)));
    }

    #[tokio::test(start_paused = true)]
    async fn consecutive_failures_wait_longer() {
        let now = Instant::now();
        let first = Failure::after(None, AuthError::refresh_failed("down"), now, &config());
        let second = Failure::after(
            Some(&first),
            AuthError::refresh_failed("down"),
            now,
            &config(),
        );
        let third = Failure::after(
            Some(&second),
            AuthError::refresh_failed("down"),
            now,
            &config(),
        );
        // The third waits 4 s with jitter: somewhere in [2 s, 4 s].
        assert!(third.blocks(now + Duration::from_millis(1999)));
        assert!(!third.blocks(now + Duration::from_secs(4)));
    }
}
