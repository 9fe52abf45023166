// Input: a failure to read or write a token store.
// Output: an error that names the store (a path) and says what to do, without a secret.

use std::error::Error as StdError;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// A token store could not be read or written.
///
/// The cache never fails a caller because of it: it logs the error and goes on with the
/// token it holds. Messages name the file, never a token.
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
}

impl StoreError {
    /// An error from a store of your own.
    pub fn other(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Other(error.into())
    }
}
