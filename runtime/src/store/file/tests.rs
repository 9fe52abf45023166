// Input: hostile things at the token path or the lock path: FIFOs, devices, symbolic links,
// files of another user or writable by others, files far larger than a token.
// Output: evidence that the store refuses each with an error naming the path and the fix,
// reads and replaces nothing, and never hangs (every call runs under a bound).

use std::fs;
use std::future::Future;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use super::{FileStore, MAX_FILE_SIZE};
use crate::Token;
use crate::store::{StoreError, TokenStore};

/// The longest any store call here may take; on a regression it would hang forever instead.
const BOUND: Duration = Duration::from_secs(10);

/// Runs `work` on a runtime of its own in a thread of its own and waits at most [`BOUND`]:
/// a store call that blocks forever fails the test, and the stuck thread dies with the
/// process instead of hanging the test run.
fn bounded<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> T {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = sender.send(runtime.block_on(work));
    });
    receiver
        .recv_timeout(BOUND)
        .expect("the store call returned instead of hanging")
}

fn load(store: &FileStore) -> Result<Option<Token>, StoreError> {
    let store = store.clone();
    bounded(async move { store.load().await })
}

fn save(store: &FileStore, token: Token) -> Result<(), StoreError> {
    let store = store.clone();
    bounded(async move { store.save(None, &token).await })
}

fn lock(store: &FileStore) -> Result<(), StoreError> {
    let store = store.clone();
    bounded(async move { store.lock().await.map(drop) })
}

fn token(access: &str) -> Token {
    Token::builder(access)
        .expires_in(Duration::from_secs(3600))
        .refresh_token("planted-refresh")
        .build()
        .unwrap()
}

fn store_in(dir: &tempfile::TempDir) -> FileStore {
    FileStore::new(dir.path().join("token.json"))
}

/// A store whose file holds a valid token, written the normal way (mode 0600).
fn saved_store(dir: &tempfile::TempDir) -> FileStore {
    let store = store_in(dir);
    save(&store, token("planted-access")).unwrap();
    store
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// The message names `path` and contains `fix`, and neither it nor the Debug output holds a
/// secret of the planted token.
fn assert_explains(error: &StoreError, path: &Path, fix: &str) {
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains(fix), "{message}");
    let debug = format!("{error:?}");
    for secret in ["planted-access", "planted-refresh"] {
        assert!(
            !message.contains(secret) && !debug.contains(secret),
            "{debug}"
        );
    }
}

/// The uid files this process creates get: its effective user.
fn my_uid(dir: &tempfile::TempDir) -> u32 {
    let probe = dir.path().join("uid-probe");
    fs::write(&probe, "").unwrap();
    let uid = fs::metadata(&probe).unwrap().uid();
    fs::remove_file(probe).unwrap();
    uid
}

/// A token file that belongs to another user, and that user. As root (CI), a valid token file
/// handed to `nobody` (65534); otherwise `/etc/passwd`, which belongs to root.
fn file_of_another_user(dir: &tempfile::TempDir) -> (FileStore, u32) {
    if my_uid(dir) == 0 {
        let store = saved_store(dir);
        std::os::unix::fs::chown(store.path(), Some(65534), Some(65534)).unwrap();
        (store, 65534)
    } else {
        let store = FileStore::new("/etc/passwd");
        let owner = fs::metadata(store.path()).unwrap().uid();
        assert_ne!(
            owner,
            my_uid(dir),
            "/etc/passwd must belong to another user"
        );
        (store, owner)
    }
}

#[test]
fn fifo_at_the_token_path_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    mkfifo(store.path());
    let error = load(&store).unwrap_err();
    assert!(
        matches!(error, StoreError::NotAFile { kind: "FIFO", .. }),
        "{error:?}"
    );
    assert_explains(&error, store.path(), "not a regular file");
}

#[test]
fn device_at_the_token_path_is_refused_not_read() {
    let store = FileStore::new("/dev/zero");
    let error = load(&store).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::NotAFile {
                kind: "character device",
                ..
            }
        ),
        "{error:?}"
    );
    assert_explains(&error, store.path(), "point FileStore at a file path");
}

#[test]
fn symlink_to_dev_zero_is_refused_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    symlink("/dev/zero", store.path()).unwrap();
    let error = load(&store).unwrap_err();
    assert!(matches!(error, StoreError::Symlink { .. }), "{error:?}");
    assert_explains(&error, store.path(), "readlink -f");
}

#[test]
fn file_writable_by_others_is_refused_on_load_and_save() {
    let dir = tempfile::tempdir().unwrap();
    let store = saved_store(&dir);
    fs::set_permissions(store.path(), fs::Permissions::from_mode(0o666)).unwrap();
    let before = fs::read(store.path()).unwrap();

    let error = load(&store).unwrap_err();
    assert!(
        matches!(error, StoreError::Writable { mode: 0o666, .. }),
        "{error:?}"
    );
    let fix = format!("(mode 0666); run `chmod 600 {}`", store.path().display());
    assert_explains(&error, store.path(), &fix);

    let error = save(&store, token("new-access")).unwrap_err();
    assert!(matches!(error, StoreError::Writable { .. }), "{error:?}");
    assert_explains(&error, store.path(), &fix);
    assert_eq!(fs::read(store.path()).unwrap(), before, "left as it was");
}

