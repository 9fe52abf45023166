// Input: a call the cache makes to its token store.
// Output: the store's answer, or a `StoreError::TimedOut` naming the store once the cache's
// store timeout has passed: a hung store (a FIFO as the token file, a hung NFS mount, a store
// behind a partitioned network) never hangs a caller.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Shared;
use crate::metrics;
use crate::{StoreError, StoreLock};

/// Waits for `call` at most `timeout`; `operation` names it in the error (`lock`, `load`...).
pub(super) async fn bounded<S, T>(
    shared: &Shared<S>,
    operation: &'static str,
    timeout: Duration,
    call: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = tokio::time::Instant::now();
    let answer = tokio::time::timeout(timeout, call).await;
    let outcome = match &answer {
        Ok(Ok(_)) => "success",
        // The store answered: another token is stored, or garbage. Not an outage.
        Ok(Err(StoreError::Conflict { .. })) => "conflict",
        Ok(Err(StoreError::Corrupt { .. })) => "corrupt",
        Ok(Err(_)) => "error",
        Err(_) => "timeout",
    };
    metrics::store_operation(&shared.config.name, operation, started.elapsed(), outcome);
    // A lock that succeeds says little (a store's default lock excludes nothing and asks
    // the store nothing): only the store's data answering ends an outage.
    let down = matches!(outcome, "error" | "timeout");
    if down {
        if !shared.store_down.swap(true, Ordering::Relaxed) {
            metrics::store_outage(&shared.config.name);
        }
    } else if operation != "lock" {
        shared.store_down.store(false, Ordering::Relaxed);
    }
    answer.unwrap_or_else(|_| {
        Err(StoreError::TimedOut {
            store: shared.store.name(),
            operation,
            timeout,
        })
    })
}

/// As [`bounded`], with the cache's store timeout.
pub(super) async fn store_call<S, T>(
    shared: &Shared<S>,
    operation: &'static str,
    call: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    bounded(shared, operation, shared.config.store_timeout, call).await
}

/// Takes the store's lock. Another process may hold it while it refreshes, so the wait is
/// bounded by the refresh timeout rather than the store timeout alone.
pub(super) async fn lock<S>(shared: &Shared<S>) -> Result<StoreLock, StoreError> {
    let config = &shared.config;
    let timeout = config.refresh_timeout.max(config.store_timeout);
    bounded(shared, "lock", timeout, shared.store.lock()).await
}

/// Logs that the store failed at `what`: a warning when it starts failing, then debug events
/// until it answers again, so an outage of a shared store (Redis down) is one warning per
/// cache, not one per refresh.
pub(super) fn failed<S>(shared: &Shared<S>, error: &StoreError, what: &'static str) {
    if shared.store_failing.swap(true, Ordering::Relaxed) {
        tracing::debug!(target: "freshtoken", %error, "{what}");
    } else {
        tracing::warn!(target: "freshtoken", %error, "{what}; further failures of the token store are logged at debug level until it answers again");
    }
}

/// The store answered: after a failure, says that it is back.
pub(super) fn answered<S>(shared: &Shared<S>) {
    if shared.store_failing.swap(false, Ordering::Relaxed) {
        tracing::info!(target: "freshtoken", store = %shared.store.name(), "the token store answers again");
    }
}
