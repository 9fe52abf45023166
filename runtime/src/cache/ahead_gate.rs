// Input: the refresh state's changes (a refresh started or ended, a failure backing off, a
// token set), made under the cache's lock.
// Output: a lock-free answer to "could a refresh-ahead start now?", so that callers of an
// ageing token do not take the lock while a refresh runs or a failure backs off.
//
// The gate only ever says "closed" when the locked check would also find nothing to start:
// it is closed right after a flight is recorded, until that flight ends, and after a failure
// until the instant the failure names. A stale "open" only costs a look under the lock.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::time::Instant;

/// `until` when a refresh-ahead may be tried at once.
const OPEN: u64 = 0;
/// `until` while nothing may start until the gate is opened again.
const CLOSED: u64 = u64::MAX;

/// "Nothing to start before T", read with one atomic load.
pub(super) struct AheadGate {
    /// The instant `until` counts from.
    base: Instant,
    /// Nanoseconds after `base` before which no refresh-ahead may start; [`OPEN`] or
    /// [`CLOSED`].
    until: AtomicU64,
}

impl AheadGate {
    pub(super) fn new() -> Self {
        Self {
            base: Instant::now(),
            until: AtomicU64::new(OPEN),
        }
    }

    /// A refresh-ahead may be tried: the token changed, or the last refresh succeeded.
    ///
    /// Called under the lock and before the new token is stored, so a caller that sees the
    /// new token also sees the gate open.
    pub(super) fn open(&self) {
        self.until.store(OPEN, Ordering::Release);
    }

    /// Nothing may start until [`open`](Self::open): a refresh is running, or a failure
    /// blocks until new credentials arrive.
    pub(super) fn close(&self) {
        self.until.store(CLOSED, Ordering::Release);
    }

    /// Nothing may start before `at`: a failure is backing off.
    pub(super) fn close_until(&self, at: Instant) {
        // Rounded down, so the gate never stays closed past `at`; an instant at or before
        // `base` opens it, which is safe (the lock then decides).
        let nanos = self.nanos_since_base(at).min(CLOSED - 1);
        self.until.store(nanos, Ordering::Release);
    }

    /// Whether a refresh-ahead certainly cannot start at `now`.
    #[inline]
    pub(super) fn is_closed(&self, now: Instant) -> bool {
        match self.until.load(Ordering::Acquire) {
            OPEN => false,
            CLOSED => true,
            until => self.nanos_since_base(now) < until,
        }
    }

    fn nanos_since_base(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.base).as_nanos();
        u64::try_from(since).unwrap_or(CLOSED - 1)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::advance;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_new_gate_is_open() {
        let gate = AheadGate::new();
        assert!(!gate.is_closed(Instant::now()));
    }

    #[tokio::test(start_paused = true)]
    async fn closed_stays_closed_until_opened() {
        let gate = AheadGate::new();
        gate.close();
        assert!(gate.is_closed(Instant::now()));
        assert!(gate.is_closed(Instant::now() + Duration::from_secs(86_400 * 365)));
        gate.open();
        assert!(!gate.is_closed(Instant::now()));
    }

    #[tokio::test(start_paused = true)]
    async fn closed_until_an_instant_opens_at_that_instant() {
        let gate = AheadGate::new();
        advance(Duration::from_secs(5)).await;
        let at = Instant::now() + Duration::from_secs(30);
        gate.close_until(at);
        assert!(gate.is_closed(Instant::now()));
        assert!(gate.is_closed(at - Duration::from_nanos(1)));
        assert!(!gate.is_closed(at));
        advance(Duration::from_secs(31)).await;
        assert!(!gate.is_closed(Instant::now()));
    }

    #[tokio::test(start_paused = true)]
    async fn an_instant_already_past_or_before_the_gate_leaves_it_open() {
        advance(Duration::from_secs(10)).await;
        let before = Instant::now() - Duration::from_secs(5);
        let gate = AheadGate::new();
        gate.close_until(before);
        assert!(!gate.is_closed(Instant::now()));
        gate.close_until(Instant::now());
        assert!(!gate.is_closed(Instant::now()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_later_close_replaces_an_earlier_one() {
        let gate = AheadGate::new();
        gate.close();
        let at = Instant::now() + Duration::from_secs(1);
        gate.close_until(at);
        assert!(
            !gate.is_closed(at),
            "the backoff's end, not `close`, now decides"
        );
    }
}
