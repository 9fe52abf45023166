// Input: a host that wants to refresh the shared token.
// Output: the lease (`SET NX PX` with a random owner, in a script that also recognises a
// lease this owner took already) once no other host holds it, renewed
// while the refresh runs longer than the lease, and released when dropped, by a script that
// deletes it only for its owner: a host whose lease expired cannot release another's.

use std::time::Duration;

use redis::Script;
use tokio::task::AbortHandle;

use super::RedisStore;
use super::scripts;
use crate::StoreError;

/// The first pause between two tries for a lease another host holds; it doubles up to
/// `MAX_PAUSE`. Short, because the holder usually answers within one token request.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// A lease this host holds; dropping it stops the renewal and releases the lease.
pub(super) struct Lease {
    store: RedisStore,
    owner: String,
    renewal: AbortHandle,
}

/// Waits for the lease for as long as the caller waits (the cache bounds it); every command
/// is bounded by the store's command timeout.
pub(super) async fn acquire(store: &RedisStore) -> Result<Lease, StoreError> {
    let owner = format!("{:032x}", fastrand::u128(..));
    let millis = store.lease_millis();
    let mut pause = FIRST_PAUSE;
    loop {
        let script = Script::new(scripts::ACQUIRE);
        let mut invocation = script.key(&store.keys.lease);
        invocation.arg(&owner).arg(millis);
        let taken: i64 = store
            .call("lock", |mut connection| {
                let invocation = &invocation;
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await?;
        if taken == 1 {
            break;
        }
        // Jitter keeps the waiting hosts from asking in step.
        tokio::time::sleep(pause + pause.mul_f64(fastrand::f64())).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
    let renewal = tokio::spawn(renew(store.clone(), owner.clone())).abort_handle();
    Ok(Lease {
        store: store.clone(),
        owner,
        renewal,
    })
}

/// Whether `owner` still holds the lease. Not knowing (Redis unreachable) counts as held:
/// the cache then goes on as it does without the store.
pub(super) async fn held(store: RedisStore, owner: String) -> bool {
    let mut get = redis::cmd("GET");
    get.arg(&store.keys.lease);
    let holder: Result<Option<String>, _> = store
        .call("check the lease", |mut connection| {
            let get = &get;
            async move { get.query_async(&mut connection).await }
        })
        .await;
    !matches!(holder, Ok(holder) if holder.as_deref() != Some(owner.as_str()))
}

impl Lease {
    /// The guard the cache holds, which can tell whether the lease is still this host's.
    pub(super) fn into_store_lock(self) -> crate::StoreLock {
        let (store, owner) = (self.store.clone(), self.owner.clone());
        crate::StoreLock::new(self).checked_by(move || held(store.clone(), owner.clone()))
    }
}

/// Extends the lease every third of its length while the refresh runs; stops once the lease
/// is no longer this host's (it expired while the process was stopped, say).
async fn renew(store: RedisStore, owner: String) {
    let script = Script::new(scripts::RENEW);
    let millis = store.lease_millis();
    loop {
        tokio::time::sleep(store.lease / 3).await;
        let mut invocation = script.key(&store.keys.lease);
        invocation.arg(&owner).arg(millis);
        let renewed: Result<i64, _> = store
            .call("renew the lease", |mut connection| {
                let invocation = &invocation;
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await;
        match renewed {
            Ok(1) => {}
            Ok(_) => {
                tracing::warn!(target: "freshtoken", store = %store.name, "the refresh lease expired before the refresh ended; another host may refresh too, and the store keeps the first token saved");
                return;
            }
            Err(error) => {
                tracing::debug!(target: "freshtoken", %error, "could not renew the refresh lease; trying again");
            }
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewal.abort();
        // Without a runtime the lease simply expires.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (store, owner) = (self.store.clone(), std::mem::take(&mut self.owner));
        runtime.spawn(async move {
            let script = Script::new(scripts::RELEASE);
            let mut invocation = script.key(&store.keys.lease);
            invocation.arg(owner);
            let released: Result<i64, _> = store
                .call("release the lease", |mut connection| {
                    let invocation = &invocation;
                    async move {
                    invocation.invoke_async(&mut connection).await
                    }
                })
                .await;
            if let Err(error) = released {
                tracing::debug!(target: "freshtoken", %error, "could not release the refresh lease; it expires by itself");
            }
        });
    }
}
