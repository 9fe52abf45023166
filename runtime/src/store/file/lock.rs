// Input: a store whose `<file>.lock` another process may hold for any time (a refresh in
// progress, or a process stopped while holding it).
// Output: the held lock, taken without ever blocking a thread: the caller's timeout, or any
// drop of the future, ends the attempt with nothing left running.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::Duration;

use super::checks::{self, Purpose};
use super::{FileStore, blocking};
use crate::store::StoreError;

/// The first pause between tries: a lock released meanwhile is taken this soon.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
/// The longest pause: a waiting process tries 20 times a second at most.
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

/// Waits until this process holds the exclusive lock on `store`'s lock file.
///
/// A blocking `flock` in a blocking-pool thread cannot be cancelled: every timed-out attempt
/// would leave a thread stuck until the holder let go, and enough of them exhaust the pool
/// and keep the runtime from shutting down. Polling a non-blocking `try_lock` from the task
/// itself costs a wake-up every few milliseconds while another process refreshes, and stops
/// the moment the future is dropped.
pub(super) async fn lock(store: &FileStore) -> Result<File, StoreError> {
    // Opening is quick but still file-system work: off the async threads. If the caller gives
    // up meanwhile, the thread finishes the open and closes the file.
    let file = blocking(store, |store| open(&store.lock_path())).await?;
    let mut pause = FIRST_PAUSE;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(source)) => {
                return Err(checks::io_error(&store.lock_path(), source));
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// The lock file, created owner-only if missing and held to the same checks as the token
/// file (a link or a FIFO there is refused; another user's file is not ours to lock).
fn open(path: &Path) -> Result<File, StoreError> {
    checks::open(path, Purpose::Lock).map(|(file, _)| file)
}
