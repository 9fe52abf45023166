// Input: a store that goes down, refuses saves or has a lock it may not use; a logout in the
// middle of a refresh.
// Output: evidence that no login is lost: a token whose save failed stays the live one and
// is saved when the store answers, no shared refresh token is spent while the store cannot
// say who holds it, and a logout revokes the refresh token that is live.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use tokio::time::sleep;

use super::store_race_tests::HeldSource;
use super::tests::{Scripted, access, secs};
use crate::{
    AuthError, AuthErrorKind, FileStore, MemoryStore, OutagePolicy, StoreError, Token, TokenCache,
    TokenStore,
};

/// A shared store that can be taken down (as Redis is when it is killed), or made to refuse
/// its next saves (a full disk, one Redis command cut).
#[derive(Default)]
pub(super) struct Outage {
    pub(super) down: AtomicBool,
    failing_saves: AtomicU32,
    /// Calls made while down, and saves refused.
    pub(super) refused: AtomicU32,
    pub(super) kept: MemoryStore,
    alone: bool,
}

impl Outage {
    pub(super) fn refreshing_alone() -> Self {
        Self {
            alone: true,
            ..Self::default()
        }
    }

    fn fail_next_saves(&self, n: u32) {
        self.failing_saves.store(n, Ordering::SeqCst);
    }

    fn stored(&self) -> Option<Token> {
        futures_util::FutureExt::now_or_never(self.kept.load())
            .unwrap()
            .unwrap()
    }

    fn check(&self, operation: &'static str) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::Unreachable {
                store: "outage".to_owned(),
                operation,
                reason: "connection refused".to_owned(),
            });
        }
        Ok(())
    }
}

impl TokenStore for Arc<Outage> {
    async fn load(&self) -> Result<Option<Token>, StoreError> {
        self.check("load")?;
        self.kept.load().await
    }

    async fn save(&self, previous: Option<&Token>, new: &Token) -> Result<(), StoreError> {
        self.check("save")?;
        let failing = self
            .failing_saves
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(StoreError::other("no space left on device"));
        }
        self.kept.save(previous, new).await
    }

    async fn clear(&self) -> Result<(), StoreError> {
        self.check("clear")?;
        self.kept.clear().await
    }

    fn outage_policy(&self) -> OutagePolicy {
        if self.alone {
            OutagePolicy::RefreshAlone
        } else {
            OutagePolicy::WaitForStore
        }
    }

    async fn lock(&self) -> Result<crate::StoreLock, StoreError> {
        self.check("lock")?;
        Ok(crate::StoreLock::none())
    }
}

fn cache_on(store: &Arc<Outage>, source: &Scripted) -> TokenCache<Scripted> {
    TokenCache::builder(source.clone())
        .store(Arc::clone(store))
        .build()
}

fn refreshed_with(source: &Scripted) -> Vec<Option<String>> {
    source.previous()
}

/// The refresh token `refresh-n` as the source records it, to compare with its record.
#[allow(clippy::unnecessary_wraps)]
fn rt(n: u32) -> Option<String> {
    Some(format!("refresh-{n}"))
}

#[tokio::test(start_paused = true)]
async fn a_failed_save_is_not_taken_for_news_and_the_next_refresh_uses_the_live_refresh_token() {
    let store = Arc::new(Outage::default());
    let source = Scripted::hourly();
    let cache = cache_on(&store, &source);
    cache.token().await.unwrap();
    store.fail_next_saves(1);
    assert_eq!(access(&cache.refresh().await.unwrap()), "access-2");
    // The store still holds access-1, whose refresh token this cache has spent.
    assert_eq!(access(&store.stored().unwrap()), "access-1");

    assert_eq!(access(&cache.refresh().await.unwrap()), "access-3");
    assert_eq!(refreshed_with(&source), [None, rt(1), rt(2)]);
    assert_eq!(access(&store.stored().unwrap()), "access-3");
}

#[tokio::test(start_paused = true)]
async fn a_token_whose_save_failed_is_saved_as_soon_as_the_store_answers_again() {
    let store = Arc::new(Outage::default());
    let source = Scripted::hourly();
    let cache = cache_on(&store, &source);
    cache.token().await.unwrap();
    // The refresh's save, then two more tries, fail.
    store.fail_next_saves(3);
    cache.refresh().await.unwrap();
    sleep(secs(30)).await;

    assert_eq!(store.refused.load(Ordering::SeqCst), 3);
    assert_eq!(access(&store.stored().unwrap()), "access-2");
    assert_eq!(source.calls(), 2, "saving again asks the source nothing");
}

#[tokio::test(start_paused = true)]
async fn close_saves_a_token_whose_save_failed() {
    let store = Arc::new(Outage::default());
    let source = Scripted::hourly();
    let cache = cache_on(&store, &source);
    cache.token().await.unwrap();
    store.fail_next_saves(1);
    cache.refresh().await.unwrap();
    cache.close().await;
    assert_eq!(access(&store.stored().unwrap()), "access-2");
}

