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

/// The base URL of a port of 127.0.0.1 that nothing listens on: a generated client's call
/// to it fails to connect at once, so a UI test can run a call without a server.
///
/// # Panics
/// If no port on 127.0.0.1 can be bound.
#[must_use]
pub fn refused_url() -> String {
    // Bound then released: the port was free a moment ago, and nothing in the test binds it.
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("a free port on 127.0.0.1");
    let port = listener
        .local_addr()
        .expect("a bound listener has an address")
        .port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Whether `error` is the failure to connect that a call to [`refused_url`] ends in.
#[must_use]
pub fn is_refused(error: &freshtoken::client::Error) -> bool {
    matches!(error, freshtoken::client::Error::Transport { .. })
}
