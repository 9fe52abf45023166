// Input: a number of callers, a source latency, and the moment they all call.
// Output: how many times the source was called, how long until every caller had a token,
// and each caller's own wait.
//
// The callers are tasks that sleep until the moment and then ask the cache: at hard expiry
// (no valid token left, so all of them wait for one refresh) or at the refresh-ahead point
// (the token is ageing but valid, so it should be served while one refresh runs behind).

use std::sync::Arc;
use std::time::Duration;

use freshtoken::{Token, TokenCache};
use tokio::time::Instant;

use super::subjects::{Floor, Issuer, Subject, token};

/// When the herd calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Moment {
    /// The instant the token expires: no valid token is left.
    HardExpiry,
    /// The instant the token enters the refresh-ahead window: still valid, ageing.
    RefreshAhead,
}

/// What one herd run measured.
#[derive(Debug, Clone)]
pub(crate) struct Herd {
    /// Calls of the token source caused by the herd.
    pub(crate) source_calls: usize,
    /// From the moment to the last caller holding a token.
    pub(crate) all_done: Duration,
    /// How long the (last) source call took.
    pub(crate) refresh: Duration,
    /// The median caller's wait, from its call to its token.
    pub(crate) p50: Duration,
    /// The 99th-percentile caller's wait.
    pub(crate) p99: Duration,
    /// Callers that got the new token (the rest got the one in service at the moment).
    pub(crate) served_new: usize,
}

/// The cache for a herd at `moment`, and the instant the herd calls.
fn cache_for(moment: Moment, source: Issuer) -> (TokenCache<Issuer>, Instant) {
    match moment {
        Moment::HardExpiry => {
            // No margin and no refresh-ahead: the token is fresh until it expires.
            let initial = token("initial", Duration::from_millis(300));
            let at = initial.expires_at().expect("the token has an expiry");
            let cache = TokenCache::builder(source)
                .refresh_margin(Duration::ZERO)
                .refresh_ahead(Duration::ZERO)
                .build();
            cache.set_token(initial);
            (cache, at)
        }
        Moment::RefreshAhead => {
            // Ageing from 600 ms, stale from 800 ms, expired at 1 s: the herd arrives at
            // 600 ms and the 50 ms refresh ends long before the token goes stale.
            let margin = Duration::from_millis(200);
            let window = Duration::from_millis(200);
            let initial = token("initial", Duration::from_secs(1));
            let at = initial.expires_at().expect("the token has an expiry") - margin - window;
            let cache = TokenCache::builder(source)
                .refresh_margin(margin)
                .refresh_ahead(window)
                .build();
            cache.set_token(initial);
            (cache, at)
        }
    }
}

/// Runs one herd of `callers` tasks on the current runtime against a source that takes
/// `latency`. Takes about a second.
pub(crate) async fn run(moment: Moment, callers: usize, latency: Duration) -> Herd {
    let source = Issuer::new(latency);
    let (cache, at) = cache_for(moment, source.clone());
    let handles: Vec<_> = (0..callers)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                let called = Instant::now();
                let token: Arc<Token> = cache.token().await.expect("the source never fails");
                (called, Instant::now(), token)
            })
        })
        .collect();
    let mut waits = Vec::with_capacity(callers);
    let mut last_done = at;
    let mut served_new = 0;
    for handle in handles {
        let (called, done, token) = handle.await.expect("a caller does not panic");
        waits.push(done - called);
        last_done = last_done.max(done);
        if token.access_token().expose_secret() != "initial" {
            served_new += 1;
        }
    }
    // A refresh-ahead runs behind the callers: let it finish before counting.
    tokio::time::sleep(latency * 2).await;
    waits.sort_unstable();
    Herd {
        source_calls: source.calls(),
        all_done: last_done - at,
        refresh: source.last_fetch(),
        p50: percentile(&waits, 50),
        p99: percentile(&waits, 99),
        served_new,
    }
}

/// The `pct`-th percentile of sorted `values` (nearest rank).
fn percentile(values: &[Duration], pct: usize) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    let rank = (values.len() * pct).div_ceil(100).max(1);
    values[rank - 1]
}

/// The same herd against the floor (each caller reads the clock and clones an `Arc`): how
/// long merely waking `callers` timer-driven tasks and letting each finish takes, from the
/// moment to the last caller done. What a herd costs on top of this is the cache's.
pub(crate) async fn floor(callers: usize) -> Duration {
    let floor = Floor::new();
    let at = Instant::now() + Duration::from_millis(300);
    let handles: Vec<_> = (0..callers)
        .map(|_| {
            let floor = floor.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                let token = floor.read().await;
                (Instant::now(), token.is_some())
            })
        })
        .collect();
    let mut last_done = at;
    for handle in handles {
        let (done, fresh) = handle.await.expect("a caller does not panic");
        assert!(fresh, "the floor's token is fresh");
        last_done = last_done.max(done);
    }
    last_done - at
}