#[test]
fn group_writable_file_is_refused_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = saved_store(&dir);
    fs::set_permissions(store.path(), fs::Permissions::from_mode(0o620)).unwrap();
    let error = load(&store).unwrap_err();
    assert!(
        matches!(error, StoreError::Writable { mode: 0o620, .. }),
        "{error:?}"
    );
}

#[test]
fn file_of_another_user_is_refused_on_load_and_save() {
    let dir = tempfile::tempdir().unwrap();
    let (store, owner) = file_of_another_user(&dir);
    let me = my_uid(&dir);
    let before = fs::read(store.path()).unwrap();

    let error = load(&store).unwrap_err();
    assert!(
        matches!(error, StoreError::NotOwned { owner: o, user: u, .. } if o == owner && u == me),
        "{error:?}"
    );
    let fix = format!("run `chown {me} {}`", store.path().display());
    assert_explains(&error, store.path(), &fix);

    let error = save(&store, token("new-access")).unwrap_err();
    assert!(matches!(error, StoreError::NotOwned { .. }), "{error:?}");
    assert_explains(&error, store.path(), &fix);
    assert_eq!(fs::read(store.path()).unwrap(), before, "left as it was");
}

#[test]
fn file_over_one_mebibyte_is_refused_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    fs::write(store.path(), vec![b' '; 2 * 1024 * 1024]).unwrap();
    fs::set_permissions(store.path(), fs::Permissions::from_mode(0o600)).unwrap();
    let error = load(&store).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::TooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{error:?}"
    );
    assert_explains(&error, store.path(), "larger than 1048576 bytes");
}

#[test]
fn file_of_exactly_the_limit_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let store = saved_store(&dir);
    // JSON allows trailing whitespace: the same token, padded to the limit.
    let mut json = fs::read(store.path()).unwrap();
    json.resize(usize::try_from(MAX_FILE_SIZE).unwrap(), b' ');
    fs::write(store.path(), json).unwrap();
    let loaded = load(&store).unwrap().unwrap();
    assert_eq!(loaded.access_token().expose_secret(), "planted-access");
}

#[test]
fn symlink_at_the_token_path_is_neither_followed_nor_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let real = FileStore::new(dir.path().join("real.json"));
    save(&real, token("planted-access")).unwrap();
    let before = fs::read(real.path()).unwrap();
    let store = store_in(&dir);
    symlink(real.path(), store.path()).unwrap();

    let error = save(&store, token("new-access")).unwrap_err();
    assert!(matches!(error, StoreError::Symlink { .. }), "{error:?}");
    assert_explains(&error, store.path(), "neither follows nor replaces");
    assert!(fs::symlink_metadata(store.path()).unwrap().is_symlink());
    assert_eq!(
        fs::read(real.path()).unwrap(),
        before,
        "the target unchanged"
    );

    let error = load(&store).unwrap_err();
    assert!(matches!(error, StoreError::Symlink { .. }), "{error:?}");
}

#[test]
fn lock_file_that_is_a_symlink_is_refused_naming_the_lock_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let elsewhere = dir.path().join("elsewhere");
    fs::write(&elsewhere, "").unwrap();
    symlink(&elsewhere, store.lock_path()).unwrap();
    let error = lock(&store).unwrap_err();
    assert!(matches!(error, StoreError::Symlink { .. }), "{error:?}");
    assert_explains(&error, &store.lock_path(), "readlink -f");
}

#[test]
fn lock_file_that_is_a_fifo_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    mkfifo(&store.lock_path());
    let error = lock(&store).unwrap_err();
    assert!(
        matches!(error, StoreError::NotAFile { kind: "FIFO", .. }),
        "{error:?}"
    );
    assert_explains(&error, &store.lock_path(), "not a regular file");
}

#[test]
fn lock_file_of_another_user_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    fs::write(store.lock_path(), "").unwrap();
    if my_uid(&dir) == 0 {
        std::os::unix::fs::chown(store.lock_path(), Some(65534), None).unwrap();
        let error = lock(&store).unwrap_err();
        assert!(
            matches!(error, StoreError::NotOwned { owner: 65534, .. }),
            "{error:?}"
        );
        assert_explains(&error, &store.lock_path(), "chown 0");
    } else {
        // Only root can give a file away, and a file of another user that we could open
        // for writing does not exist without root: check the same rule on a file mode
        // instead, which any user can set up.
        fs::set_permissions(store.lock_path(), fs::Permissions::from_mode(0o666)).unwrap();
        let error = lock(&store).unwrap_err();
        assert!(matches!(error, StoreError::Writable { .. }), "{error:?}");
        assert_explains(&error, &store.lock_path(), "chmod 600");
    }
}

#[test]
fn private_regular_file_still_loads_and_saves() {
    let dir = tempfile::tempdir().unwrap();
    let store = saved_store(&dir);
    // Readable by others is the owner's choice; only writable by others is refused.
    fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).unwrap();
    assert!(load(&store).unwrap().is_some());
    save(&store, token("next-access")).unwrap();
    lock(&store).unwrap();
    let loaded = load(&store).unwrap().unwrap();
    assert_eq!(loaded.access_token().expose_secret(), "next-access");
}
