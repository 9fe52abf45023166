// Input: sources whose tokens live for microseconds, fail, or need renewing on demand.
// Output: evidence that the cache's limits hold: no refresh loop, no silent repetition of an
// old failure, and a way for tests to force expiry.

use std::time::Duration;

use tokio::time::{Instant, sleep};

use super::tests::{Scripted, access, secs};
use crate::{AuthError, AuthErrorKind, TokenCache};

/// Runs callers back to back, each waiting 1 ms after its token, for `span`; returns how many
/// calls succeeded.
async fn call_continuously(cache: &TokenCache<Scripted>, span: Duration) -> u32 {
    let end = Instant::now() + span;
    let mut served = 0;
    while Instant::now() < end {
        cache.token().await.expect("every call gets a token");
        served += 1;
        sleep(Duration::from_millis(1)).await;
    }
    served
}

#[tokio::test(start_paused = true)]
async fn tokens_living_microseconds_cause_at_most_one_refresh_per_interval() {
    for lifetime in [
        Duration::from_micros(100),
        Duration::from_millis(2),
        Duration::from_millis(20),
    ] {
        let source = Scripted::new(lifetime);
        let cache = TokenCache::new(source.clone());
        let served = call_continuously(&cache, secs(10)).await;
        assert!(served > 0);
        // The default minimum interval is 1 s: at most one call per second, plus the first.
        assert!(
            source.calls() <= 11,
            "{lifetime:?} tokens: {} source calls in 10 s",
            source.calls()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_minimum_interval_can_be_set_and_turned_off() {
    let source = Scripted::new(Duration::from_millis(20));
    let cache = TokenCache::builder(source.clone())
        .min_refresh_interval(Duration::from_millis(100))
        .build();
    call_continuously(&cache, secs(1)).await;
    assert!((9..=11).contains(&source.calls()), "{}", source.calls());

    let unlimited = Scripted::new(Duration::from_millis(20));
    let cache = TokenCache::builder(unlimited.clone())
        .min_refresh_interval(Duration::ZERO)
        .build();
    call_continuously(&cache, secs(1)).await;
    // Each 20 ms token serves half its life: a refresh every 10 ms or so.
    assert!(unlimited.calls() > 50, "{}", unlimited.calls());
}

#[tokio::test(start_paused = true)]
async fn an_error_served_from_the_backoff_says_it_is_repeated_and_when_the_next_attempt_is() {
    let source = Scripted::hourly();
    source.then_fail(AuthError::refresh_failed("endpoint answered 503"));
    let cache = TokenCache::builder(source.clone())
        .backoff(secs(8), secs(60))
        .build();

    let first = cache.token().await.unwrap_err();
    assert_eq!(
        first.next_attempt_in(),
        None,
        "a fresh failure is not a repeat"
    );
    assert!(!first.to_string().contains("repeated"), "{first}");

    sleep(secs(1)).await;
    let again = cache.token().await.unwrap_err();
    assert_eq!(source.calls(), 1, "no new attempt during the backoff");
    assert!(matches!(again.kind(), AuthErrorKind::RefreshFailed { .. }));
    let next = again
        .next_attempt_in()
        .expect("says when the next attempt is");
    // Backoff of 8 s with jitter: between 4 s and 8 s after the failure, 1 s has passed.
    assert!(next >= secs(3) && next <= secs(7), "{next:?}");
    let message = again.to_string();
    assert!(message.contains("endpoint answered 503"), "{message}");
    assert!(
        message.contains("the last failure, repeated without a new attempt"),
        "{message}"
    );
    assert!(message.contains("the next attempt is in"), "{message}");
}

#[tokio::test(start_paused = true)]
async fn expire_now_makes_the_next_call_refresh_with_the_refresh_token() {
    let source = Scripted::hourly();
    let cache = TokenCache::new(source.clone());
    assert_eq!(access(&cache.token().await.unwrap()), "access-1");

    cache.expire_now();
    assert!(cache.fresh_token().is_none(), "the token counts as expired");
    assert_eq!(access(&cache.token().await.unwrap()), "access-2");
    assert_eq!(source.calls(), 2);
    assert_eq!(
        source.previous(),
        [None, Some("refresh-1".to_owned())],
        "the expired token's refresh token was used"
    );
}

/// A login that takes `takes`, and says it may take up to `bound`.
struct SlowLogin {
    takes: Duration,
    bound: Option<Duration>,
}

impl crate::TokenSource for SlowLogin {
    fn fetch_timeout(&self) -> Option<Duration> {
        self.bound
    }

    async fn fetch(&self, _previous: Option<&crate::Token>) -> Result<crate::Token, AuthError> {
        sleep(self.takes).await;
        crate::Token::builder("logged-in").build()
    }
}

#[tokio::test(start_paused = true)]
async fn a_source_whose_fetch_takes_longer_by_nature_gets_its_own_bound_not_the_refresh_timeout() {
    let login = |bound| SlowLogin {
        takes: Duration::from_secs(90),
        bound,
    };
    let interactive = TokenCache::new(login(Some(Duration::from_secs(300))));
    assert!(
        interactive.token().await.is_ok(),
        "a 90 s login within 300 s"
    );

    let plain = TokenCache::new(login(None));
    let error = plain.token().await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Timeout(limit) if *limit == Duration::from_secs(30)),
        "{error}"
    );
    // A bound shorter than the refresh timeout does not shorten it.
    let short = TokenCache::builder(SlowLogin {
        takes: Duration::from_secs(20),
        bound: Some(Duration::from_secs(5)),
    })
    .build();
    assert!(short.token().await.is_ok());
}
