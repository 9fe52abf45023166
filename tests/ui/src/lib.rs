//! What the UI cases in `pass/`, `fail/` and `client/` share, so each case shows only the
//! form it checks; the strict-lint tests of `freshtoken-tests` use it too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use freshtoken::{AuthError, Token, TokenCache, TokenSource, Unauthorized};
use http::StatusCode;

/// An SDK's error type: refresh failures, HTTP statuses and failed requests.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The token could not be had.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The API answered with this status.
    #[error("the API answered {0}")]
    Status(StatusCode),
    /// The request failed.
    #[error("the API request failed: {0}")]
    Http(#[source] reqwest::Error),
}

impl Unauthorized for ApiError {
    fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Status(status) if status.is_unauthorized())
    }
}

/// A source that answers at once with `access-1`, `access-2`, ... (refresh tokens
/// `refresh-1`, ...), each living an hour.
#[derive(Clone, Debug, Default)]
pub struct HourTokens {
    calls: Arc<AtomicU32>,
}

impl HourTokens {
    /// How many tokens it issued.
    #[must_use]
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl TokenSource for HourTokens {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        Token::builder(format!("access-{n}"))
            .expires_in(Duration::from_secs(3600))
            .refresh_token(format!("refresh-{n}"))
            .build()
    }
}

/// The cache type of the UI cases' clients.
pub type Cache = TokenCache<HourTokens>;

/// A cache of [`HourTokens`].
#[must_use]
pub fn cache() -> Cache {
    TokenCache::new(HourTokens::default())
}

/// The base URL of a port of 127.0.0.1 that nothing listens on: a generated client's call
/// to it fails to connect at once, so a case can run a call without a server.
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
