// Input: a host that wants to refresh the shared token.
// Output: the lease (`SET NX PX` with a random owner, in a script that also recognises a
// lease this owner took already, and reads the stored token with it) once no other host holds
// it; or, when another host saved a new token while this one waited, that token without the
// lease. A held lease is renewed every third of its length while the refresh runs, released
// by the save script or, when dropped, by a script that deletes it only for its owner: a host
// whose lease expired cannot release another's.
//
// A waiting host sleeps until a message on the store's channel (a token saved, a lease
// released) or until the lease it waits for would expire, whichever comes first: a holder
// that died costs the rest of its lease, and no host polls while a live one refreshes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::Script;
use tokio::task::AbortHandle;
use zeroize::Zeroizing;

use super::RedisStore;
use super::scripts;
use crate::{StoreError, StoreLock, Token};

/// Without a subscription (a store built on a connection of yours, or Redis refusing
/// `SUBSCRIBE`), the pause between two tries for a lease another host holds; it doubles up
/// to `MAX_POLL_PAUSE`.
const FIRST_POLL_PAUSE: Duration = Duration::from_millis(5);
const MAX_POLL_PAUSE: Duration = Duration::from_millis(50);
/// Spreads the tries of hosts that wait for the same lease expiry.
const EXPIRY_JITTER: Duration = Duration::from_millis(10);
/// Stands for "no token stored" where the lease script compares fingerprints.
const NO_FINGERPRINT: &str = "none";

/// The JSON of the stored token as read with the lease: the holder's next load, so it costs no
/// round trip.
type Prefetched = Option<Zeroizing<Vec<u8>>>;

/// What the store knows of the lease it holds now (shared by the store's clones).
#[derive(Default)]
pub(super) struct LeaseSlot(Mutex<Option<Slot>>);

struct Slot {
    /// `None` when the lock holds no lease (a token saved by another host was adopted).
    owner: Option<String>,
    /// Set once the lease is gone (released by the save, or dropped).
    released: Arc<AtomicBool>,
    prefetched: Option<Prefetched>,
}

impl LeaseSlot {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Slot>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token read with the lease, once: the load that follows taking the lease.
    pub(super) fn take_prefetched(&self) -> Option<Prefetched> {
        self.lock().as_mut().and_then(|slot| slot.prefetched.take())
    }

    /// Forgets the token read with the lease (the store was written since).
    pub(super) fn forget_prefetched(&self) {
        if let Some(slot) = self.lock().as_mut() {
            slot.prefetched = None;
        }
    }

    /// The owner of the lease held now, for a save to release it with the same script.
    pub(super) fn held(&self) -> Option<(String, Arc<AtomicBool>)> {
        self.lock().as_ref().and_then(|slot| {
            let owner = slot.owner.clone()?;
            (!slot.released.load(Ordering::SeqCst)).then(|| (owner, Arc::clone(&slot.released)))
        })
    }
}

/// A lease this host holds, or a token adopted without one; dropping it stops the renewal and
/// releases the lease unless the save did.
pub(super) struct Lease {
    store: RedisStore,
    owner: Option<String>,
    released: Arc<AtomicBool>,
    renewal: Option<AbortHandle>,
}

/// What one try for the lease answered.
enum Try {
    Taken(Prefetched),
    /// Another host saved this token while this one waited.
    Saved(Zeroizing<Vec<u8>>),
    /// Held by another host for this long; the stored token's fingerprint.
    Held(Duration, Option<String>),
}

/// Waits for the lease for as long as the caller waits (the cache bounds it); every command
/// is bounded by the store's command timeout.
pub(super) async fn acquire(store: &RedisStore) -> Result<Lease, StoreError> {
    store.start_wakeups();
    let owner = format!("{:032x}", fastrand::u128(..));
    // The fingerprint stored when this host found the lease taken: a different one later is a
    // token saved while it waited.
    let mut seen = String::new();
    let mut waited_for_subscription = false;
    let mut poll_pause = FIRST_POLL_PAUSE;
    loop {
        // Armed before the try, so a message sent between the try and the wait is not lost.
        let mut notified = std::pin::pin!(store.wakeups.notify().notified());
        notified.as_mut().enable();

        let answer = match try_once(store, &owner, &seen).await {
            Ok(answer) => answer,
            Err(error) => {
                // The try may have taken the lease before its answer was lost: free it rather
                // than make every host wait out a lease nobody holds.
                if matches!(error, StoreError::Unreachable { .. }) {
                    release_in_background(store.clone(), owner);
                }
                return Err(error);
            }
        };
        let left = match answer {
            Try::Taken(prefetched) => return Ok(Lease::taken(store, owner, prefetched)),
            Try::Saved(json) => match super::saved::from_json(&json) {
                Ok(token) if adoptable(&token) => return Ok(Lease::adopted(store, json)),
                // Not a token to adopt without the lease (no refresh token, expired): take
                // the lease once the holder lets go, as any refresh would.
                Ok(token) => {
                    seen = scripts::fingerprint(&token);
                    continue;
                }
                Err(_) => {
                    seen.clear();
                    continue;
                }
            },
            Try::Held(left, fingerprint) => {
                seen = fingerprint.unwrap_or_else(|| NO_FINGERPRINT.to_owned());
                left
            }
        };

        if store.can_subscribe() && !waited_for_subscription && !store.wakeups.subscribed() {
            // The first wait of this store: once subscribed, try again at once, since the
            // lease may have been released before the subscription could hear of it.
            waited_for_subscription = true;
            if store.wakeups.subscribed_within(store.command_timeout).await {
                continue;
            }
        }
        let pause = if store.wakeups.subscribed() {
            // Woken by the holder's save or release; else when its lease would expire (a
            // holder that died, a message lost).
            left.min(store.lease) + EXPIRY_JITTER.mul_f64(fastrand::f64())
        } else {
            let pause = poll_pause + poll_pause.mul_f64(fastrand::f64());
            poll_pause = (poll_pause * 2).min(MAX_POLL_PAUSE);
            pause
        };
        // Woken or timed out, the next try tells.
        let _ = tokio::time::timeout(pause, notified).await;
    }
}

