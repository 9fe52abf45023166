//! What the UI tests' clients share, so each test file shows only the form it checks.

use std::time::Duration;

use freshtoken::{AuthError, TokenCache, Unauthorized};
use http::StatusCode;

use crate::GatedSource;

/// The cache type of the UI tests' clients.
pub type Cache = TokenCache<GatedSource>;

/// A cache whose source answers at once with tokens that live an hour.
#[must_use]
pub fn cache() -> Cache {
    TokenCache::new(GatedSource::open(Duration::from_secs(3600)))
}

/// An SDK's error type: refresh failures and HTTP statuses.
#[derive(Debug)]
pub enum ApiError {
    /// The token could not be had.
    Auth(AuthError),
    /// The API answered with this status.
    Status(StatusCode),
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        Self::Auth(error)
    }
}

impl Unauthorized for ApiError {
    fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Status(status) if status.is_unauthorized())
    }
}
