// Input: events in the life of one cache.
// Output: counters anyone holding the cache can read.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one [`TokenCache`](crate::TokenCache), read with
/// [`TokenCache::stats`](crate::TokenCache::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Calls made to the token source.
    pub refreshes: u64,
    /// Calls to the token source that failed (or timed out, or panicked).
    pub failures: u64,
    /// Callers that had to wait for a refresh because no usable token was at hand.
    pub waits: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    refreshes: AtomicU64,
    failures: AtomicU64,
    waits: AtomicU64,
}

impl Counters {
    pub(crate) fn refresh(&self) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn failure(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn wait(&self) {
        self.waits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> CacheStats {
        CacheStats {
            refreshes: self.refreshes.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            waits: self.waits.load(Ordering::Relaxed),
        }
    }
}
