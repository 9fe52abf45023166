// Input: refreshes that race with logins, stores that hang or hold older tokens, and logins
// saved by another process.
// Output: evidence that what is on disk is always the newest login, that a hung store costs
// a caller at most the store timeout, and that a new login in the store is found.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::tests::{Scripted, access, secs, spawn_token_call};
use crate::{
    AuthError, AuthErrorKind, FileStore, MemoryStore, StoreError, Token, TokenCache, TokenSource,
    TokenStore,
};

fn token(access: &str, refresh: &str, lifetime: Duration) -> Token {
    Token::builder(access)
        .expires_in(lifetime)
        .refresh_token(refresh)
        .build()
        .unwrap()
}

fn refresh_of(token: &Token) -> &str {
    token.refresh_token().unwrap().expose_secret()
}

/// Answers with `access`/`refresh`, but only once the test lets it (`release`); says when a
/// call has started (`started`).
pub(super) struct HeldSource {
    pub(super) started: Semaphore,
    pub(super) release: Semaphore,
    access: &'static str,
    refresh: &'static str,
}

impl HeldSource {
    pub(super) fn new(access: &'static str, refresh: &'static str) -> Arc<Self> {
        Arc::new(Self {
            started: Semaphore::new(0),
            release: Semaphore::new(0),
            access,
            refresh,
        })
    }
}

impl TokenSource for Arc<HeldSource> {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        self.started.add_permits(1);
        let _permit = self
            .release
            .acquire()
            .await
            .map_err(AuthError::refresh_failed)?;
        Token::builder(self.access)
            .expires_in(Duration::from_secs(3600))
            .refresh_token(self.refresh)
            .build()
    }
}

#[tokio::test]
async fn a_login_saved_during_a_refresh_is_not_undone_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    let store = FileStore::new(&path);
    store
        .save(
            None,
            &token("alice-access-1", "alice-refresh-1", Duration::ZERO),
        )
        .await
        .unwrap();
    let source = HeldSource::new("alice-access-2", "alice-refresh-2");
    let cache = TokenCache::builder(Arc::clone(&source))
        .store(store.clone())
        .build();

    // Alice's refresh is under way when bob logs in.
    let alice_caller = tokio::spawn({
        let cache = cache.clone();
        async move { cache.token().await }
    });
    source.started.acquire().await.unwrap().forget();
    let login = tokio::spawn({
        let cache = cache.clone();
        async move {
            cache
                .save_token(token("bob-access", "bob-refresh", secs(3600)))
                .await
        }
    });
    // Let the login get as far as it can before the refresh answers: a login that does not
    // wait for the store's lock would be written now, and then overwritten by the refresh.
    for _ in 0..200 {
        if login.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    source.release.add_permits(1);
    login.await.unwrap().unwrap();
    // The stale refresh still answers its own caller...
    assert_eq!(
        access(&alice_caller.await.unwrap().unwrap()),
        "alice-access-2"
    );
    // ...but the cache and, after a restart, the disk are on bob.
    assert_eq!(access(&cache.token().await.unwrap()), "bob-access");
    let on_disk = FileStore::new(&path).load().await.unwrap().unwrap();
    assert_eq!(access(&on_disk), "bob-access");
    assert_eq!(refresh_of(&on_disk), "bob-refresh");
}

#[tokio::test]
async fn save_token_waits_for_the_store_lock_another_refresh_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    let cache = TokenCache::builder(Scripted::hourly())
        .store(FileStore::new(&path))
        .build();

    // Another process (here another handle on the same files) is refreshing.
    let held = FileStore::new(&path).lock().await.unwrap();
    let login = tokio::spawn({
        let cache = cache.clone();
        async move {
            cache
                .save_token(token("bob-access", "bob-refresh", secs(3600)))
                .await
        }
    });
    // Not a timing assertion: a save_token that skipped the lock would have written the file
    // by now, and one that waits cannot have.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!login.is_finished(), "save_token must wait for the lock");
    assert!(FileStore::new(&path).load().await.unwrap().is_none());

    drop(held);
    login.await.unwrap().unwrap();
    let on_disk = FileStore::new(&path).load().await.unwrap().unwrap();
    assert_eq!(access(&on_disk), "bob-access");
}

