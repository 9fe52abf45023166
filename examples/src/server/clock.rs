// Input: the system clock, or a time a test sets and moves forward.
// Output: "now" as a duration since the Unix epoch, the only time the server reads.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the server reads the time: token `iat` and `exp` claims and every expiry check.
///
/// [`Clock::system`] follows the system clock; [`Clock::manual`] stands still until
/// [`advance`](Clock::advance) moves it, so tests expire tokens without sleeping. Clones
/// share one time: keep a clone, hand the other to
/// [`start_with_clock`](super::start_with_clock), and advance it from the test.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// `None`: the system clock; `Some`: a fixed starting time.
    start: Option<Duration>,
    /// How far [`advance`](Clock::advance) has moved the clock, shared between clones.
    offset: Arc<Mutex<Duration>>,
}

impl Clock {
    /// The system clock (what [`start`](super::start) and [`start_on`](super::start_on) use).
    #[must_use]
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `start` until [`advance`](Clock::advance) moves it.
    #[must_use]
    pub fn manual(start: SystemTime) -> Self {
        Self {
            start: Some(start.duration_since(UNIX_EPOCH).unwrap_or_default()),
            offset: Arc::default(),
        }
    }

    /// Moves this clock and all its clones forward by `by` (on top of the system time, for a
    /// system clock).
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset = offset.saturating_add(by);
    }

    /// The current time as a duration since the Unix epoch.
    #[must_use]
    pub fn now(&self) -> Duration {
        let base = self.start.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
        });
        let offset = *self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        base.saturating_add(offset)
    }
}
