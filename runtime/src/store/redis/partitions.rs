// Input: the name of a partition of a `TokenCaches` (a hash of the user's key).
// Output: the partition's `RedisStore`: its own keys, lease and compare-and-set, on the
// connections of the store it was made from, with that store's settings.

use std::sync::Arc;

use super::RedisStore;
use super::keys::Keys;
use crate::partition::PartitionId;
use crate::store::PartitionStores;

/// Each partition of a [`TokenCaches`](crate::TokenCaches) gets a `RedisStore` of its own
/// keys, `freshtoken:{<prefix>:<partition id>}:token` (and `:lease`, `:events`,
/// `:registrations`), with the lease length, command timeout and outage policy of this store.
///
/// The partitions share this store's connection (one per server or cluster, made on first
/// use) and its one pub/sub connection, on which each partition's channel is subscribed while
/// the partition is resident. The key names hold the [`PartitionId`], a hash, never the user's
/// key; on a cluster each partition's keys share a slot, and the partitions spread over the
/// nodes.
impl PartitionStores for RedisStore {
    type Store = Self;

    fn store_for(&self, partition: &PartitionId) -> Self {
        let keys = Keys::partition(&self.shared.prefix, partition);
        let mut store = Self::with_keys(Arc::clone(&self.shared), keys);
        store.lease = self.lease;
        store.command_timeout = self.command_timeout;
        store.outage = self.outage;
        store
    }
}
