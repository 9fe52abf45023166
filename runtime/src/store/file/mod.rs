// Input: tokens to keep across restarts, and other processes that share the same file.
// Output: one JSON file, readable by its owner only, replaced atomically, and a lock file
// that serialises refreshes across processes. The checks on what is found at those paths
// live in `checks.rs`, the waiting for the lock in `lock.rs`.

mod checks;
mod lock;
#[cfg(feature = "reqwest")]
mod registrations;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use self::checks::{MAX_FILE_SIZE, Purpose};
use super::saved;
use super::{OutagePolicy, StoreError, StoreLock, TokenStore};
use crate::Token;

/// Keeps the token in a JSON file, so a CLI or a service that restarts does not log in again,
/// and several processes on one host share one token without spending a single-use refresh
/// token twice.
///
/// - The file is created with mode `0600` (owner only) and replaced atomically: written to a
///   temporary file beside it, synced, then renamed over it, so a crash never leaves half a
///   file.
/// - Around each refresh the cache takes an exclusive OS lock on `<file>.lock` and re-reads the
///   file: a token another process saved meanwhile is adopted instead of refreshed again.
/// - A missing file means "no token yet"; a corrupt one is reported (naming the path) and
///   overwritten by the next token.
/// - With the `reqwest` feature it also keeps the clients a program registered
///   ([`RegistrationStore`](crate::oauth::resource::RegistrationStore)) in
///   `<file>.registrations.json`, read and replaced with the same checks; a logout
///   ([`clear`](TokenStore::clear)) leaves them.
/// - Waiting for the lock never blocks a thread: the store tries the lock, and while another
///   process holds it tries again after a pause that grows from 5 ms to 50 ms. Dropping the
///   wait (the cache bounds it with its refresh timeout) stops it with nothing left running,
///   however long the other process holds on, even if it is stopped. A released lock is
///   taken within one pause, and waiting processes are not served in arrival order.
///
/// # What the store refuses
///
/// A token file is a credential: whoever can change it chooses the token this process sends.
/// So the store reads, replaces and locks only a **regular file, owned by the user the process
/// runs as (effective uid), and not writable by group or others**; it creates its files that
/// way. It refuses, with a [`StoreError`] that names the path and says the fix, and without
/// reading or touching the file:
///
/// - a symbolic link ([`StoreError::Symlink`]), neither followed on load nor replaced on save:
///   give the store the real path (links among the directories above the file are fine);
/// - a FIFO, device, directory or socket ([`StoreError::NotAFile`]); opening one never blocks;
/// - a file of another user ([`StoreError::NotOwned`]) or writable by group or others
///   ([`StoreError::Writable`]);
/// - a file larger than 1 MiB ([`StoreError::TooLarge`]); at most that much is ever read.
///
/// The same rules hold for `<file>.lock`. On load and lock the file is checked once opened,
/// not by its path beforehand (which another process could swap in between); on save, what
/// the rename would replace is checked, and the rename replaces a name, never a link's target.
/// On platforms other than unix only the type, size and (on save) link checks apply. A
/// refused token or lock file stops refreshes (a valid token keeps serving, callers that need
/// a new one get the error) until it is fixed: refreshing without the lock could spend a
/// refresh token another process holds. [`on_outage`](Self::on_outage) with
/// [`OutagePolicy::RefreshAlone`] lets a program that is the file's only user refresh anyway.
///
/// ```no_run
/// use freshtoken::{FileStore, TokenCache, Token, source_fn};
///
/// let store = FileStore::new("/home/me/.config/tasks-cli/token.json");
/// let cache = TokenCache::builder(source_fn(|_previous| async { Token::builder("t").build() }))
///     .store(store)
///     .build();
/// # let _ = cache;
/// ```
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
    outage: OutagePolicy,
}

