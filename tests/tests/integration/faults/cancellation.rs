//! Callers of a `#[refresh_token]` method dropped at random points while a slow refresh is
//! under way, the caller that started it among them, never leave the cache wedged: the refresh
//! finishes for nobody, once, and the next call is served. Real HTTP on 127.0.0.1 against
//! `ScriptedServer`, on tokio's paused clock.

use std::sync::atomic::AtomicU32;
use std::time::Duration;

use freshtoken_tests::faults::{
    CALLERS, ClockHold, FaultClient, SecretWatch, assert_all_succeeded, burst,
};
use freshtoken_tests::scripted::{Reply, ScriptedServer};
use tokio::task::JoinHandle;
use tokio::time::{Instant, advance};

/// How long the endpoint thinks before answering.
const REFRESH_TAKES: Duration = Duration::from_secs(2);

/// Starts `CALLERS` calls on a cache that must refresh through a slow endpoint, drops each
/// caller when `drop_at` (from the start, given the caller's index) says, and checks that
/// the cache ends with the one refreshed token and serves the next burst at once.
async fn cancel_callers(watch: &mut SecretWatch, drop_at: impl Fn(usize) -> Duration) {
    let server = ScriptedServer::start(Reply::Issue {
        expires_in: 3600,
        delay: REFRESH_TAKES,
    })
    .await;
    let client = FaultClient::new(&server, |cache| cache);
    let hold = ClockHold::new();
    let started = Instant::now();
    let spawn = |client: &FaultClient| {
        let client = client.clone();
        tokio::spawn(async move { client.list(&AtomicU32::new(0)).await })
    };

    // Caller 0 alone first, so that it is the one that starts the refresh.
    let first = spawn(&client);
    while client.source.calls().is_empty() {
        tokio::task::yield_now().await;
    }
    let mut callers: Vec<(Duration, JoinHandle<_>)> = vec![(drop_at(0), first)];
    callers.extend((1..CALLERS).map(|i| (drop_at(i), spawn(&client))));

    while !callers.is_empty() {
        let now = started.elapsed();
        callers.retain(|(at, caller)| {
            if *at <= now {
                caller.abort();
            }
            *at > now && !caller.is_finished()
        });
        advance(Duration::from_millis(10)).await;
    }
    // Let a refresh that outlived every caller finish.
    advance(REFRESH_TAKES).await;
    drop(hold);

    assert_eq!(
        server.token_hits().len(),
        1,
        "one refresh, finished for nobody"
    );
    let outcomes = burst(&client).await;
    assert_all_succeeded(&outcomes);
    assert_eq!(
        server.token_hits().len(),
        1,
        "the next burst is served the refreshed token"
    );
    assert_eq!(client.auth.stats().refreshes, 1);
    watch.show(&outcomes);
}

#[tokio::test(start_paused = true)]
async fn callers_dropped_at_random_points_of_a_slow_refresh_never_wedge_the_cache() {
    let mut watch = SecretWatch::start();
    for seed in 1..=3 {
        let mut rng = fastrand::Rng::with_seed(seed);
        // Before, during and after the refresh; the starter as soon as it started it.
        let points: Vec<Duration> = (0..CALLERS)
            .map(|i| match i {
                0 => Duration::ZERO,
                _ => Duration::from_millis(rng.u64(0..3_000)),
            })
            .collect();
        cancel_callers(&mut watch, |i| points[i]).await;
    }
    watch.assert_no_secret();
}

#[tokio::test(start_paused = true)]
async fn a_refresh_whose_callers_all_left_still_finishes_once() {
    let mut watch = SecretWatch::start();
    cancel_callers(&mut watch, |_| REFRESH_TAKES / 2).await;
    watch.assert_no_secret();
}
