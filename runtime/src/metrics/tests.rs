// Input: a cache on tokio's paused, single-threaded clock with a recorder of this thread, and
// sources that succeed, fail or wait.
// Output: evidence that each instrument records what its documentation says, and that the
// fast path records nothing.

// Counts far below 2^52, compared exactly.
#![allow(clippy::cast_precision_loss, clippy::float_cmp)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tokio::time::{advance, sleep};

use super::names;
use crate::{AuthError, StoreError, Token, TokenCache, TokenSource, TokenStore};

/// What a recorder saw since it was installed: per instrument and attributes (sorted
/// `key=value`), a counter's total, a gauge's value, or a histogram's number of samples. The
/// debugging recorder hands out counters and histograms since its last snapshot: they add up.
#[derive(Debug, Default, Clone, PartialEq)]
struct Seen(BTreeMap<(String, String), f64>);

impl Seen {
    fn update(&mut self, snapshotter: &Snapshotter) -> Self {
        for (key, _, _, value) in snapshotter.snapshot().into_vec() {
            let key = key.key();
            let mut labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            let entry = self
                .0
                .entry((key.name().to_owned(), labels.join(",")))
                .or_default();
            match value {
                DebugValue::Counter(n) => *entry += n as f64,
                DebugValue::Gauge(v) => *entry = v.into_inner(),
                DebugValue::Histogram(samples) => *entry += samples.len() as f64,
            }
        }
        self.clone()
    }

    fn get(&self, name: &str, labels: &str) -> f64 {
        self.0
            .get(&(name.to_owned(), labels.to_owned()))
            .copied()
            .unwrap_or_else(|| panic!("no {name} {{{labels}}} in {:#?}", self.0))
    }

    fn has(&self, name: &str) -> bool {
        self.0.keys().any(|(n, _)| n == name)
    }
}

/// Counts fetches; answers after `delay` with an hour-long token, or fails while `failing`.
#[derive(Clone, Default)]
struct Source {
    fetches: Arc<AtomicU32>,
    failing: Arc<AtomicU32>,
    delay: Duration,
}

impl TokenSource for Source {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        sleep(self.delay).await;
        if self.failing.load(Ordering::SeqCst) > 0 {
            self.failing.fetch_sub(1, Ordering::SeqCst);
            return Err(AuthError::refresh_failed("token endpoint answered 503"));
        }
        Token::builder(format!("access-{n}"))
            .expires_in(Duration::from_secs(3600))
            .build()
    }
}

fn cache(name: &str, source: Source) -> TokenCache<Source> {
    TokenCache::builder(source)
        .name(name)
        .refresh_ahead(Duration::ZERO)
        .build()
}

const CACHE: &str = "freshtoken.cache=tasks";

#[tokio::test(start_paused = true)]
async fn a_login_a_herd_and_cached_calls_record_what_they_did() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let mut seen = Seen::default();
    let _local = metrics::set_default_local_recorder(&recorder);
    let source = Source {
        delay: Duration::from_secs(2),
        ..Source::default()
    };
    let cache = cache("tasks", source);

    cache.token().await.unwrap();
    let login = seen.update(&snapshotter);
    let ok = "freshtoken.cache=tasks,freshtoken.outcome=success";
    assert_eq!(
        login.get(
            names::TOKEN_REFRESHES,
            &format!("{ok},freshtoken.reason=absent")
        ),
        1.0
    );
    assert_eq!(
        login.get(
            names::TOKEN_REQUEST_DURATION,
            "freshtoken.cache=tasks,freshtoken.grant_type=custom,freshtoken.outcome=success,freshtoken.reason=absent"
        ),
        1.0
    );
    assert_eq!(login.get(names::TOKEN_WAIT_DURATION, ok), 1.0);
    assert_eq!(login.get(names::TOKEN_REFRESH_FAILURES, CACHE), 0.0);
    assert_eq!(
        login.get(
            names::STORE_OPERATION_DURATION,
            "freshtoken.cache=tasks,freshtoken.operation=save,freshtoken.outcome=success"
        ),
        1.0
    );
    assert!(!login.has(names::TOKEN_COALESCED));
    assert!(
        !login.has(names::TOKEN_REMAINING_LIFETIME),
        "no token was replaced"
    );

    // Served from the cache: nothing recorded.
    for _ in 0..100 {
        cache.token().await.unwrap();
    }
    assert_eq!(seen.update(&snapshotter), login);

    // 100 callers on an expired token: one refresh, 99 joined it, 100 waited.
    advance(Duration::from_secs(3600)).await;
    let herd: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    for caller in herd {
        caller.await.unwrap().unwrap();
    }
    let after = seen.update(&snapshotter);
    assert_eq!(
        after.get(
            names::TOKEN_REFRESHES,
            &format!("{ok},freshtoken.reason=expired")
        ),
        1.0
    );
    assert_eq!(after.get(names::TOKEN_COALESCED, CACHE), 99.0);
    assert_eq!(after.get(names::TOKEN_WAIT_DURATION, ok), 101.0);
    assert_eq!(after.get(names::TOKEN_REMAINING_LIFETIME, CACHE), 1.0);
}