/// One try for the lease.
async fn try_once(store: &RedisStore, owner: &str, seen: &str) -> Result<Try, StoreError> {
    let script = Script::new(scripts::ACQUIRE);
    let mut invocation = script.key(&store.keys.lease);
    invocation
        .key(&store.keys.token)
        .arg(owner)
        .arg(store.lease_millis())
        .arg(seen);
    let (state, left, payload): (i64, i64, Option<Vec<u8>>) = store
        .call("lock", |mut connection| {
            let invocation = &invocation;
            async move { invocation.invoke_async(&mut connection).await }
        })
        .await?;
    let payload = payload.map(Zeroizing::new);
    Ok(match (state, payload) {
        (1, prefetched) => Try::Taken(prefetched),
        (2, Some(json)) => Try::Saved(json),
        (_, fingerprint) => Try::Held(
            // A lease with no expiry (set by hand) is tried again after a lease's length.
            u64::try_from(left)
                .ok()
                .filter(|millis| *millis > 0)
                .map_or(store.lease, Duration::from_millis),
            fingerprint.map(|fp| String::from_utf8_lossy(&fp).into_owned()),
        ),
    })
}

/// Whether a token another host saved while this one waited can be adopted without the lease:
/// one the cache will take as it is. An expired token, or one whose refresh token was taken
/// away, goes through the lease like any refresh.
fn adoptable(token: &Token) -> bool {
    token.refresh_token().is_some() && !token.is_expired()
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
    fn taken(store: &RedisStore, owner: String, prefetched: Prefetched) -> Self {
        let released = Arc::new(AtomicBool::new(false));
        let renewal =
            tokio::spawn(renew(store.clone(), owner.clone(), Arc::clone(&released))).abort_handle();
        *store.lease_slot.lock() = Some(Slot {
            owner: Some(owner.clone()),
            released: Arc::clone(&released),
            prefetched: Some(prefetched),
        });
        Self {
            store: store.clone(),
            owner: Some(owner),
            released,
            renewal: Some(renewal),
        }
    }

    fn adopted(store: &RedisStore, json: Zeroizing<Vec<u8>>) -> Self {
        let released = Arc::new(AtomicBool::new(true));
        *store.lease_slot.lock() = Some(Slot {
            owner: None,
            released: Arc::clone(&released),
            prefetched: Some(Some(json)),
        });
        Self {
            store: store.clone(),
            owner: None,
            released,
            renewal: None,
        }
    }

    /// The guard the cache holds, which can tell whether the lease is still this host's.
    pub(super) fn into_store_lock(self) -> StoreLock {
        match self.owner.clone() {
            Some(owner) => {
                let store = self.store.clone();
                StoreLock::new(self).checked_by(move || held(store.clone(), owner.clone()))
            }
            // The cache adopts the saved token; should it want to refresh all the same, it must
            // take the lease first.
            None => StoreLock::new(self).checked_by(|| async { false }),
        }
    }
}

/// Extends the lease every third of its length while the refresh runs; stops once the lease
/// is released, or no longer this host's (it expired while the process was stopped, say).
async fn renew(store: RedisStore, owner: String, released: Arc<AtomicBool>) {
    let script = Script::new(scripts::RENEW);
    let millis = store.lease_millis();
    loop {
        tokio::time::sleep(store.lease / 3).await;
        if released.load(Ordering::SeqCst) {
            return;
        }
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
            Ok(_) if released.load(Ordering::SeqCst) => return,
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

/// Releases `owner`'s lease in the background (without a runtime, it simply expires).
fn release_in_background(store: RedisStore, owner: String) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let script = Script::new(scripts::RELEASE);
        let mut invocation = script.key(&store.keys.lease);
        invocation.arg(owner).arg(&store.keys.events);
        let released: Result<i64, _> = store
            .call("release the lease", |mut connection| {
                let invocation = &invocation;
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await;
        if let Err(error) = released {
            tracing::debug!(target: "freshtoken", %error, "could not release the refresh lease; it expires by itself");
        }
    });
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(renewal) = &self.renewal {
            renewal.abort();
        }
        {
            let mut slot = self.store.lease_slot.lock();
            if slot
                .as_ref()
                .is_some_and(|slot| Arc::ptr_eq(&slot.released, &self.released))
            {
                *slot = None;
            }
        }
        if self.released.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(owner) = self.owner.take() {
            release_in_background(self.store.clone(), owner);
        }
    }
}
