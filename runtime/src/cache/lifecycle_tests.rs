// Input: caches used across runtimes, from plain threads, at shutdown, on a runtime without
// timers, and by a source that calls back into its own cache.
// Output: evidence that none of these loses a token, fails a caller for nothing, panics or
// hangs.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use tokio::runtime::{Builder, Runtime};
use tokio::sync::Semaphore;

use super::store_race_tests::HeldSource;
use super::tests::{Scripted, access};
use crate::{AuthError, AuthErrorKind, FileStore, Token, TokenCache, TokenSource, TokenStore};

fn runtime() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// Polls `future` to completion on this thread, with no tokio runtime around it (as a
/// `reqwest::blocking`-style caller or another executor would).
fn block_on_without_tokio<F: Future>(future: F) -> F::Output {
    struct Unpark(thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        thread::park();
    }
}

/// Its first call never answers (and signals that it started); later calls answer at once.
struct FirstCallHangs {
    calls: AtomicU32,
    started: Semaphore,
}

impl TokenSource for Arc<FirstCallHangs> {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n == 1 {
            self.started.add_permits(1);
            std::future::pending::<()>().await;
        }
        Token::builder(format!("access-{n}"))
            .expires_in(Duration::from_secs(3600))
            .build()
    }
}

#[test]
fn a_runtime_shutting_down_mid_refresh_fails_no_caller_on_another_runtime() {
    let source = Arc::new(FirstCallHangs {
        calls: AtomicU32::new(0),
        started: Semaphore::new(0),
    });
    let cache = TokenCache::builder(Arc::clone(&source)).build();

    // A `#[tokio::test]` on runtime A starts the refresh...
    let runtime_a = runtime();
    runtime_a.block_on(async {
        let cache = cache.clone();
        drop(tokio::spawn(async move { cache.token().await }));
        source.started.acquire().await.unwrap().forget();
    });
    // ...another, on runtime B, waits for it...
    let waiting = thread::spawn({
        let cache = cache.clone();
        move || runtime().block_on(async { cache.token().await })
    });
    for _ in 0..10_000 {
        if cache.stats().waits >= 2 {
            break;
        }
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(cache.stats().waits, 2, "the caller on runtime B is waiting");
    // ...and test A ends: its runtime shuts down with the refresh in it.
    drop(runtime_a);

    let token = waiting.join().unwrap().expect("B's caller gets a token");
    assert_eq!(access(&token), "access-2", "refreshed anew on runtime B");
    assert_eq!(cache.stats().failures, 0, "an abort is not a failure");
    let later = runtime().block_on(async { cache.token().await });
    assert!(later.is_ok(), "no backoff either: {later:?}");
}

#[test]
fn a_thread_without_a_runtime_gets_a_token_from_the_runtime_the_cache_was_built_on() {
    let runtime = Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let source = Scripted::hourly();
    let cache = {
        let _entered = runtime.enter();
        TokenCache::new(source.clone())
    };
    let token = thread::spawn({
        let cache = cache.clone();
        move || block_on_without_tokio(cache.token())
    })
    .join()
    .unwrap()
    .expect("the refresh runs on the cache's runtime");
    assert_eq!(access(&token), "access-1");

    // Built outside any runtime, and given one.
    let given = TokenCache::builder(Scripted::hourly())
        .runtime(runtime.handle().clone())
        .build();
    let token = thread::spawn(move || block_on_without_tokio(given.token()))
        .join()
        .unwrap();
    assert!(token.is_ok(), "{token:?}");
}

#[test]
fn a_runtime_without_timers_gets_a_clear_error_not_a_panic() {
    let runtime = Builder::new_current_thread().build().unwrap();
    let cache = TokenCache::new(Scripted::hourly());
    let error = runtime.block_on(async { cache.token().await }).unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::NoTimeDriver),
        "{error:?}"
    );
    assert!(error.to_string().contains("enable_time"), "{error}");
    assert!(!error.is_retryable());
}

/// A source that gets its token from the cache it fills (through an SDK client that uses the
/// cache, in real code).
struct CallsItsOwnCache {
    cache: Arc<OnceLock<TokenCache<CallsItsOwnCache>>>,
}

impl TokenSource for CallsItsOwnCache {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        let cache = self.cache.get().expect("set before first use");
        let token = cache.token().await?;
        Ok(Token::clone(&token))
    }
}

#[tokio::test(start_paused = true)]
async fn a_source_that_calls_its_own_cache_fails_at_once_and_says_why() {
    let slot = Arc::new(OnceLock::new());
    let cache = TokenCache::new(CallsItsOwnCache {
        cache: Arc::clone(&slot),
    });
    assert!(slot.set(cache.clone()).is_ok());

    let started = tokio::time::Instant::now();
    let error = cache.token().await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::ZERO, "no wait for the timeout");
    assert!(
        matches!(error.kind(), AuthErrorKind::SourceUsesOwnCache),
        "{error:?}"
    );
    assert!(error.to_string().contains("the cache it fills"), "{error}");
}

#[test]
fn close_keeps_the_refresh_token_rotated_just_before_exit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    let runtime = Builder::new_multi_thread().enable_all().build().unwrap();
    let source = HeldSource::new("access-2", "refresh-2");
    runtime.block_on(async {
        let expired = Token::builder("access-1")
            .expires_in(Duration::ZERO)
            .refresh_token("refresh-1")
            .build()
            .unwrap();
        FileStore::new(&path).save(None, &expired).await.unwrap();
        let cache = TokenCache::builder(Arc::clone(&source))
            .store(FileStore::new(&path))
            .build();

        // The service is shutting down while a refresh is under way.
        let caller = tokio::spawn({
            let cache = cache.clone();
            async move { cache.token().await }
        });
        source.started.acquire().await.unwrap().forget();
        let closing = tokio::spawn({
            let cache = cache.clone();
            async move { cache.close().await }
        });
        source.release.add_permits(1);
        closing.await.unwrap();
        assert_eq!(access(&caller.await.unwrap().unwrap()), "access-2");

        let error = cache.token().await.unwrap_err();
        assert!(matches!(error.kind(), AuthErrorKind::Closed), "{error:?}");
        assert!(error.to_string().contains("closed"), "{error}");
        assert!(cache.cached().is_none());
    });
    // The process exits here; the next one starts from the rotated refresh token.
    drop(runtime);
    let restarted = self::runtime().block_on(FileStore::new(&path).load());
    let saved = restarted.unwrap().expect("the rotated token was saved");
    assert_eq!(saved.refresh_token().unwrap().expose_secret(), "refresh-2");
}

#[test]
fn a_caller_without_a_runtime_gets_an_error_not_a_hang_once_the_cache_runtime_is_gone() {
    let runtime = runtime();
    let cache = {
        let _entered = runtime.enter();
        TokenCache::new(Scripted::hourly())
    };
    drop(runtime);

    let (sender, receiver) = std::sync::mpsc::channel();
    thread::spawn(move || sender.send(block_on_without_tokio(cache.token())));
    let outcome = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("the call returns: a runtime that has shut down drops the refresh at once");
    let error = outcome.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::RefreshAborted),
        "{error:?}"
    );
    assert!(error.to_string().contains("runtime shut down"), "{error}");
}
