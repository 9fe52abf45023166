//! What the UI tests' clients share, so each test file shows only the form it checks.

use std::time::Duration;

use freshtoken::TokenCache;

pub use crate::ApiError;
use crate::GatedSource;

/// The cache type of the UI tests' clients.
pub type Cache = TokenCache<GatedSource>;

/// A cache whose source answers at once with tokens that live an hour.
#[must_use]
pub fn cache() -> Cache {
    TokenCache::new(GatedSource::open(Duration::from_secs(3600)))
}