#[tokio::test(start_paused = true)]
async fn with_the_store_down_a_valid_token_is_served_and_no_refresh_token_is_spent() {
    let store = Arc::new(Outage::default());
    let source = Scripted::new(secs(60));
    let cache = cache_on(&store, &source);
    cache.token().await.unwrap();
    store.down.store(true, Ordering::SeqCst);

    let error = cache.refresh().await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Store { .. }),
        "{error}"
    );
    assert_eq!(access(&cache.token().await.unwrap()), "access-1");

    sleep(secs(61)).await;
    let error = cache.token().await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Store { .. }),
        "{error}"
    );
    assert!(error.is_retryable() && !error.needs_reauthentication());
    assert_eq!(
        source.calls(),
        1,
        "no refresh token spent while the store is down"
    );

    store.down.store(false, Ordering::SeqCst);
    // A store failure is tried again within the initial backoff, not after a growing one.
    sleep(secs(1)).await;
    assert_eq!(access(&cache.token().await.unwrap()), "access-2");
    assert_eq!(refreshed_with(&source), [None, rt(1)]);
}

#[tokio::test(start_paused = true)]
async fn refreshing_alone_a_refresh_token_refused_while_the_store_is_down_is_not_a_dead_login() {
    let store = Arc::new(Outage::refreshing_alone());
    let source = Scripted::hourly();
    let cache = cache_on(&store, &source);
    cache.token().await.unwrap();
    store.down.store(true, Ordering::SeqCst);
    // Another host rotated the shared refresh token; this one hears `invalid_grant`.
    source.then_fail(AuthError::reauthenticate("invalid_grant"));
    let error = cache.refresh().await.unwrap_err();
    assert!(!error.needs_reauthentication(), "{error}");
    assert!(error.is_retryable(), "{error}");
    assert!(error.to_string().contains("store is read again"), "{error}");

    let rotated = Token::builder("other-host-access")
        .expires_in(secs(3600))
        .refresh_token("other-host-refresh")
        .build()
        .unwrap();
    store.kept.save(None, &rotated).await.unwrap();
    store.down.store(false, Ordering::SeqCst);
    sleep(secs(2)).await;
    assert_eq!(access(&cache.refresh().await.unwrap()), "other-host-access");
    assert_eq!(
        source.calls(),
        2,
        "the other host's token is adopted, not renewed"
    );
}

#[tokio::test(start_paused = true)]
async fn refreshing_alone_a_store_outage_costs_one_store_call_and_one_warning_not_one_per_refresh()
{
    let (captured, _guard) = super::tests::tracing_events::capture(tracing::Level::DEBUG);

    let store = Arc::new(Outage::refreshing_alone());
    let cache = cache_on(&store, &Scripted::hourly());
    cache.token().await.unwrap();
    store.down.store(true, Ordering::SeqCst);
    for _ in 0..3 {
        cache.refresh().await.unwrap();
    }
    store.down.store(false, Ordering::SeqCst);
    cache.refresh().await.unwrap();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines = |level: &str, text: &str| {
        log.lines()
            .filter(|line| line.contains(level) && line.contains(text))
            .count()
    };
    assert_eq!(lines("WARN", "token store"), 1, "{log}");
    assert_eq!(lines("DEBUG", "could not lock the token store"), 2, "{log}");
    // The lock failed: neither a load nor a save waits on the store in the same refresh.
    assert_eq!(store.refused.load(Ordering::SeqCst), 3);
    assert_eq!(lines("INFO", "the token store answers again"), 1, "{log}");
    // The token refreshed during the outage is in the store once it answers.
    assert_eq!(access(&store.stored().unwrap()), "access-5");
}

#[tokio::test]
async fn a_logout_during_a_refresh_forgets_the_token_that_refresh_brought_back() {
    let source = HeldSource::new("access-2", "refresh-2");
    let login = Token::builder("access-1")
        .expires_in(secs(3600))
        .refresh_token("refresh-1")
        .build()
        .unwrap();
    let cache = TokenCache::builder(Arc::clone(&source))
        .token(login)
        .build();
    let refreshing = tokio::spawn({
        let cache = cache.clone();
        async move { cache.refresh().await.map(|t| access(&t).to_owned()) }
    });
    source.started.acquire().await.unwrap().forget();
    // The refresh has sent refresh-1, which the server has now spent.
    let logout = tokio::spawn({
        let cache = cache.clone();
        async move { cache.clear().await }
    });
    tokio::task::yield_now().await;
    source.release.add_permits(1);

    let forgotten = logout.await.unwrap().unwrap().unwrap();
    assert_eq!(
        forgotten.refresh_token().unwrap().expose_secret(),
        "refresh-2",
        "the live refresh token is the one to revoke"
    );
    assert_eq!(refreshing.await.unwrap().unwrap(), "access-2");
    assert!(cache.cached().is_none(), "logged out");
}