/// A store of the user's own whose `load` reads a FIFO nobody writes to: it hangs in the OS,
/// like a hung NFS mount or a store behind a partitioned network.
struct FifoStore {
    path: std::path::PathBuf,
    loads: AtomicU32,
}

impl TokenStore for Arc<FifoStore> {
    fn name(&self) -> String {
        format!("fifo {}", self.path.display())
    }

    async fn load(&self) -> Result<Option<Token>, StoreError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        let path = self.path.clone();
        let read = tokio::task::spawn_blocking(move || std::fs::read(path)).await;
        match read {
            Ok(Ok(_)) => Ok(None),
            Ok(Err(error)) => Err(StoreError::other(error)),
            Err(error) => Err(StoreError::other(error)),
        }
    }

    async fn save(&self, _previous: Option<&Token>, _new: &Token) -> Result<(), StoreError> {
        Ok(())
    }

    async fn clear(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Lets every reader blocked on the FIFO go (they read end-of-file), so no thread is left
/// behind, also when the test fails.
struct Unblock(std::path::PathBuf);

impl Drop for Unblock {
    fn drop(&mut self) {
        if let Ok(mut writer) = std::fs::OpenOptions::new().write(true).open(&self.0) {
            let _ = writer.flush();
        }
    }
}

// The real clock: a blocking thread that is still running keeps tokio's paused clock from
// advancing, so the timeout would never fire.
#[tokio::test]
async fn a_hung_store_costs_a_caller_the_store_timeout_and_a_later_call_tries_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    let _unblock = Unblock(path.clone());
    let store = Arc::new(FifoStore {
        path: path.clone(),
        loads: AtomicU32::new(0),
    });
    let source = Scripted::hourly();
    let cache = TokenCache::builder(source.clone())
        .store(Arc::clone(&store))
        .store_timeout(Duration::from_millis(200))
        .backoff(Duration::from_millis(10), Duration::from_millis(10))
        .build();

    let started = tokio::time::Instant::now();
    let error = cache.token().await.unwrap_err();
    // Far below the refresh timeout (30 s) that was the only bound before.
    assert!(started.elapsed() < secs(10), "{:?}", started.elapsed());
    assert!(
        matches!(error.kind(), AuthErrorKind::Store { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&format!("fifo {}", path.display())),
        "{message}"
    );
    assert!(message.contains("did not load within 200ms"), "{message}");
    assert!(error.is_retryable());
    assert_eq!(
        source.calls(),
        0,
        "no refresh without knowing what the store holds"
    );

    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = cache.token().await.unwrap_err();
    assert!(matches!(again.kind(), AuthErrorKind::Store { .. }));
    assert_eq!(
        store.loads.load(Ordering::SeqCst),
        2,
        "the later call tried again"
    );
}

#[tokio::test(start_paused = true)]
async fn a_login_saved_by_another_process_after_invalid_grant_is_adopted() {
    let store = Arc::new(MemoryStore::default());
    let source = Scripted::hourly();
    source.then_fail(AuthError::reauthenticate("invalid_grant"));
    let daemon = TokenCache::builder(source.clone())
        .store(Arc::clone(&store))
        .build();
    let dead = daemon.token().await.unwrap_err();
    assert!(dead.needs_reauthentication());

    // Nothing new in the store: the same error, no new attempt, no new failure counted.
    let still_dead = daemon.token().await.unwrap_err();
    assert!(still_dead.needs_reauthentication());
    assert_eq!(source.calls(), 1);
    assert_eq!(daemon.stats().failures, 1);

    // The CLI beside the daemon logs in and saves the token.
    store
        .save(None, &token("cli-access", "cli-refresh", secs(3600)))
        .await
        .unwrap();
    assert_eq!(access(&daemon.token().await.unwrap()), "cli-access");
    assert_eq!(
        source.calls(),
        1,
        "adopted from the store, no token request"
    );
}

#[tokio::test(start_paused = true)]
async fn a_token_given_to_the_builder_beats_an_older_stored_one_and_is_saved_at_first_use() {
    let store = Arc::new(MemoryStore::default());
    store
        .save(None, &token("stored-access", "stored-refresh", secs(3600)))
        .await
        .unwrap();
    let source = Scripted::hourly();
    let cache = TokenCache::builder(source.clone())
        .store(Arc::clone(&store))
        .token(token("given-access", "given-refresh", secs(3600)))
        .build();

    assert_eq!(access(&cache.token().await.unwrap()), "given-access");
    let stored = store.load().await.unwrap().unwrap();
    assert_eq!(access(&stored), "given-access", "saved at first use");
    assert_eq!(source.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn an_expired_token_given_to_the_builder_is_renewed_with_its_own_refresh_token() {
    let store = Arc::new(MemoryStore::default());
    store
        .save(
            None,
            &token("stored-access", "stored-refresh", Duration::ZERO),
        )
        .await
        .unwrap();
    let source = Scripted::hourly();
    let cache = TokenCache::builder(source.clone())
        .store(Arc::clone(&store))
        .token(token("given-access", "given-refresh", Duration::ZERO))
        .build();

    assert_eq!(access(&cache.token().await.unwrap()), "access-1");
    assert_eq!(source.previous(), [Some("given-refresh".to_owned())]);
    let stored = store.load().await.unwrap().unwrap();
    assert_eq!(refresh_of(&stored), "refresh-1");
}

#[tokio::test(start_paused = true)]
async fn a_cache_can_start_from_a_refresh_token_alone() {
    let store = Arc::new(MemoryStore::default());
    let source = Scripted::hourly();
    let cache = TokenCache::builder(source.clone())
        .store(Arc::clone(&store))
        .refresh_token("saved-refresh")
        .build();
    assert!(cache.cached().is_none());

    assert_eq!(access(&cache.token().await.unwrap()), "access-1");
    assert_eq!(source.previous(), [Some("saved-refresh".to_owned())]);
    assert_eq!(
        refresh_of(&store.load().await.unwrap().unwrap()),
        "refresh-1"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_first_refresh_keeps_the_given_refresh_token_for_the_next_attempt() {
    let source = Scripted::hourly();
    source.then_fail(AuthError::refresh_failed("endpoint down"));
    let cache = TokenCache::builder(source.clone())
        .refresh_token("saved-refresh")
        .backoff(secs(1), secs(1))
        .build();
    cache.token().await.unwrap_err();
    tokio::time::sleep(secs(1)).await;
    cache.token().await.unwrap();
    assert_eq!(
        source.previous(),
        [
            Some("saved-refresh".to_owned()),
            Some("saved-refresh".to_owned())
        ]
    );
}

#[test]
fn a_store_error_converts_into_an_auth_error() {
    fn save() -> Result<(), AuthError> {
        Err(StoreError::other("disk full"))?
    }
    let error = save().unwrap_err();
    assert!(matches!(error.kind(), AuthErrorKind::Store { .. }));
    assert!(error.to_string().contains("disk full"), "{error}");
    assert!(error.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn a_caller_waiting_for_a_refresh_during_save_token_gets_a_token() {
    let cache = TokenCache::builder(Scripted::hourly().slow(secs(5))).build();
    let caller = spawn_token_call(&cache);
    tokio::task::yield_now().await;
    cache
        .save_token(token("bob-access", "bob-refresh", secs(3600)))
        .await
        .unwrap();
    assert!(caller.await.unwrap().is_ok());
    assert_eq!(access(&cache.token().await.unwrap()), "bob-access");
}
