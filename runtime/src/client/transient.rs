// Input: a method's `retry` option and the outcome of each attempt (each attempt being the
// usual send with its own one resend after a refused token).
// Output: the attempt's answer, or after a transient failure (429, 502, 503, 504, a
// connection that failed or timed out) a pause and another attempt, until the budget of
// attempts is spent; then the last error.

use std::future::Future;
use std::time::Duration;

use super::Error;
use super::request::call;
use super::spec::Spec;

/// The `retry` option of a generated method: how many attempts a call may make, and how
/// long it pauses between them.
///
/// The pause after the `n`th failed attempt is a random duration between zero and
/// `backoff * 2^(n-1)` (full jitter), at most `max_delay`; an answer's `Retry-After` replaces
/// it, also at most `max_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transient {
    /// Attempts in all, the first included (at least 2).
    pub attempts: u32,
    /// The longest pause after the first failure; it doubles after each.
    pub backoff: Duration,
    /// The longest pause, whatever the backoff or a `Retry-After` says.
    pub max_delay: Duration,
}

impl Transient {
    /// The defaults of `retry = transient`: 3 attempts, pauses from up to 100 ms, at most
    /// 10 s.
    pub const DEFAULT: Self = Self {
        attempts: 3,
        backoff: Duration::from_millis(100),
        max_delay: Duration::from_secs(10),
    };

    /// The pause before the attempt after `failed` attempts that ended in `error`; `None`
    /// when `error` is not transient or the budget is spent.
    pub(super) fn pause(&self, failed: u32, error: &Error) -> Option<Duration> {
        if failed >= self.attempts || !error.is_transient() {
            return None;
        }
        Some(match error.retry_after() {
            Some(asked) => asked.min(self.max_delay),
            None => full_jitter(self.ceiling(failed)),
        })
    }

    /// `backoff * 2^(failed-1)`, at most `max_delay`.
    fn ceiling(&self, failed: u32) -> Duration {
        let factor = 2u32.saturating_pow(failed.saturating_sub(1));
        self.backoff.saturating_mul(factor).min(self.max_delay)
    }

    /// Runs `attempt` until it succeeds, fails for good, or the budget is spent.
    pub(super) async fn run<F, Fut, T>(
        &self,
        spec: &'static Spec,
        mut attempt: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut failed = 0;
        loop {
            let error = match attempt().await {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            failed += 1;
            let Some(pause) = self.pause(failed, &error) else {
                if failed > 1 && error.is_transient() {
                    tracing::debug!(target: "freshtoken", call = %call(spec), attempts = failed, "transient failure; retry budget spent");
                }
                return Err(error);
            };
            tracing::debug!(target: "freshtoken", call = %call(spec), attempt = failed, pause_ms = pause.as_millis(), error = %error, "transient failure; retrying");
            tokio::time::sleep(pause).await;
        }
    }
}

/// Full jitter: anywhere between zero and `ceiling`, so clients that failed together do not
/// come back together.
fn full_jitter(ceiling: Duration) -> Duration {
    ceiling.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use http::{Method, StatusCode};

    use super::*;
    use crate::NonceDemand;
    use crate::client::Call;

    fn status(code: u16, retry_after: Option<Duration>) -> Error {
        Error::Status {
            call: Call {
                name: "list",
                method: Method::GET,
                template: "/items",
            },
            status: StatusCode::from_u16(code).unwrap(),
            body: String::new(),
            challenge: None,
            dpop_nonce: NonceDemand::None,
            error_body: None,
            retry_after,
        }
    }

    const POLICY: Transient = Transient {
        attempts: 4,
        backoff: Duration::from_secs(1),
        max_delay: Duration::from_secs(5),
    };

    #[test]
    fn only_429_502_503_and_504_are_transient_statuses() {
        for code in [429, 502, 503, 504] {
            assert!(status(code, None).is_transient(), "{code}");
        }
        for code in [400, 401, 403, 404, 409, 500, 501, 505] {
            assert!(!status(code, None).is_transient(), "{code}");
            assert_eq!(POLICY.pause(1, &status(code, None)), None, "{code}");
        }
    }

    #[test]
    fn pauses_stay_under_a_doubling_ceiling_capped_at_max_delay() {
        let error = status(503, None);
        for _ in 0..200 {
            for (failed, ceiling) in [(1, 1), (2, 2), (3, 4)] {
                let pause = POLICY.pause(failed, &error).expect("budget left");
                assert!(pause <= Duration::from_secs(ceiling), "{failed}: {pause:?}");
            }
        }
        assert_eq!(POLICY.ceiling(3), Duration::from_secs(4));
        assert_eq!(POLICY.ceiling(4), Duration::from_secs(5));
        assert_eq!(POLICY.ceiling(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn retry_after_replaces_the_backoff_up_to_max_delay() {
        let asked = status(429, Some(Duration::from_secs(3)));
        assert_eq!(POLICY.pause(1, &asked), Some(Duration::from_secs(3)));
        let too_long = status(503, Some(Duration::from_secs(3600)));
        assert_eq!(POLICY.pause(1, &too_long), Some(Duration::from_secs(5)));
    }

    #[test]
    fn the_last_attempt_gets_no_pause() {
        let error = status(503, Some(Duration::from_secs(1)));
        assert!(POLICY.pause(3, &error).is_some());
        assert_eq!(POLICY.pause(4, &error), None);
    }
}
