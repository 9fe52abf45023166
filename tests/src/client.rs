//! What the tests of `#[freshtoken::client]` clients (`tests/tests/integration/client/`) share:
//! caches that refresh at once, and an address where nothing listens.

use std::time::Duration;

use freshtoken::{TokenCache, TokenSource};

use crate::GatedSource;
use crate::scripted::bind_loopback;

/// How long the tokens of [`open_cache`] live: longer than any test.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// A cache over `source` without the minimum interval between refreshes, so that a retry
/// after a 401 gets its new token at once rather than a second later.
#[must_use]
pub fn cache_over<S: TokenSource>(source: S) -> TokenCache<S> {
    TokenCache::builder(source)
        .min_refresh_interval(Duration::ZERO)
        .build()
}

/// An open source (tokens `access-1`, `access-2`, ... living an hour) and a cache over it.
#[must_use]
pub fn open_cache() -> (GatedSource, TokenCache<GatedSource>) {
    let source = GatedSource::open(TOKEN_LIFETIME);
    (source.clone(), cache_over(source))
}

/// The base URL of a port on 127.0.0.1 that was free a moment ago and has no listener: a
/// request to it is refused.
pub async fn refused_url() -> String {
    let (listener, addr) = bind_loopback().await;
    drop(listener);
    format!("http://{addr}")
}
