// Input: a temporary directory and tokens.
// Output: evidence that the file store keeps tokens private, whole, and readable back.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::Duration;

use super::{FileStore, MemoryStore, StoreError, TokenStore};
use crate::Token;

fn token(access: &str, refresh: &str) -> Token {
    Token::builder(access)
        .expires_in(Duration::from_secs(3600))
        .refresh_token(refresh)
        .build()
        .unwrap()
}

fn store_in(dir: &tempfile::TempDir) -> FileStore {
    FileStore::new(dir.path().join("token.json"))
}

#[tokio::test]
async fn missing_file_means_no_token_yet() {
    let dir = tempfile::tempdir().unwrap();
    assert!(store_in(&dir).load().await.unwrap().is_none());
}

#[tokio::test]
async fn saved_token_reads_back_from_an_owner_only_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    store.save(None, &token("a1", "r1")).await.unwrap();
    let loaded = store.load().await.unwrap().unwrap();
    assert!(loaded.same_secrets(&token("a1", "r1")));
    let mode = std::fs::metadata(store.path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn save_replaces_the_file_atomically_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    // A file someone created readable by all is replaced, not rewritten in place.
    std::fs::write(store.path(), "{}").unwrap();
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = std::fs::metadata(store.path()).unwrap().ino();

    store.save(None, &token("a2", "r2")).await.unwrap();

    let after = std::fs::metadata(store.path()).unwrap();
    assert_ne!(after.ino(), before, "a new file was renamed into place");
    assert_eq!(after.permissions().mode() & 0o777, 0o600);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["token.json"]);
}

#[tokio::test]
async fn corrupt_file_is_a_clear_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    std::fs::write(store.path(), "{\"access_token\": \"leaked-secret\", trunc").unwrap();
    let error = store.load().await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    assert!(
        message.contains(&store.path().display().to_string()),
        "{message}"
    );
    assert!(message.contains("delete it"), "{message}");
    assert!(!message.contains("leaked-secret") && !format!("{error:?}").contains("leaked-secret"));
}

#[tokio::test]
async fn unreadable_directory_is_an_io_error_naming_the_path() {
    let store = FileStore::new("/nonexistent-freshtoken-dir/token.json");
    let error = store.save(None, &token("a", "r")).await.unwrap_err();
    assert!(matches!(error, StoreError::Io { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("/nonexistent-freshtoken-dir/token.json")
    );
}

#[tokio::test]
async fn rejected_refresh_token_is_forgotten_but_the_access_token_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let saved = token("a3", "r3");
    store.save(None, &saved).await.unwrap();
    store.refresh_token_rejected(&saved).await.unwrap();
    let loaded = store.load().await.unwrap().unwrap();
    assert!(loaded.refresh_token().is_none());
    assert_eq!(loaded.access_token().expose_secret(), "a3");

    // A rejection for a token the file no longer holds changes nothing.
    store.save(None, &token("a4", "r4")).await.unwrap();
    store.refresh_token_rejected(&saved).await.unwrap();
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(loaded.refresh_token().unwrap().expose_secret(), "r4");
}

#[tokio::test]
async fn lock_is_exclusive_between_two_stores_on_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (store_in(&dir), store_in(&dir));
    let held = first.lock().await.unwrap();
    // Each store opens the lock file anew, as another process would: `try_lock` must fail.
    let probe = std::fs::OpenOptions::new()
        .write(true)
        .open(second.lock_path())
        .unwrap();
    assert!(probe.try_lock().is_err(), "the lock is held");
    drop(held);
    assert!(probe.try_lock().is_ok(), "dropping the guard releases it");
}

#[tokio::test]
async fn memory_store_keeps_the_latest_and_forgets_a_rejected_one() {
    let store = MemoryStore::default();
    assert!(store.load().await.unwrap().is_none());
    let saved = token("m1", "mr1");
    store.save(None, &saved).await.unwrap();
    assert!(store.load().await.unwrap().unwrap().same_secrets(&saved));
    store.refresh_token_rejected(&saved).await.unwrap();
    assert!(store.load().await.unwrap().is_none());
}
