// Input: the user's choices for one cache.
// Output: the settings the cache runs with, defaults filled in and clamped to be safe.

use std::sync::Arc;
use std::time::Duration;

/// Settings of one [`TokenCache`](crate::TokenCache); made by
/// [`TokenCacheBuilder`](crate::TokenCacheBuilder).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) refresh_margin: Duration,
    pub(crate) refresh_ahead: Duration,
    pub(crate) refresh_timeout: Duration,
    pub(crate) backoff_initial: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) store_timeout: Duration,
    pub(crate) min_refresh_interval: Duration,
    /// The protected resource (RFC 8707) this cache's tokens are for, if it is one resource's.
    pub(crate) resource: Option<String>,
    /// The cache's name in metrics (`freshtoken.cache`).
    pub(crate) name: Arc<str>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            refresh_margin: Duration::from_secs(60),
            refresh_ahead: Duration::from_secs(60),
            refresh_timeout: Duration::from_secs(30),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            store_timeout: Duration::from_secs(10),
            min_refresh_interval: Duration::from_secs(1),
            resource: None,
            name: Arc::from("default"),
        }
    }
}
