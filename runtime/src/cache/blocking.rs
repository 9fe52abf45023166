// Input: a caller on a plain thread (no tokio runtime) that needs a token.
// Output: the token, the thread parked meanwhile; or a clear error, never a hang.
//
// The waiting side of the cache needs no runtime: the refresh runs as a task on the cache's
// runtime (`flight.rs`), and a waiter only watches a `tokio::sync::watch` channel, which wakes
// any waker. So a plain thread polls the ordinary `token()` future with a waker that unparks
// it. Two things could still hang it, and both are errors instead:
// - on a thread of a tokio runtime, the refresh may need the very thread that is parked (a
//   current-thread runtime, or every worker blocked): refused at once;
// - a runtime that runs no tasks (a current-thread runtime nobody is inside `block_on` of)
//   never finishes the refresh: the wait is bounded by the cache's own timeouts, twice over.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use super::TokenCache;
use super::config::Config;
use crate::{AuthError, AuthErrorKind, Token, TokenSource};

impl<S: TokenSource> TokenCache<S> {
    /// A usable token, for code with no tokio runtime: a `reqwest::blocking` or ureq client, a
    /// CLI with a plain `fn main`. It is [`token`](Self::token) waited for on this thread: a
    /// fresh token comes back at once; otherwise the thread sleeps until the one refresh
    /// (shared with every other caller, blocking or async) ends.
    ///
    /// The refresh runs on the cache's runtime: the one it was built in, the one given with
    /// [`TokenCacheBuilder::runtime`](crate::TokenCacheBuilder::runtime), or a runtime of its
    /// own ([`TokenCacheBuilder::build_with_own_runtime`](crate::TokenCacheBuilder::build_with_own_runtime)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use freshtoken::{Token, TokenCache, source_fn};
    ///
    /// fn main() -> Result<(), Box<dyn std::error::Error>> {
    ///     let cache = TokenCache::builder(source_fn(|_previous| async {
    ///         Token::builder("access").expires_in(Duration::from_secs(3600)).build()
    ///     }))
    ///     .build_with_own_runtime()?; // no runtime in this program: the cache brings one
    ///
    ///     let token = cache.blocking_token()?;
    ///     // With ureq or `reqwest::blocking`: set the header and send.
    ///     let header = token.authorization(); // `Bearer access`
    ///     # assert_eq!(header.to_str()?, "Bearer access");
    ///     Ok(())
    /// }
    /// ```
    ///
    /// # Errors
    /// The errors of [`token`](Self::token), and:
    /// - [`AuthErrorKind::BlockingInAsyncContext`] at once, on a thread of a tokio runtime
    ///   (async code, `spawn_blocking`, under `Runtime::enter`), even when the token is fresh:
    ///   there, use `token().await`;
    /// - [`AuthErrorKind::NoRuntime`] when the cache has no runtime to refresh on;
    /// - [`AuthErrorKind::RefreshNotRunning`] when the refresh has not ended after twice the
    ///   longest its timeouts allow (the cache's runtime runs no tasks).
    pub fn blocking_token(&self) -> Result<Arc<Token>, AuthError> {
        refuse_in_runtime()?;
        if let Some(token) = self.fresh_token() {
            return Ok(token);
        }
        let limit = longest_wait(&self.shared.config);
        block_on(self.token(), limit)
            .unwrap_or_else(|| Err(AuthErrorKind::RefreshNotRunning(limit).into()))
    }

    /// [`step_up_for`](Self::step_up_for) waited for on this thread: the second attempt of a
    /// blocking `#[refresh_token]` fn after a 403 `insufficient_scope`.
    pub(crate) fn blocking_step_up(
        &self,
        used: &Token,
        scopes: Vec<String>,
    ) -> Result<Arc<Token>, AuthError> {
        refuse_in_runtime()?;
        let limit = longest_wait(&self.shared.config);
        block_on(self.step_up_for(used, scopes), limit)
            .unwrap_or_else(|| Err(AuthErrorKind::RefreshNotRunning(limit).into()))
    }

    /// [`close`](Self::close) for code with no tokio runtime: waits, on this thread, for a
    /// refresh under way and its save to the store, then closes the cache. A CLI with a plain
    /// `fn main` calls it before returning, so a refresh token the server has just rotated is
    /// not lost.
    ///
    /// # Errors
    /// [`AuthErrorKind::BlockingInAsyncContext`] on a thread of a tokio runtime (use
    /// `close().await` there; the cache is not closed), and
    /// [`AuthErrorKind::RefreshNotRunning`] if the refresh under way does not end within twice
    /// its timeouts (the cache is closed all the same).
    pub fn blocking_close(&self) -> Result<(), AuthError> {
        refuse_in_runtime()?;
        let limit = longest_wait(&self.shared.config);
        block_on(self.close(), limit).ok_or_else(|| AuthErrorKind::RefreshNotRunning(limit).into())
    }
}

/// The error for a blocking call on a thread of a tokio runtime.
///
/// Tokio tells only whether a runtime is current, not whether this thread drives its tasks, so
/// `spawn_blocking` threads are refused too: a refresh needs a thread that is not waiting.
fn refuse_in_runtime() -> Result<(), AuthError> {
    match Handle::try_current() {
        Ok(_) => Err(AuthErrorKind::BlockingInAsyncContext.into()),
        Err(_) => Ok(()),
    }
}

