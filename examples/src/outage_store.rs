//! A token store that can be taken down and brought back, for the walkthrough's store
//! outage step: what an operator sees when the store (Redis, a token file on a mount) stops
//! answering.

// Input: the cache's calls to its token store; `go_down` and `come_back` from the demo.
// Output: the answers of an in-memory store while up, `StoreError::Unreachable` while down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use freshtoken::{MemoryStore, OutagePolicy, StoreError, StoreLock, Token, TokenStore};

/// An in-memory token store that can be made unreachable. Clones share one store, so the
/// demo keeps a clone to take down the one it gave the cache.
///
/// Its cache refreshes alone while it is down ([`OutagePolicy::RefreshAlone`]): one process
/// uses it, so serving callers matters more than sharing a refresh token.
#[derive(Clone, Default)]
pub struct OutageStore {
    down: Arc<AtomicBool>,
    kept: Arc<MemoryStore>,
}

impl OutageStore {
    /// A store that answers, holding no token yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on every call fails as a store that cannot be reached does.
    pub fn go_down(&self) {
        self.down.store(true, Ordering::SeqCst);
    }

    /// From now on the store answers again, with what it held before.
    pub fn come_back(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    fn reachable(&self, operation: &'static str) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unreachable {
                store: self.name(),
                operation,
                reason: "connection refused".to_owned(),
            });
        }
        Ok(())
    }
}

impl TokenStore for OutageStore {
    fn name(&self) -> String {
        "outage store".to_owned()
    }

    async fn load(&self) -> Result<Option<Token>, StoreError> {
        self.reachable("load")?;
        self.kept.load().await
    }

    async fn save(&self, previous: Option<&Token>, new: &Token) -> Result<(), StoreError> {
        self.reachable("save")?;
        self.kept.save(previous, new).await
    }

    async fn clear(&self) -> Result<(), StoreError> {
        self.reachable("clear")?;
        self.kept.clear().await
    }

    async fn lock(&self) -> Result<StoreLock, StoreError> {
        self.reachable("lock")?;
        Ok(StoreLock::none())
    }

    fn outage_policy(&self) -> OutagePolicy {
        OutagePolicy::RefreshAlone
    }
}