impl FileStore {
    /// A store in the file at `path`. Nothing is touched until the cache first needs a token;
    /// the parent directory must exist.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            outage: OutagePolicy::WaitForStore,
        }
    }

    /// What the cache does when the file or its lock cannot be used (default
    /// [`OutagePolicy::WaitForStore`]: no refresh until it can, so processes sharing the file
    /// never spend one refresh token twice). [`OutagePolicy::RefreshAlone`] suits a file only
    /// one process uses.
    #[must_use]
    pub fn on_outage(mut self, policy: OutagePolicy) -> Self {
        self.outage = policy;
        self
    }

    /// The file the token is kept in.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn lock_path(&self) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(".lock");
        PathBuf::from(name)
    }

    fn io_error(&self, source: io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn read(&self) -> Result<Option<Token>, StoreError> {
        let Some(json) = read_private(&self.path)? else {
            return Ok(None);
        };
        saved::from_json(&json)
            .map(Some)
            .map_err(|reason| StoreError::Corrupt {
                path: self.path.clone(),
                reason,
            })
    }

    fn write(&self, token: &Token) -> Result<(), StoreError> {
        replace_private(&self.path, &saved::to_json(token))
    }
}

/// The content of the file at `path`, checked as the token file is (see [`FileStore`]);
/// `None` when there is no file. The buffer is zeroed when dropped.
fn read_private(path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    let io_error = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    let (file, metadata) = match checks::open(path, Purpose::Read) {
        Ok(opened) => opened,
        Err(StoreError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(error) => return Err(error),
    };
    // Room for the whole file up front: a buffer that grew would leave unzeroed copies of
    // the secrets behind. One byte over the limit tells a file that is too large.
    let room = metadata.len().min(MAX_FILE_SIZE) + 1;
    let mut json = Zeroizing::new(Vec::with_capacity(usize::try_from(room).unwrap_or(0)));
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut json)
        .map_err(io_error)?;
    if json.len() as u64 > MAX_FILE_SIZE {
        return Err(StoreError::TooLarge {
            path: path.to_owned(),
            limit: MAX_FILE_SIZE,
        });
    }
    Ok(Some(json))
}

/// Replaces the file at `path` with `bytes` atomically: written owner-only to a temporary
/// file beside it, synced, then renamed over it.
fn replace_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    checks::replaceable(path)?;
    let temp = temp_path(path);
    let written = write_private(&temp, bytes).and_then(|()| fs::rename(&temp, path));
    if let Err(source) = written {
        let _ = fs::remove_file(&temp);
        return Err(StoreError::Io {
            path: path.to_owned(),
            source,
        });
    }
    // Make the rename itself durable; a failure here loses nothing already written.
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
        && let Ok(dir) = File::open(dir)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// A temporary file in the same directory as `path` (so the rename is atomic), unique to
/// this process and call.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "token".into(), |name| name.to_string_lossy());
    let unique = format!(
        ".{name}.{}.{:016x}.tmp",
        std::process::id(),
        fastrand::u64(..)
    );
    path.with_file_name(unique)
}

/// Writes `bytes` to a new file at `path`, readable and writable by the owner only, and syncs
/// it to disk.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = private_options().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    store: &FileStore,
    work: impl FnOnce(&FileStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    let path = store.path.clone();
    tokio::task::spawn_blocking(move || work(&store))
        .await
        .map_err(|join| StoreError::Io {
            path,
            source: io::Error::other(join.to_string()),
        })?
}

impl TokenStore for FileStore {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    async fn load(&self) -> Result<Option<Token>, StoreError> {
        blocking(self, FileStore::read).await
    }

    async fn save(&self, _previous: Option<&Token>, new: &Token) -> Result<(), StoreError> {
        let new = new.clone();
        blocking(self, move |store| store.write(&new)).await
    }

    async fn refresh_token_rejected(&self, token: &Token) -> Result<(), StoreError> {
        let token = token.clone();
        blocking(self, move |store| match store.read() {
            // Keep the access token while it lasts; only the dead refresh token goes.
            Ok(Some(saved)) if saved.same_secrets(&token) => {
                store.write(&saved.without_refresh_token())
            }
            Ok(_) | Err(StoreError::Corrupt { .. }) => Ok(()),
            Err(error) => Err(error),
        })
        .await
    }

    /// Deletes the file (a logout); a missing file is already clear.
    async fn clear(&self) -> Result<(), StoreError> {
        blocking(self, |store| {
            checks::replaceable(&store.path)?;
            match fs::remove_file(&store.path) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => Err(store.io_error(error)),
                _ => Ok(()),
            }
        })
        .await
    }

    fn outage_policy(&self) -> OutagePolicy {
        self.outage
    }

    async fn lock(&self) -> Result<StoreLock, StoreError> {
        lock::lock(self).await.map(StoreLock::new)
    }
}

#[cfg(all(test, unix))]
mod tests;