#[cfg(unix)]
#[tokio::test(start_paused = true)]
async fn a_lock_file_others_may_write_fails_the_refresh_names_the_file_and_spends_nothing() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    let lock = dir.path().join("token.json.lock");
    std::fs::write(&lock, "").unwrap();
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o660)).unwrap();
    let source = Scripted::hourly();
    let cache = TokenCache::builder(source.clone())
        .store(FileStore::new(&path))
        .build();

    let error = cache.token().await.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Store { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains(&lock.display().to_string()), "{message}");
    assert!(message.contains("chmod 600"), "{message}");
    assert_eq!(source.calls(), 0, "no refresh without the lock");

    // A program that is the file's only user may choose to refresh anyway.
    let alone = TokenCache::builder(source.clone())
        .store(FileStore::new(&path).on_outage(OutagePolicy::RefreshAlone))
        .build();
    assert_eq!(access(&alone.token().await.unwrap()), "access-1");
}

#[tokio::test(start_paused = true)]
async fn a_dead_login_says_that_a_saved_login_reaches_every_process() {
    let store = Arc::new(MemoryStore::default());
    let source = Scripted::hourly();
    let cache = TokenCache::builder(source.clone())
        .store(Arc::clone(&store))
        .build();
    cache.token().await.unwrap();
    source.then_fail(AuthError::reauthenticate("invalid_grant"));
    let error = cache.refresh().await.unwrap_err();
    assert!(error.needs_reauthentication());
    assert!(
        error.to_string().contains("TokenCache::save_token"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_four_second_token_is_renewed_ahead_and_no_caller_waits_after_the_first_login() {
    let source = Scripted::new(secs(4)).slow(Duration::from_millis(50));
    let cache = TokenCache::new(source.clone());
    for _ in 0..300 {
        cache.token().await.unwrap();
        sleep(Duration::from_millis(100)).await;
    }
    let stats = cache.stats();
    assert_eq!(
        stats.waits, 1,
        "only the first login is waited for: {stats:?}"
    );
    assert!(stats.refreshes >= 14, "{stats:?}");
}

/// A store whose lock another process holds for good.
struct LockHeldElsewhere;

impl TokenStore for LockHeldElsewhere {
    async fn load(&self) -> Result<Option<Token>, StoreError> {
        Ok(None)
    }
    async fn save(&self, _: Option<&Token>, _: &Token) -> Result<(), StoreError> {
        Ok(())
    }
    async fn clear(&self) -> Result<(), StoreError> {
        Ok(())
    }
    async fn lock(&self) -> Result<crate::StoreLock, StoreError> {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn the_wait_for_the_store_lock_ends_at_the_longer_of_the_refresh_and_store_timeouts() {
    for (refresh, store) in [(5, 20), (20, 5)] {
        let source = Scripted::hourly();
        let cache = TokenCache::builder(source.clone())
            .refresh_timeout(secs(refresh))
            .store_timeout(secs(store))
            .store(LockHeldElsewhere)
            .build();
        let started = tokio::time::Instant::now();
        let error = cache.token().await.unwrap_err();
        assert_eq!(started.elapsed(), secs(20), "{error}");
        assert!(error.to_string().contains("lock"), "{error}");
        assert_eq!(source.calls(), 0);
    }
}

/// A store set up wrong (a refused password), whose owner chose to refresh alone in outages.
struct Misconfigured;

impl TokenStore for Misconfigured {
    async fn load(&self) -> Result<Option<Token>, StoreError> {
        Err(Self::refused())
    }
    async fn save(&self, _: Option<&Token>, _: &Token) -> Result<(), StoreError> {
        Err(Self::refused())
    }
    async fn clear(&self) -> Result<(), StoreError> {
        Err(Self::refused())
    }
    fn outage_policy(&self) -> OutagePolicy {
        OutagePolicy::RefreshAlone
    }
    async fn lock(&self) -> Result<crate::StoreLock, StoreError> {
        Err(Self::refused())
    }
}

impl Misconfigured {
    fn refused() -> StoreError {
        StoreError::InvalidConfig {
            store: "redis 127.0.0.1:6379".to_owned(),
            reason: "Redis refused the password; fix the URL's credentials".to_owned(),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_store_set_up_wrong_fails_the_refresh_even_when_refreshing_alone() {
    let source = Scripted::hourly();
    let cache = TokenCache::builder(source.clone())
        .store(Misconfigured)
        .build();
    let error = cache.token().await.unwrap_err();
    assert!(
        error.to_string().contains("refused the password"),
        "{error}"
    );
    assert_eq!(source.calls(), 0, "not an outage to run through");
}
