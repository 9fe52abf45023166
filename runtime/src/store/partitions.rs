// Input: the name of a partition of a `TokenCaches` (a hash of the user's key).
// Output: the store that partition keeps its token in: one entry per partition, in memory,
// in a directory of files, or in Redis (`redis/partitions.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::{FileStore, MemoryStore, OutagePolicy, TokenStore};
use crate::partition::PartitionId;

/// Makes the [`TokenStore`] of each partition of a [`TokenCaches`](crate::TokenCaches): one
/// entry per partition, named by its [`PartitionId`] (a hash: no user id in a file name or a
/// Redis key).
///
/// A partition evicted from memory comes back from its store, so a store that outlives the
/// partitions keeps every login: [`MemoryStores`] (the default, for one process),
/// [`FileStores`] (a directory, for the processes of one host) and `RedisStore` (feature
/// `redis`, for a fleet: each partition gets its own keys `freshtoken:{<prefix>:<partition
/// id>}:…`, lease and compare-and-set, on the connections of the store it is made from; on one
/// server or a Redis Cluster, over whose nodes the partitions spread).
///
/// ```
/// use freshtoken::partition::PartitionId;
/// use freshtoken::store::PartitionStores;
/// use freshtoken::MemoryStore;
///
/// /// Every partition starts from a login after an eviction (do not do this with refresh
/// /// tokens you cannot get again).
/// struct Forgetful;
///
/// impl PartitionStores for Forgetful {
///     type Store = MemoryStore;
///     fn store_for(&self, _partition: &PartitionId) -> MemoryStore {
///         MemoryStore::default()
///     }
/// }
/// ```
pub trait PartitionStores: Send + Sync + 'static {
    /// The store of one partition.
    type Store: TokenStore;

    /// The store of the partition named `partition`. Called each time the partition is made
    /// resident (first use, and again after an eviction): it must give access to what the
    /// store kept for that name before.
    fn store_for(&self, partition: &PartitionId) -> Self::Store;
}

/// The default stores of a [`TokenCaches`](crate::TokenCaches): one [`MemoryStore`] per
/// partition, kept after the partition is evicted so that it comes back with its token.
///
/// What stays in memory for an evicted partition is its token (a few hundred bytes), not the
/// partition. Nothing survives a restart; use [`FileStores`] or `RedisStore` for that.
#[derive(Debug, Clone, Default)]
pub struct MemoryStores {
    stores: Arc<Mutex<HashMap<PartitionId, Arc<MemoryStore>>>>,
}

impl MemoryStores {
    /// How many partitions have a store (resident or evicted).
    #[must_use]
    pub fn len(&self) -> usize {
        self.stores
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no partition has a store yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartitionStores for MemoryStores {
    type Store = Arc<MemoryStore>;

    fn store_for(&self, partition: &PartitionId) -> Arc<MemoryStore> {
        let mut stores = self.stores.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(stores.entry(partition.clone()).or_default())
    }
}

/// One [`FileStore`] per partition in a directory: `<dir>/<partition id>.json` (and its
/// `.lock`), with every check and guarantee of a `FileStore` (mode `0600`, atomic replace, an
/// OS lock per partition shared by the processes of the host).
///
/// The file names are [`PartitionId`]s, hashes that show no user id, tenant or scope. The
/// directory must exist; make it readable by the service's user only, since the files hold
/// tokens.
///
/// ```no_run
/// use freshtoken::store::FileStores;
/// use freshtoken::{Token, TokenCaches, source_fn};
///
/// let caches = TokenCaches::builder(|_user: &String| {
///     source_fn(|_previous| async { Token::builder("t").build() })
/// })
/// .stores(FileStores::new("/var/lib/my-service/tokens"))
/// .build();
/// # let _ = caches;
/// ```
#[derive(Debug, Clone)]
pub struct FileStores {
    dir: PathBuf,
    outage: OutagePolicy,
}

impl FileStores {
    /// The stores of the partitions in the directory `dir`. Nothing is touched until a
    /// partition first needs its store.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            outage: OutagePolicy::WaitForStore,
        }
    }

    /// The outage policy of every partition's store; see [`FileStore::on_outage`].
    #[must_use]
    pub fn on_outage(mut self, policy: OutagePolicy) -> Self {
        self.outage = policy;
        self
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl PartitionStores for FileStores {
    type Store = FileStore;

    fn store_for(&self, partition: &PartitionId) -> FileStore {
        FileStore::new(self.dir.join(format!("{partition}.json"))).on_outage(self.outage)
    }
}
