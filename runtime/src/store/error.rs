// Input: a failure to read or write a token store.
// Output: an error that names the store (a path) and says what to do, without a secret.

use std::error::Error as StdError;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// A token store could not be read or written.
///
/// The cache logs it and goes on serving the token it holds while that token is valid; what
/// it does when a new token is needed is the store's
/// [`OutagePolicy`](crate::OutagePolicy). Messages name the file, never a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing the file failed.
    #[error("token store {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },

    /// The file exists but does not hold a saved token.
    #[error(
        "token store {} does not hold a saved token ({reason}); delete it, or let the next login overwrite it",
        path.display()
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The path is a symbolic link. The store neither reads through a link (someone who can
    /// change the link could hand it any file) nor replaces one on save (that would silently
    /// cut the link).
    #[error(
        "token store {} is a symbolic link, which FileStore neither follows nor replaces; give FileStore the real path (see `readlink -f {}`)",
        path.display(),
        path.display()
    )]
    Symlink {
        /// The link.
        path: PathBuf,
    },

    /// The path is not a regular file (a FIFO, a device, a directory, a socket): opening one
    /// can block forever or read without end.
    #[error(
        "token store {} is a {kind}, not a regular file; point FileStore at a file path, or move this {kind} out of the way so the next login creates the file",
        path.display()
    )]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead ("FIFO", "directory", ...).
        kind: &'static str,
    },

    /// The file belongs to another user, who could plant a token of their choosing.
    #[error(
        "token store {} is owned by uid {owner}, not by the user this process runs as (uid {user}); run `chown {user} {}`, or delete it so the next login writes a new one",
        path.display(),
        path.display()
    )]
    NotOwned {
        /// The file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The effective user id of this process.
        user: u32,
    },

    /// The file can be changed by group or others, who could plant a token of their choosing.
    #[error(
        "token store {} is writable by group or others (mode {mode:04o}); run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    Writable {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },

    /// The file is larger than any saved token; it was not read whole.
    #[error(
        "token store {} is larger than {limit} bytes, far more than a saved token; point FileStore at the right file, or delete this one",
        path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The most the store reads, in bytes.
        limit: u64,
    },

    /// Any other store (a database, a secret manager) failed.
    #[error("token store: {0}")]
    Other(Box<dyn StdError + Send + Sync>),

    /// The store did not answer within the cache's store timeout (a hung file system, a FIFO
    /// in place of the file, a store behind a partitioned network).
    #[error(
        "token store {store} did not {operation} within {timeout:?}; check that it is reachable \
         (the limit is `TokenCacheBuilder::store_timeout`); the next refresh tries again"
    )]
    TimedOut {
        /// The store, as [`TokenStore::name`](crate::TokenStore::name) describes it.
        store: String,
        /// What the cache asked of it: `lock`, `load`, `save`...
        operation: &'static str,
        /// How long the cache waited.
        timeout: Duration,
    },

    /// A shared store (Redis) could not be reached or did not answer in time. Until it
    /// answers the cache follows the store's [`OutagePolicy`](crate::OutagePolicy): by
    /// default the valid token keeps serving and no refresh runs.
    #[error(
        "token store {store} could not {operation}: {reason}; until it answers, the cache \
         follows the store's outage policy (by default: no refresh, the valid token keeps \
         serving)"
    )]
    Unreachable {
        /// The store, as [`TokenStore::name`](crate::TokenStore::name) describes it.
        store: String,
        /// What the cache asked of it: `lock`, `load`, `save`...
        operation: &'static str,
        /// What went wrong (the client library's message).
        reason: String,
    },

    /// Another host saved a different token while this one refreshed (its lease had expired):
    /// the save was refused so the newer token is not overwritten. The cache adopts the stored
    /// token.
    #[error(
        "token store {store} holds a token another host saved during this refresh; this one \
         was not saved over it"
    )]
    Conflict {
        /// The store.
        store: String,
    },

    /// The store cannot be built as configured.
    #[error("token store {store}: {reason}")]
    InvalidConfig {
        /// The store.
        store: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

impl StoreError {
    /// An error from a store of your own.
    pub fn other(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Other(error.into())
    }
}
