// Input: a scripted token source and tokio's paused clock.
// Output: evidence for each promise `TokenCache` makes, one test each.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::{advance, sleep};

use crate::{AuthError, AuthErrorKind, RefreshReason, Token, TokenCache, TokenSource};

/// A source that counts its calls, takes `delay` to answer, hands out `access-N` /
/// `refresh-N`, and fails while its script says so.
#[derive(Clone)]
pub(super) struct Scripted(Arc<ScriptedInner>);

struct ScriptedInner {
    calls: AtomicU32,
    delay: Mutex<Duration>,
    lifetime: Duration,
    rotate: bool,
    /// Put before `access-N` and `refresh-N`, to tell two sources' tokens apart.
    prefix: &'static str,
    script: Mutex<VecDeque<AuthError>>,
    previous: Mutex<Vec<Option<String>>>,
}

impl Scripted {
    pub(super) fn new(lifetime: Duration) -> Self {
        Self(Arc::new(ScriptedInner {
            calls: AtomicU32::new(0),
            delay: Mutex::new(Duration::ZERO),
            lifetime,
            rotate: true,
            prefix: "",
            script: Mutex::new(VecDeque::new()),
            previous: Mutex::new(Vec::new()),
        }))
    }

    pub(super) fn hourly() -> Self {
        Self::new(Duration::from_secs(3600))
    }

    fn without_rotation(self) -> Self {
        let inner = Arc::into_inner(self.0).unwrap();
        Self(Arc::new(ScriptedInner {
            rotate: false,
            ..inner
        }))
    }

    fn named(self, prefix: &'static str) -> Self {
        let inner = Arc::into_inner(self.0).unwrap();
        Self(Arc::new(ScriptedInner { prefix, ..inner }))
    }

    pub(super) fn slow(self, delay: Duration) -> Self {
        *self.0.delay.lock().unwrap() = delay;
        self
    }

    pub(super) fn then_fail(&self, error: AuthError) {
        self.0.script.lock().unwrap().push_back(error);
    }

    pub(super) fn calls(&self) -> u32 {
        self.0.calls.load(Ordering::SeqCst)
    }

    /// The refresh token of `previous` at each call.
    pub(super) fn previous(&self) -> Vec<Option<String>> {
        self.0.previous.lock().unwrap().clone()
    }
}

impl TokenSource for Scripted {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        let n = self.0.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let previous = previous
            .and_then(Token::refresh_token)
            .map(|r| r.expose_secret().to_owned());
        self.0.previous.lock().unwrap().push(previous);
        let delay = *self.0.delay.lock().unwrap();
        sleep(delay).await;
        if let Some(error) = self.0.script.lock().unwrap().pop_front() {
            return Err(error);
        }
        let prefix = self.0.prefix;
        let mut token = Token::builder(format!("{prefix}access-{n}")).expires_in(self.0.lifetime);
        if self.0.rotate || n == 1 {
            token = token.refresh_token(format!("{prefix}refresh-{n}"));
        }
        token.build()
    }
}

pub(super) fn access(token: &Token) -> &str {
    token.access_token().expose_secret()
}