/// How long a blocking caller waits at most: the longest one refresh can take by the cache's
/// timeouts (a look at the store for a new login, the store's lock, a load, the minimum
/// interval, the source, the save), twice (a waiter whose refresh was aborted starts
/// another), and a second for the scheduling between them.
fn longest_wait(config: &Config) -> Duration {
    let lock = config.refresh_timeout.max(config.store_timeout);
    let one_refresh = [
        config.store_timeout,
        lock,
        config.store_timeout,
        config.min_refresh_interval,
        config.refresh_timeout,
        config.store_timeout,
    ]
    .into_iter()
    .fold(Duration::ZERO, Duration::saturating_add);
    one_refresh
        .saturating_mul(2)
        .saturating_add(Duration::from_secs(1))
}

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread, parked between polls, for at most `limit`; `None` if it
/// did not finish by then.
fn block_on<F: Future>(future: F, limit: Duration) -> Option<F::Output> {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    // A limit too far away to add is no limit.
    let deadline = Instant::now().checked_add(limit);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
        // Woken early or spuriously, the loop polls again; the future decides.
        match deadline.map(|deadline| deadline.saturating_duration_since(Instant::now())) {
            Some(Duration::ZERO) => return None,
            Some(left) => thread::park_timeout(left),
            None => thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::source_fn;

    fn counting_cache(runtime: Handle) -> (TokenCache<impl TokenSource>, Arc<AtomicU32>) {
        let issued = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&issued);
        let cache = TokenCache::builder(source_fn(move |_previous| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                Token::builder(format!("t{n}"))
                    .expires_in(Duration::from_secs(3600))
                    .build()
            }
        }))
        .runtime(runtime)
        .build();
        (cache, issued)
    }

    fn multi_thread_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn a_plain_thread_gets_a_token_then_the_cached_one() {
        let runtime = multi_thread_runtime();
        let (cache, issued) = counting_cache(runtime.handle().clone());
        let first = cache.blocking_token().unwrap();
        let second = cache.blocking_token().unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(first.access_token().expose_secret(), "t1");
        assert_eq!(issued.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn inside_a_runtime_the_blocking_call_is_refused_even_with_a_fresh_token() {
        let (cache, issued) = counting_cache(Handle::current());
        cache.token().await.unwrap();
        let error = cache.blocking_token().unwrap_err();
        assert!(
            matches!(error.kind(), AuthErrorKind::BlockingInAsyncContext),
            "{error}"
        );
        assert!(error.to_string().contains("token().await"), "{error}");
        let error = cache.blocking_close().unwrap_err();
        assert!(matches!(
            error.kind(),
            AuthErrorKind::BlockingInAsyncContext
        ));
        cache
            .token()
            .await
            .expect("the refused close did not close");
        assert_eq!(issued.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn without_a_runtime_the_error_names_the_ways_to_give_one() {
        let cache = TokenCache::new(source_fn(|_previous| async { Token::builder("t").build() }));
        let error = cache.blocking_token().unwrap_err();
        assert!(matches!(error.kind(), AuthErrorKind::NoRuntime), "{error}");
        assert!(
            error.to_string().contains("build_with_own_runtime"),
            "{error}"
        );
    }

    #[test]
    fn a_runtime_that_runs_no_tasks_ends_the_wait_with_an_error() {
        // Nobody is inside this current-thread runtime's `block_on`: the refresh never runs.
        let idle = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let cache =
            TokenCache::builder(source_fn(|_previous| async { Token::builder("t").build() }))
                .refresh_timeout(Duration::from_millis(1))
                .store_timeout(Duration::from_millis(1))
                .min_refresh_interval(Duration::ZERO)
                .runtime(idle.handle().clone())
                .build();
        let error = cache.blocking_token().unwrap_err();
        let AuthErrorKind::RefreshNotRunning(waited) = error.kind() else {
            panic!("expected RefreshNotRunning, got {error}");
        };
        assert_eq!(*waited, longest_wait(&cache.shared.config));
        assert!(error.to_string().contains("block_on"), "{error}");
    }

    /// Sends on its channel when dropped.
    struct DropSignal(std::sync::mpsc::Sender<()>);

    impl Drop for DropSignal {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }

    #[test]
    fn a_cache_with_its_own_runtime_serves_a_plain_thread_and_stops_it_when_dropped() {
        let (dropped, runtime_stopped) = std::sync::mpsc::channel();
        let cache = TokenCache::builder(source_fn(move |_previous| {
            // A task that never ends by itself: it ends when its runtime does.
            let signal = DropSignal(dropped.clone());
            tokio::spawn(async move {
                let _signal = signal;
                std::future::pending::<()>().await;
            });
            async { Token::builder("own").build() }
        }))
        .build_with_own_runtime()
        .unwrap();
        let token = cache.blocking_token().unwrap();
        assert_eq!(token.access_token().expose_secret(), "own");
        assert_eq!(
            runtime_stopped.try_recv(),
            Err(std::sync::mpsc::TryRecvError::Empty),
            "the runtime runs while the cache lives"
        );
        drop(cache);
        runtime_stopped
            .recv_timeout(Duration::from_secs(10))
            .expect("the cache's runtime should stop with the cache");
    }

    #[test]
    fn the_longest_wait_is_twice_one_refresh_and_a_second() {
        let config = Config::default();
        // Store 10 s, refresh 30 s, interval 1 s: 10 + 30 + 10 + 1 + 30 + 10 = 91 s.
        assert_eq!(longest_wait(&config), Duration::from_secs(183));
        let huge = Config {
            refresh_timeout: Duration::MAX,
            ..Config::default()
        };
        assert_eq!(longest_wait(&huge), Duration::MAX);
    }

    #[test]
    fn block_on_returns_none_at_the_limit_and_the_output_when_ready() {
        assert_eq!(block_on(std::future::pending::<()>(), Duration::ZERO), None);
        assert_eq!(block_on(async { 7 }, Duration::ZERO), Some(7));
    }
}