#[tokio::test(start_paused = true)]
async fn failures_in_a_row_are_a_gauge_and_the_error_kind_an_attribute() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let mut seen = Seen::default();
    let _local = metrics::set_default_local_recorder(&recorder);
    let source = Source::default();
    source.failing.store(2, Ordering::SeqCst);
    let cache = cache("tasks", source);

    cache.token().await.unwrap_err();
    let failed = seen.update(&snapshotter);
    let error = "freshtoken.cache=tasks,freshtoken.outcome=error";
    assert_eq!(failed.get(names::TOKEN_REFRESH_FAILURES, CACHE), 1.0);
    assert_eq!(
        failed.get(
            names::TOKEN_REQUEST_DURATION,
            "error.type=refresh_failed,freshtoken.cache=tasks,freshtoken.grant_type=custom,freshtoken.outcome=error,freshtoken.reason=absent,oauth.error=none"
        ),
        1.0
    );
    assert_eq!(failed.get(names::TOKEN_WAIT_DURATION, error), 1.0);

    advance(Duration::from_secs(2)).await;
    cache.token().await.unwrap_err();
    assert_eq!(
        seen.update(&snapshotter)
            .get(names::TOKEN_REFRESH_FAILURES, CACHE),
        2.0
    );
    advance(Duration::from_secs(5)).await;
    cache.token().await.unwrap();
    let recovered = seen.update(&snapshotter);
    assert_eq!(recovered.get(names::TOKEN_REFRESH_FAILURES, CACHE), 0.0);
    assert_eq!(
        recovered.get(
            names::TOKEN_REFRESHES,
            &format!("{error},freshtoken.reason=absent")
        ),
        2.0
    );
}

/// A store that fails every call while `down`.
#[derive(Clone, Default)]
struct Flaky {
    down: Arc<AtomicU32>,
}

impl TokenStore for Flaky {
    async fn load(&self) -> Result<Option<Token>, StoreError> {
        if self.down.load(Ordering::SeqCst) > 0 {
            return Err(StoreError::other("connection refused"));
        }
        Ok(None)
    }
    async fn save(&self, _: Option<&Token>, _: &Token) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) > 0 {
            return Err(StoreError::other("connection refused"));
        }
        Ok(())
    }
    async fn clear(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_store_outage_counts_once_and_its_calls_by_outcome() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let mut seen = Seen::default();
    let _local = metrics::set_default_local_recorder(&recorder);
    let store = Flaky::default();
    store.down.store(1, Ordering::SeqCst);
    let cache = TokenCache::builder(Source::default())
        .name("tasks")
        .store(store.clone())
        .build();

    for _ in 0..3 {
        cache.token().await.unwrap_err();
        advance(Duration::from_secs(120)).await;
    }
    let down = seen.update(&snapshotter);
    assert_eq!(down.get(names::STORE_OUTAGES, CACHE), 1.0);
    assert!(
        down.get(
            names::STORE_OPERATION_DURATION,
            "freshtoken.cache=tasks,freshtoken.operation=load,freshtoken.outcome=error"
        ) >= 3.0
    );

    store.down.store(0, Ordering::SeqCst);
    cache.token().await.unwrap();
    store.down.store(1, Ordering::SeqCst);
    cache.refresh().await.unwrap_err();
    // A second outage after the store answered again.
    assert_eq!(
        seen.update(&snapshotter).get(names::STORE_OUTAGES, CACHE),
        2.0
    );
}

#[test]
fn without_a_recorder_nothing_fails() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let cache = cache("quiet", Source::default());
        assert!(cache.token().await.is_ok());
        assert_eq!(cache.name(), "quiet");
    });
    super::describe();
}