pub(super) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Polls a future once, the way a caller that never yields would see it.
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    pin!(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// A caller's task, as the tests spawn them.
pub(super) type Call = JoinHandle<Result<Arc<Token>, AuthError>>;

/// Starts `n` tasks, each running `call` on its own clone of the cache.
fn spawn_calls<F, Fut>(n: usize, cache: &TokenCache<Scripted>, call: F) -> Vec<Call>
where
    F: Fn(TokenCache<Scripted>) -> Fut,
    Fut: Future<Output = Result<Arc<Token>, AuthError>> + Send + 'static,
{
    (0..n).map(|_| tokio::spawn(call(cache.clone()))).collect()
}

/// Starts one task that asks for a token.
pub(super) fn spawn_token_call(cache: &TokenCache<Scripted>) -> Call {
    tokio::spawn(token_of(cache.clone()))
}

async fn token_of(cache: TokenCache<Scripted>) -> Result<Arc<Token>, AuthError> {
    cache.token().await
}

async fn refresh_of(cache: TokenCache<Scripted>) -> Result<Arc<Token>, AuthError> {
    cache.refresh().await
}

/// Waits for every call and returns what each got.
async fn outcomes(calls: Vec<Call>) -> Vec<Result<Arc<Token>, AuthError>> {
    let mut outcomes = Vec::with_capacity(calls.len());
    for call in calls {
        outcomes.push(call.await.unwrap());
    }
    outcomes
}

/// A cache without refresh-ahead, so that tests of the margin see only the margin.
fn cache_without_ahead(source: &Scripted) -> TokenCache<Scripted> {
    TokenCache::builder(source.clone())
        .refresh_ahead(Duration::ZERO)
        .build()
}

#[tokio::test(start_paused = true)]
async fn first_call_fetches_and_later_calls_reuse() {
    let source = Scripted::hourly();
    let cache = TokenCache::new(source.clone());
    let first = cache.token().await.unwrap();
    let second = cache.token().await.unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(source.calls(), 1);
    assert_eq!(source.previous(), [None]);
}

#[tokio::test(start_paused = true)]
async fn fresh_token_is_read_in_one_poll_while_a_refresh_is_running() {
    let source = Scripted::hourly().slow(secs(10));
    let cache = TokenCache::new(source.clone());
    cache.token().await.unwrap();
    // Put a slow refresh in flight, then read: no waiting on it.
    let forced = tokio::spawn(refresh_of(cache.clone()));
    tokio::task::yield_now().await;
    assert_eq!(source.calls(), 2, "the forced refresh is under way");
    let Poll::Ready(Ok(token)) = poll_once(cache.token()) else {
        panic!("a fresh token must be ready on the first poll");
    };
    assert_eq!(access(&token), "access-1");
    assert_eq!(access(&cache.fresh_token().unwrap()), "access-1");
    assert_eq!(access(&forced.await.unwrap().unwrap()), "access-2");
}

#[tokio::test(start_paused = true)]
async fn token_within_the_margin_is_refreshed_before_use() {
    let source = Scripted::hourly();
    let cache = cache_without_ahead(&source);
    cache.token().await.unwrap();
    advance(secs(3600 - 61)).await;
    assert_eq!(access(&cache.token().await.unwrap()), "access-1");
    advance(secs(2)).await; // now 59 s before expiry: inside the 60 s margin
    assert_eq!(access(&cache.token().await.unwrap()), "access-2");
    assert_eq!(source.calls(), 2);
    assert_eq!(
        cache.stats().waits,
        2,
        "the first call and the stale one waited"
    );
}

#[tokio::test(start_paused = true)]
async fn three_second_token_with_a_minute_margin_is_refreshed_every_one_and_a_half_seconds() {
    let source = Scripted::new(secs(3));
    let cache = TokenCache::builder(source.clone())
        .refresh_margin(secs(60))
        .build();
    for _ in 0..150 {
        cache.token().await.unwrap();
        advance(Duration::from_millis(100)).await;
    }
    // 15 s of calls every 100 ms: one refresh per 1.5 s is 10, not 150.
    let calls = source.calls();
    assert!((9..=11).contains(&calls), "{calls} refreshes in 15 s");
}

#[tokio::test(start_paused = true)]
async fn ageing_token_serves_while_one_background_refresh_runs() {
    let source = Scripted::hourly().slow(secs(5));
    let cache = TokenCache::new(source.clone()); // 60 s margin + 60 s ahead window
    cache.token().await.unwrap();
    advance(secs(3600 - 100)).await; // inside the window, outside the margin
    for _ in 0..10 {
        let Poll::Ready(Ok(token)) = poll_once(cache.token()) else {
            panic!("an ageing token must be served without waiting");
        };
        assert_eq!(access(&token), "access-1");
    }
    tokio::task::yield_now().await;
    assert_eq!(source.calls(), 2, "one background refresh for ten callers");
    sleep(secs(6)).await;
    assert_eq!(access(&cache.token().await.unwrap()), "access-2");
    assert_eq!(source.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn refresh_ahead_can_be_turned_off() {
    let source = Scripted::hourly();
    let cache = cache_without_ahead(&source);
    cache.token().await.unwrap();
    advance(secs(3600 - 100)).await;
    cache.token().await.unwrap();
    tokio::task::yield_now().await;
    assert_eq!(source.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn thousand_callers_at_expiry_cause_one_refresh_and_share_its_token() {
    let source = Scripted::hourly().slow(Duration::from_millis(50));
    let cache = TokenCache::new(source.clone());
    cache.token().await.unwrap();
    advance(secs(3600)).await;
    let calls = spawn_calls(1000, &cache, token_of);
    let tokens: Vec<_> = outcomes(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(source.calls(), 2);
    assert!(tokens.iter().all(|t| Arc::ptr_eq(t, &tokens[0])));
    assert_eq!(access(&tokens[0]), "access-2");
    assert_eq!(cache.stats().waits, 1001);
}

#[tokio::test(start_paused = true)]
async fn concurrent_forced_refreshes_share_one() {
    let source = Scripted::hourly().slow(secs(1));
    let cache = TokenCache::new(source.clone());
    for outcome in outcomes(spawn_calls(100, &cache, refresh_of)).await {
        assert_eq!(access(&outcome.unwrap()), "access-1");
    }
    assert_eq!(source.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn failed_refresh_fails_every_waiter_once_then_backs_off() {
    let source = Scripted::hourly().slow(secs(1));
    source.then_fail(AuthError::refresh_failed("token endpoint answered 503"));
    let cache = TokenCache::builder(source.clone())
        .backoff(secs(10), secs(60))
        .build();
    for outcome in outcomes(spawn_calls(100, &cache, token_of)).await {
        let error = outcome.unwrap_err();
        assert!(error.to_string().contains("503"), "{error}");
    }
    assert_eq!(source.calls(), 1, "one attempt for 100 waiters");

    // Within the backoff (jittered into [5 s, 10 s]): the last error at once, no attempt.
    advance(Duration::from_millis(4900)).await;
    let Poll::Ready(Err(error)) = poll_once(cache.token()) else {
        panic!("during the backoff a caller must fail at once");
    };
    assert!(error.to_string().contains("503"));
    assert_eq!(source.calls(), 1);

    advance(Duration::from_millis(5100)).await;
    assert_eq!(access(&cache.token().await.unwrap()), "access-2");
    assert_eq!(source.calls(), 2);
    assert_eq!(cache.stats().failures, 1);
}

#[tokio::test(start_paused = true)]
async fn retry_after_hint_delays_the_next_attempt() {
    let source = Scripted::hourly();
    source.then_fail(AuthError::refresh_failed("429").with_retry_after(secs(30)));
    let cache = TokenCache::builder(source.clone())
        .backoff(secs(1), secs(1))
        .build();
    cache.token().await.unwrap_err();
    advance(secs(29)).await;
    cache.token().await.unwrap_err();
    assert_eq!(source.calls(), 1, "no attempt before the hint");
    advance(secs(1)).await;
    cache.token().await.unwrap();
    assert_eq!(source.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn dead_credentials_stop_all_attempts_until_a_new_token_is_set() {
    let source = Scripted::hourly();
    source.then_fail(AuthError::reauthenticate("invalid_grant"));
    let cache = TokenCache::new(source.clone());
    let error = cache.token().await.unwrap_err();
    assert!(error.needs_reauthentication());
    advance(secs(86_400)).await;
    let error = cache.token().await.unwrap_err();
    assert!(matches!(
        error.kind(),
        AuthErrorKind::ReauthenticationRequired { .. }
    ));
    assert_eq!(source.calls(), 1);

    cache.set_token(
        Token::builder("after-login")
            .expires_in(secs(1))
            .refresh_token("login-refresh")
            .build()
            .unwrap(),
    );
    assert_eq!(access(&cache.token().await.unwrap()), "after-login");
    advance(secs(1)).await;
    assert_eq!(access(&cache.token().await.unwrap()), "access-2");
    assert_eq!(source.previous()[1].as_deref(), Some("login-refresh"));
}

#[tokio::test(start_paused = true)]
async fn cancelled_waiter_leaves_the_others_to_complete() {
    let source = Scripted::hourly().slow(secs(10));
    let cache = TokenCache::new(source.clone());
    let [first, second, third] = [(); 3].map(|()| spawn_token_call(&cache));
    tokio::task::yield_now().await;
    second.abort();
    assert!(second.await.unwrap_err().is_cancelled());
    assert_eq!(access(&first.await.unwrap().unwrap()), "access-1");
    assert_eq!(access(&third.await.unwrap().unwrap()), "access-1");
    assert_eq!(source.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn cancelling_the_caller_that_started_the_refresh_does_not_abort_it() {
    let source = Scripted::hourly().slow(secs(10));
    let cache = TokenCache::new(source.clone());
    let starter = spawn_token_call(&cache);
    tokio::task::yield_now().await;
    assert_eq!(source.calls(), 1);
    let waiter = spawn_token_call(&cache);
    starter.abort();
    assert!(starter.await.unwrap_err().is_cancelled());
    assert_eq!(access(&waiter.await.unwrap().unwrap()), "access-1");

    // Even with every caller gone, the refresh completes and its token is kept.
    let source = Scripted::hourly().slow(secs(10));
    let cache = TokenCache::new(source.clone());
    let lone = spawn_token_call(&cache);
    tokio::task::yield_now().await;
    lone.abort();
    sleep(secs(11)).await;
    assert_eq!(access(&cache.token().await.unwrap()), "access-1");
    assert_eq!(source.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn failing_refresh_ahead_keeps_the_valid_token_in_service() {
    let source = Scripted::hourly();
    let cache = TokenCache::builder(source.clone())
        .backoff(secs(1), secs(1))
        .build();
    cache.token().await.unwrap();
    for _ in 0..3 {
        source.then_fail(AuthError::refresh_failed("token endpoint down"));
    }
    advance(secs(3600 - 100)).await; // ageing: background refresh, which fails
    assert_eq!(access(&cache.token().await.unwrap()), "access-1");
    tokio::task::yield_now().await;
    assert_eq!(source.calls(), 2);
    assert_eq!(access(&cache.token().await.unwrap()), "access-1");

    // Even inside the margin, a failed refresh falls back to the still-valid token.
    advance(secs(50)).await;
    assert_eq!(access(&cache.token().await.unwrap()), "access-1");
    advance(secs(5)).await;
    assert_eq!(access(&cache.token().await.unwrap()), "access-1");
    assert_eq!(source.calls(), 4);

    // Once it has expired, the next attempt's token, or its error, is all there is.
    advance(secs(60)).await;
    assert_eq!(access(&cache.token().await.unwrap()), "access-5");
}

#[tokio::test(start_paused = true)]
async fn invalidating_an_old_token_keeps_the_new_one() {
    let source = Scripted::hourly();
    let cache = TokenCache::new(source.clone());
    let old = cache.token().await.unwrap();
    let new = cache.refresh().await.unwrap();
    assert!(!cache.invalidate(&old), "a late 401 for the old token");
    assert!(Arc::ptr_eq(&cache.token().await.unwrap(), &new));
    assert_eq!(source.calls(), 2);

    assert!(cache.invalidate(&new));
    assert!(cache.cached().is_none());
    assert_eq!(access(&cache.token().await.unwrap()), "access-3");
    assert_eq!(
        source.previous(),
        [None, Some("refresh-1".into()), Some("refresh-2".into())],
        "the invalidated token's refresh token is used"
    );
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_401s_causes_one_refresh() {
    let source = Scripted::hourly().slow(secs(1));
    let cache = TokenCache::new(source.clone());
    let used = cache.token().await.unwrap();
    let calls = spawn_calls(100, &cache, |cache| {
        let used = Arc::clone(&used);
        async move {
            cache.invalidate(&used);
            cache.token().await
        }
    });
    for outcome in outcomes(calls).await {
        assert_eq!(access(&outcome.unwrap()), "access-2");
    }
    assert_eq!(source.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn refresh_token_is_kept_when_the_new_token_has_none() {
    let source = Scripted::hourly().without_rotation();
    let cache = TokenCache::new(source.clone());
    cache.token().await.unwrap();
    let second = cache.refresh().await.unwrap();
    assert_eq!(second.refresh_token().unwrap().expose_secret(), "refresh-1");
    cache.refresh().await.unwrap();
    assert_eq!(
        source.previous(),
        [None, Some("refresh-1".into()), Some("refresh-1".into())]
    );
}

#[tokio::test(start_paused = true)]
async fn slow_source_times_out_at_the_refresh_timeout() {
    let source = Scripted::hourly().slow(secs(3600));
    let cache = TokenCache::builder(source.clone())
        .refresh_timeout(secs(5))
        .build();
    let started = tokio::time::Instant::now();
    let error = cache.token().await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Timeout(d) if *d == secs(5)),
        "{error}"
    );
    assert_eq!(started.elapsed(), secs(5));
    assert_eq!(cache.stats().failures, 1);
}

#[tokio::test(start_paused = true)]
async fn panicking_source_fails_its_waiters_and_does_not_wedge_the_cache() {
    let calls = Arc::new(AtomicU32::new(0));
    let source = crate::source_fn({
        let calls = Arc::clone(&calls);
        move |_previous| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(n != 0, "the first call panics");
                Token::builder("after-panic").build()
            }
        }
    });
    let cache = TokenCache::builder(source)
        .backoff(secs(1), secs(1))
        .build();
    let error = cache.token().await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::RefreshAborted),
        "{error}"
    );
    advance(secs(1)).await;
    assert_eq!(access(&cache.token().await.unwrap()), "after-panic");
}

#[tokio::test(start_paused = true)]
async fn already_expired_token_from_the_source_is_an_error_not_a_refresh_loop() {
    let source = crate::source_fn(|_previous| async {
        Token::builder("dead-on-arrival")
            .expires_in(Duration::ZERO)
            .build()
    });
    let cache = TokenCache::new(source);
    let error = cache.token().await.unwrap_err();
    assert!(error.to_string().contains("already expired"), "{error}");
    assert!(!error.to_string().contains("dead-on-arrival"));
    cache.token().await.unwrap_err();
    assert_eq!(
        cache.stats().refreshes,
        1,
        "the backoff holds the next attempt"
    );
}

#[tokio::test(start_paused = true)]
async fn set_token_during_a_refresh_is_not_overwritten_by_it() {
    let source = Scripted::hourly().slow(secs(10));
    let cache = TokenCache::new(source.clone());
    let waiter = spawn_token_call(&cache);
    tokio::task::yield_now().await;
    cache.set_token(Token::builder("logged-in").build().unwrap());
    assert_eq!(access(&waiter.await.unwrap().unwrap()), "access-1");
    assert_eq!(access(&cache.token().await.unwrap()), "logged-in");
}

#[tokio::test(start_paused = true)]
async fn reset_forgets_the_refresh_token() {
    let source = Scripted::hourly();
    let cache = TokenCache::new(source.clone());
    cache.token().await.unwrap();
    cache.reset();
    assert!(cache.cached().is_none());
    cache.token().await.unwrap();
    assert_eq!(source.previous(), [None, None]);
}

#[tokio::test(start_paused = true)]
async fn saved_expired_token_is_refreshed_with_its_refresh_token() {
    let source = Scripted::hourly();
    let saved = Token::builder("saved")
        .expires_in(Duration::ZERO)
        .refresh_token("saved-refresh")
        .build()
        .unwrap();
    let cache = TokenCache::builder(source.clone()).token(saved).build();
    assert_eq!(access(&cache.token().await.unwrap()), "access-1");
    assert_eq!(source.previous(), [Some("saved-refresh".into())]);
}

#[test]
fn outside_a_runtime_the_error_says_so() {
    let cache = TokenCache::new(Scripted::hourly());
    let Poll::Ready(Err(error)) = poll_once(cache.token()) else {
        panic!("expected an immediate error");
    };
    assert!(matches!(error.kind(), AuthErrorKind::NoRuntime), "{error}");
}

#[tokio::test(start_paused = true)]
async fn counters_count_refreshes_failures_and_waits() {
    let source = Scripted::hourly();
    source.then_fail(AuthError::refresh_failed("down"));
    let cache = TokenCache::builder(source.clone())
        .backoff(secs(1), secs(1))
        .build();
    cache.token().await.unwrap_err();
    advance(secs(1)).await;
    cache.token().await.unwrap();
    cache.token().await.unwrap();
    let stats = cache.stats();
    assert_eq!((stats.refreshes, stats.failures, stats.waits), (2, 1, 2));
}

#[test]
fn debug_output_holds_no_secret() {
    let token = Token::builder("access-SECRET")
        .refresh_token("refresh-SECRET")
        .build()
        .unwrap();
    let cache = TokenCache::builder(Scripted::hourly()).token(token).build();
    let debug = format!("{cache:?}");
    assert!(!debug.contains("SECRET"), "{debug}");
    assert!(debug.contains("refreshes"), "{debug}");
}

pub(super) mod tracing_events {
    use std::io::Write;

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    /// Collects formatted events in memory.
    #[derive(Clone, Default)]
    pub(in crate::cache) struct Captured(pub(in crate::cache) Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Self;
        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    /// This thread's events at `level` and above, written to the returned `Captured` while
    /// the guard lives (see `spans::capture::watch_this_thread` for why that needs care).
    pub(in crate::cache) fn capture(level: tracing::Level) -> (Captured, CaptureGuard) {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        (
            captured,
            crate::spans::capture::watch_this_thread(subscriber),
        )
    }

    pub(in crate::cache) use crate::spans::capture::CaptureGuard;

    #[tokio::test(start_paused = true)]
    async fn refresh_events_carry_reason_and_duration_but_no_secret() {
        let (captured, _guard) = capture(tracing::Level::TRACE);

        let source = Scripted::hourly().slow(Duration::from_millis(250));
        source.then_fail(AuthError::refresh_failed("endpoint down"));
        let cache = TokenCache::builder(source.clone())
            .backoff(secs(1), secs(1))
            .build();
        cache.token().await.unwrap_err();
        advance(secs(1)).await;
        let token = cache.token().await.unwrap();
        cache.invalidate(&token);
        cache.token().await.unwrap();
        cache.refresh().await.unwrap();

        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("token refresh failed"), "{log}");
        assert!(log.contains("reason=no_token"), "{log}");
        assert!(log.contains("endpoint down"), "{log}");
        assert!(log.contains("token refreshed"), "{log}");
        assert!(log.contains("elapsed_ms=250"), "{log}");
        assert!(log.contains("reason=unauthorized"), "{log}");
        assert!(log.contains("reason=forced"), "{log}");
        for secret in ["access-", "refresh-"] {
            assert!(!log.contains(secret), "{secret} leaked into: {log}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn background_and_expiry_refreshes_are_named() {
        let (captured, _guard) = capture(tracing::Level::INFO);

        let source = Scripted::hourly();
        let cache = TokenCache::new(source.clone());
        cache.token().await.unwrap();
        advance(secs(3600 - 100)).await;
        cache.token().await.unwrap();
        tokio::task::yield_now().await;
        advance(secs(3600)).await;
        cache.token().await.unwrap();

        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("reason=refresh_ahead"), "{log}");
        assert!(log.contains("reason=expired"), "{log}");
    }
}

#[test]
fn reasons_have_stable_names() {
    assert_eq!(RefreshReason::RefreshAhead.to_string(), "refresh_ahead");
}

#[test]
fn cache_is_cloneable_send_and_sync() {
    fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
    assert_shareable::<TokenCache<Scripted>>();
}

#[tokio::test(start_paused = true)]
async fn async_fns_and_async_closures_are_sources() {
    async fn login(_previous: Option<Token>) -> Result<Token, AuthError> {
        Token::builder("from-an-async-fn").build()
    }
    let cache = TokenCache::new(crate::source_fn(login));
    assert_eq!(access(&cache.token().await.unwrap()), "from-an-async-fn");

    let cache = TokenCache::new(crate::source_fn(async |_previous: Option<Token>| {
        Token::builder("from-an-async-closure").build()
    }));
    assert_eq!(
        access(&cache.token().await.unwrap()),
        "from-an-async-closure"
    );
}

#[tokio::test(start_paused = true)]
async fn attempts_against_a_failing_source_follow_the_backoff_schedule() {
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let source = crate::source_fn({
        let attempts = Arc::clone(&attempts);
        move |_previous| {
            attempts.lock().unwrap().push(tokio::time::Instant::now());
            async { Err::<Token, _>(AuthError::refresh_failed("token endpoint down")) }
        }
    });
    let cache = TokenCache::builder(source)
        .backoff(secs(1), secs(8))
        .build();
    for _ in 0..300 {
        cache.token().await.unwrap_err();
        advance(Duration::from_millis(100)).await;
    }
    let attempts = attempts.lock().unwrap();
    // Over 30 s: delays of 1, 2, 4, 8, 8... s, each jittered into its upper half.
    assert!(
        (6..=10).contains(&attempts.len()),
        "{} attempts",
        attempts.len()
    );
    for (k, pair) in attempts.windows(2).enumerate() {
        let full = secs(1 << k.min(3));
        let gap = pair[1] - pair[0];
        assert!(
            gap >= full / 2,
            "attempt {} came {gap:?} after the one before",
            k + 2
        );
        assert!(
            gap <= full + Duration::from_millis(100),
            "attempt {} waited {gap:?}",
            k + 2
        );
    }
}

#[tokio::test(start_paused = true)]
async fn after_five_failed_refreshes_in_a_row_the_error_says_the_login_may_be_dead() {
    let source = Scripted::hourly();
    let cache = TokenCache::new(source.clone());
    cache.token().await.unwrap();
    let mut errors = Vec::new();
    for _ in 0..5 {
        source.then_fail(AuthError::refresh_failed("token endpoint answered 500"));
        // Past any backoff, so that each call is a new attempt.
        sleep(secs(120)).await;
        errors.push(cache.refresh().await.unwrap_err());
    }
    let counts: Vec<u32> = errors.iter().map(AuthError::failures_in_a_row).collect();
    assert_eq!(counts, [1, 2, 3, 4, 5]);
    assert!(!errors[3].to_string().contains("reset"), "{}", errors[3]);
    let last = errors[4].to_string();
    assert!(last.contains("5 refreshes in a row have failed"), "{last}");
    assert!(
        last.contains("`TokenCache::reset` starts a new login"),
        "{last}"
    );
    assert!(errors[4].is_retryable(), "the cache goes on trying");
    // A success ends the count.
    sleep(secs(120)).await;
    cache.refresh().await.unwrap();
    source.then_fail(AuthError::refresh_failed("token endpoint answered 500"));
    sleep(secs(120)).await;
    assert_eq!(cache.refresh().await.unwrap_err().failures_in_a_row(), 1);
}

#[tokio::test(start_paused = true)]
async fn rejected_request_is_not_retried_either() {
    let source = Scripted::hourly();
    source.then_fail(AuthError::rejected("invalid_scope"));
    let cache = TokenCache::new(source.clone());
    let error = cache.token().await.unwrap_err();
    assert!(matches!(error.kind(), AuthErrorKind::Rejected { .. }) && !error.is_retryable());
    advance(secs(86_400)).await;
    let again = cache.token().await.unwrap_err();
    assert!(matches!(again.kind(), AuthErrorKind::Rejected { .. }));
    assert_eq!(source.calls(), 1);
}

mod with_store {
    use tokio::sync::Semaphore;

    use super::*;
    use crate::{FileStore, MemoryStore, OutagePolicy, StoreError, StoreLock, TokenStore};

    /// Records every save, and holds each save until the test lets it finish.
    struct GatedStore {
        saved: Mutex<Vec<Token>>,
        gate: Semaphore,
    }

    impl Default for GatedStore {
        fn default() -> Self {
            Self {
                saved: Mutex::default(),
                gate: Semaphore::new(0),
            }
        }
    }

    impl TokenStore for GatedStore {
        async fn load(&self) -> Result<Option<Token>, StoreError> {
            Ok(None)
        }

        async fn save(&self, _previous: Option<&Token>, new: &Token) -> Result<(), StoreError> {
            self.saved.lock().unwrap().push(new.clone());
            let _permit = self.gate.acquire().await.map_err(StoreError::other)?;
            Ok(())
        }

        async fn clear(&self) -> Result<(), StoreError> {
            Ok(())
        }
    }

    /// Fails at everything.
    struct BrokenStore(OutagePolicy);

    impl TokenStore for BrokenStore {
        fn outage_policy(&self) -> OutagePolicy {
            self.0
        }
        async fn load(&self) -> Result<Option<Token>, StoreError> {
            Err(StoreError::other("disk on fire"))
        }
        async fn save(&self, _: Option<&Token>, _: &Token) -> Result<(), StoreError> {
            Err(StoreError::other("disk on fire"))
        }
        async fn clear(&self) -> Result<(), StoreError> {
            Err(StoreError::other("disk on fire"))
        }
        async fn lock(&self) -> Result<StoreLock, StoreError> {
            Err(StoreError::other("disk on fire"))
        }
    }

    fn saved(access: &str, refresh: &str, lifetime: Duration) -> Token {
        Token::builder(access)
            .expires_in(lifetime)
            .refresh_token(refresh)
            .build()
            .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn rotated_refresh_token_reaches_the_store_before_the_caller_gets_the_token() {
        let store = Arc::new(GatedStore::default());
        let cache = TokenCache::builder(Scripted::hourly())
            .store(Arc::clone(&store))
            .build();
        let caller = spawn_token_call(&cache);
        while store.saved.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
        let in_store = store.saved.lock().unwrap()[0].clone();
        assert_eq!(
            in_store.refresh_token().unwrap().expose_secret(),
            "refresh-1"
        );
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(
            !caller.is_finished(),
            "nobody gets the token before the store has it"
        );
        assert!(cache.fresh_token().is_none());

        store.gate.add_permits(1);
        let token = caller.await.unwrap().unwrap();
        assert!(token.same_secrets(&in_store));
    }

    #[tokio::test(start_paused = true)]
    async fn a_fresh_saved_token_is_used_without_calling_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("token.json"));
        store
            .save(None, &saved("from-last-run", "r0", secs(3600)))
            .await
            .unwrap();
        let source = Scripted::hourly();
        let cache = TokenCache::builder(source.clone()).store(store).build();
        assert_eq!(access(&cache.token().await.unwrap()), "from-last-run");
        assert_eq!(source.calls(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn an_expired_saved_token_is_refreshed_with_its_refresh_token_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("token.json"));
        store
            .save(None, &saved("old", "saved-refresh", Duration::ZERO))
            .await
            .unwrap();
        let source = Scripted::hourly();
        let cache = TokenCache::builder(source.clone())
            .store(store.clone())
            .build();
        assert_eq!(access(&cache.token().await.unwrap()), "access-1");
        assert_eq!(source.previous(), [Some("saved-refresh".into())]);
        let on_disk = store.load().await.unwrap().unwrap();
        assert_eq!(
            on_disk.refresh_token().unwrap().expose_secret(),
            "refresh-1"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn caches_sharing_a_store_adopt_each_others_tokens() {
        let store = Arc::new(MemoryStore::default());
        let (source_a, source_b) = (Scripted::hourly(), Scripted::hourly().named("b-"));
        let a = TokenCache::builder(source_a.clone())
            .store(Arc::clone(&store))
            .build();
        let b = TokenCache::builder(source_b.clone())
            .store(Arc::clone(&store))
            .build();

        let first = a.token().await.unwrap();
        assert!(
            b.token().await.unwrap().same_secrets(&first),
            "b adopts a's token"
        );
        assert_eq!((source_a.calls(), source_b.calls()), (1, 0));

        let second = b.refresh().await.unwrap();
        assert_eq!(source_b.previous(), [Some("refresh-1".into())]);
        assert!(a.invalidate(&first));
        assert!(
            a.token().await.unwrap().same_secrets(&second),
            "a adopts b's token"
        );
        assert_eq!((source_a.calls(), source_b.calls()), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn reset_ignores_the_store_and_replaces_its_token() {
        let store = Arc::new(MemoryStore::default());
        let source = Scripted::hourly();
        let cache = TokenCache::builder(source.clone())
            .store(Arc::clone(&store))
            .build();
        cache.token().await.unwrap();
        cache.reset();
        assert_eq!(access(&cache.token().await.unwrap()), "access-2");
        assert_eq!(
            source.previous(),
            [None, None],
            "a full login, not the stored token"
        );
        let stored = store.load().await.unwrap().unwrap();
        assert_eq!(stored.access_token().expose_secret(), "access-2");
    }

    #[tokio::test(start_paused = true)]
    async fn a_broken_store_refreshing_alone_never_fails_the_caller() {
        let source = Scripted::hourly();
        let cache = TokenCache::builder(source.clone())
            .store(BrokenStore(OutagePolicy::RefreshAlone))
            .build();
        assert_eq!(access(&cache.token().await.unwrap()), "access-1");
        assert_eq!(access(&cache.refresh().await.unwrap()), "access-2");
    }

    #[tokio::test(start_paused = true)]
    async fn a_broken_store_waited_for_gives_a_retryable_store_error_and_asks_no_source() {
        let source = Scripted::hourly();
        let cache = TokenCache::builder(source.clone())
            .store(BrokenStore(OutagePolicy::WaitForStore))
            .build();
        let error = cache.token().await.unwrap_err();
        assert!(
            matches!(error.kind(), AuthErrorKind::Store { .. }),
            "{error}"
        );
        assert!(error.is_retryable());
        assert!(error.to_string().contains("disk on fire"), "{error}");
        assert_eq!(source.calls(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_corrupt_file_is_reported_and_then_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token.json");
        std::fs::write(&path, "not json").unwrap();
        let store = FileStore::new(&path);
        let cache = TokenCache::builder(Scripted::hourly())
            .store(store.clone())
            .build();
        assert_eq!(access(&cache.token().await.unwrap()), "access-1");
        let on_disk = store.load().await.unwrap().unwrap();
        assert_eq!(on_disk.access_token().expose_secret(), "access-1");
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_refresh_token_is_forgotten_by_the_store() {
        let store = Arc::new(MemoryStore::default());
        let source = Scripted::new(secs(60));
        let cache = TokenCache::builder(source.clone())
            .store(Arc::clone(&store))
            .build();
        cache.token().await.unwrap();
        source.then_fail(AuthError::reauthenticate("invalid_grant"));
        cache.refresh().await.unwrap_err();
        assert!(store.load().await.unwrap().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn save_token_persists_a_login() {
        let store = Arc::new(MemoryStore::default());
        let source = Scripted::hourly();
        let cache = TokenCache::builder(source.clone())
            .store(Arc::clone(&store))
            .build();
        cache
            .save_token(saved("logged-in", "login-refresh", secs(3600)))
            .await
            .unwrap();
        assert_eq!(access(&cache.token().await.unwrap()), "logged-in");
        let stored = store.load().await.unwrap().unwrap();
        assert_eq!(stored.access_token().expose_secret(), "logged-in");
        assert_eq!(source.calls(), 0);
    }
}

/// Calls `fresh_token()` `calls` times on a plain thread inside the test's runtime (so it
/// reads the paused clock) while the test holds the state lock; `None` if the calls did not
/// finish within 10 s, i.e. they waited for the lock.
fn fresh_tokens_while_the_state_is_locked(
    cache: &TokenCache<Scripted>,
    calls: usize,
) -> Option<Vec<Option<Arc<Token>>>> {
    let held = cache.shared.lock();
    let runtime = tokio::runtime::Handle::current();
    let reader = cache.clone();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _runtime = runtime.enter();
        let tokens: Vec<_> = (0..calls).map(|_| reader.fresh_token()).collect();
        let _ = sender.send(tokens);
    });
    // A real-time bound, only so a regression fails instead of hanging; the thread ends
    // once `held` is dropped.
    let tokens = receiver.recv_timeout(Duration::from_secs(10)).ok();
    drop(held);
    tokens
}

#[tokio::test(start_paused = true)]
async fn ageing_token_is_read_without_the_state_lock_while_a_refresh_runs() {
    let source = Scripted::hourly();
    let cache = TokenCache::new(source.clone());
    cache.token().await.unwrap();
    source.clone().slow(secs(20)); // the background refresh outlasts the test
    advance(secs(3600 - 100)).await; // ageing
    assert!(cache.fresh_token().is_some());
    tokio::task::yield_now().await;
    assert_eq!(source.calls(), 2, "the background refresh is under way");

    let tokens = fresh_tokens_while_the_state_is_locked(&cache, 1000)
        .expect("fresh_token() waited for the state lock while a refresh was running");
    assert!(tokens.iter().flatten().all(|t| access(t) == "access-1"));
    assert_eq!(tokens.iter().flatten().count(), 1000);
    assert_eq!(source.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn ageing_token_is_read_without_the_state_lock_during_a_backoff_and_renewed_after_it() {
    let source = Scripted::hourly();
    let cache = TokenCache::new(source.clone());
    cache.token().await.unwrap();
    source.then_fail(AuthError::refresh_failed("down").with_retry_after(secs(30)));
    advance(secs(3600 - 110)).await; // ageing, with 50 s left before the margin
    assert!(cache.fresh_token().is_some());
    sleep(Duration::from_millis(1)).await;
    assert_eq!(source.calls(), 2, "the background refresh ran and failed");

    let tokens = fresh_tokens_while_the_state_is_locked(&cache, 1000)
        .expect("fresh_token() waited for the state lock during a backoff");
    assert_eq!(tokens.iter().flatten().count(), 1000);

    advance(secs(30)).await; // the backoff is over: the next read starts a refresh
    assert_eq!(access(&cache.fresh_token().unwrap()), "access-1");
    sleep(Duration::from_millis(1)).await;
    assert_eq!(source.calls(), 3);
    assert_eq!(access(&cache.fresh_token().unwrap()), "access-3");
}

#[tokio::test(start_paused = true)]
async fn set_token_reopens_refresh_ahead_closed_by_a_running_refresh() {
    let source = Scripted::hourly();
    let cache = TokenCache::new(source.clone());
    cache.token().await.unwrap();
    source.clone().slow(secs(20));
    // The background refresh fails (after `set_token`, so it changes nothing) and saves no
    // token to the store that the next refresh could adopt.
    source.then_fail(AuthError::refresh_failed("down"));
    advance(secs(3600 - 100)).await;
    assert!(cache.fresh_token().is_some());
    tokio::task::yield_now().await;
    assert_eq!(source.calls(), 2);
    // The running refresh no longer counts; an ageing token set now is renewed at once.
    cache.set_token(
        Token::builder("set")
            .expires_in(secs(200)) // ageing from 100 s before its expiry
            .build()
            .unwrap(),
    );
    advance(secs(101)).await;
    assert_eq!(access(&cache.fresh_token().unwrap()), "set");
    tokio::task::yield_now().await;
    assert_eq!(source.calls(), 3, "the ageing token set is renewed");
}

#[tokio::test(start_paused = true)]
async fn a_token_future_made_before_expiry_and_awaited_after_it_gets_a_fresh_token() {
    let source = Scripted::hourly();
    let cache = TokenCache::new(source.clone());
    cache.token().await.unwrap();
    let future = cache.token();
    advance(secs(3600)).await;
    let token = future.await.unwrap();
    assert_eq!(access(&token), "access-2", "not the token that expired");
    assert!(!token.is_expired());
}

#[tokio::test(start_paused = true)]
async fn a_refresh_future_starts_its_refresh_when_first_polled() {
    let source = Scripted::hourly();
    let cache = TokenCache::new(source.clone());
    cache.token().await.unwrap();
    let forced = cache.refresh();
    tokio::task::yield_now().await;
    assert_eq!(
        source.calls(),
        1,
        "nothing happens before the future is polled"
    );
    assert_eq!(access(&forced.await.unwrap()), "access-2");
}

#[test]
fn block_on_of_a_token_future_made_outside_the_runtime_refreshes() {
    let outcome = std::thread::spawn(|| {
        let expired = Token::builder("expired")
            .expires_in(Duration::ZERO)
            .refresh_token("old-refresh")
            .build()
            .unwrap();
        let cache = TokenCache::builder(Scripted::hourly())
            .token(expired)
            .build();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let future = cache.token(); // made outside the runtime
        rt.block_on(future).map(|token| access(&token).to_owned())
    })
    .join()
    .unwrap();
    assert_eq!(outcome.unwrap(), "access-1");
}

#[test]
fn token_future_is_send_and_debug_shows_its_state() {
    fn assert_send<T: Send>(_: &T) {}
    let token = Token::builder("access-SECRET").build().unwrap();
    let cache = TokenCache::builder(Scripted::hourly()).token(token).build();
    let future = cache.token();
    assert_send(&future);
    let debug = format!("{future:?}");
    assert!(!debug.contains("SECRET"), "{debug}");
    assert!(debug.starts_with("TokenFuture"), "{debug}");
}

#[tokio::test(start_paused = true)]
async fn a_completed_token_future_stays_pending_when_polled_again() {
    let cache = TokenCache::new(Scripted::hourly().slow(secs(1)));
    let mut cx = Context::from_waker(Waker::noop());

    let mut waited = pin!(cache.token());
    assert_eq!(access(&(&mut waited).await.unwrap()), "access-1");
    assert!(waited.as_mut().poll(&mut cx).is_pending(), "after a wait");

    let mut fresh = pin!(cache.token());
    assert!(matches!(fresh.as_mut().poll(&mut cx), Poll::Ready(Ok(_))));
    assert!(
        fresh.as_mut().poll(&mut cx).is_pending(),
        "after the fast path"
    );

    cache.close().await;
    let mut closed = pin!(cache.token());
    assert!(
        matches!(closed.as_mut().poll(&mut cx), Poll::Ready(Err(e)) if matches!(e.kind(), AuthErrorKind::Closed))
    );
    assert!(
        closed.as_mut().poll(&mut cx).is_pending(),
        "after a known error"
    );
}
