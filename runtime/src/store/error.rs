// Input: a failure to read or write a token store.
// Output: an error that names the store (a path) and says what to do, without a secret.

use std::error::Error as StdError;
use std::io;
use std::path::PathBuf;

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
}

impl StoreError {
    /// An error from a store of your own.
    pub fn other(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Other(error.into())
    }
}
