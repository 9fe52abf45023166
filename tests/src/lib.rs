//! Helpers shared by the integration tests in `tests/tests/`.

pub mod answers;
pub mod client;
pub mod echo;
pub mod faults;
pub mod grpc;
pub mod redis_cluster;
pub mod redis_server;
pub mod scoped;
pub mod scripted;
pub mod sse_server;
pub mod stepped_clock;
pub mod user_source;
pub mod user_tokens;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use freshtoken::{AuthError, Token, TokenSource};
use tokio::sync::Semaphore;

pub use freshtoken_ui_tests::ApiError;

/// Locks `mutex`; a test that panicked while holding it leaves data worth reading still.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A token source that counts its calls and answers only when the test opens its gate, so a
/// test can gather any number of callers behind one refresh without relying on timing.
#[derive(Clone, Debug)]
pub struct GatedSource {
    calls: Arc<AtomicU32>,
    gate: Arc<Semaphore>,
    lifetime: Duration,
}

impl GatedSource {
    /// A closed source whose tokens live for `lifetime`.
    #[must_use]
    pub fn closed(lifetime: Duration) -> Self {
        Self {
            calls: Arc::new(AtomicU32::new(0)),
            gate: Arc::new(Semaphore::new(0)),
            lifetime,
        }
    }

    /// An open source whose tokens live for `lifetime`.
    #[must_use]
    pub fn open(lifetime: Duration) -> Self {
        let source = Self::closed(lifetime);
        source.open_gate();
        source
    }

    /// Lets every call, present and future, through.
    pub fn open_gate(&self) {
        self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    }

    /// How many times the cache called the source.
    #[must_use]
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl TokenSource for GatedSource {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let _permit = self
            .gate
            .acquire()
            .await
            .map_err(|_| AuthError::refresh_failed("the test closed the gate for good"))?;
        Token::builder(format!("access-{n}"))
            .expires_in(self.lifetime)
            .refresh_token(format!("refresh-{n}"))
            .build()
    }
}
