// Input: the factory of sources, and the user's settings for the partitions.
// Output: `TokenCaches`.

use std::hash::Hash;
use std::sync::Arc;

use serde::Serialize;

use super::id::Naming;
use super::resident::Residents;
use super::{Configure, DEFAULT_MAX_PARTITIONS, Inner, ScopeSet, SourceFor, StoreFor, TokenCaches};
use crate::store::{MemoryStores, PartitionStores};
use crate::{TokenCacheBuilder, TokenSource};

/// Configures [`TokenCaches`]; start with [`TokenCaches::builder`].
///
/// ```
/// use std::time::Duration;
/// use freshtoken::store::MemoryStores;
/// use freshtoken::{Token, TokenCaches, source_fn};
///
/// let caches = TokenCaches::builder(|_tenant: &u64| {
///     source_fn(|_previous| async { Token::builder("t").build() })
/// })
/// .max_partitions(100_000)
/// .stores(MemoryStores::default())
/// .naming_secret(b"a secret shared by the fleet, from its configuration".to_vec())
/// .configure(|cache| cache.refresh_margin(Duration::from_secs(30)))
/// .build();
/// # let _ = caches;
/// ```
#[must_use]
pub struct TokenCachesBuilder<K, S> {
    source_for: SourceFor<K, S>,
    store_for: StoreFor,
    configure: Configure<S>,
    max_partitions: usize,
    naming: Naming,
}

impl<K, S> std::fmt::Debug for TokenCachesBuilder<K, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCachesBuilder")
            .field("max_partitions", &self.max_partitions)
            .finish_non_exhaustive()
    }
}

impl<K, S> TokenCachesBuilder<K, S>
where
    K: Hash + Eq + Clone + Serialize + Send + Sync + 'static,
    S: TokenSource,
{
    pub(super) fn new(source_for: SourceFor<K, S>) -> Self {
        let stores = MemoryStores::default();
        Self {
            source_for,
            store_for: Box::new(move |id| Box::new(stores.store_for(id))),
            configure: Box::new(|builder| builder),
            max_partitions: DEFAULT_MAX_PARTITIONS,
            naming: Naming::default(),
        }
    }

    /// How many partitions stay in memory at most (default [`DEFAULT_MAX_PARTITIONS`]; at
    /// least 1). Past it the least recently used idle partition is evicted; it comes back
    /// from its store when next used. Partitions in use are never evicted, so while more than
    /// this many are in use at once, more stay in memory.
    pub fn max_partitions(mut self, max: usize) -> Self {
        self.max_partitions = max.max(1);
        self
    }

    /// Where each partition keeps its token: [`MemoryStores`] (the default),
    /// [`FileStores`](crate::store::FileStores), `RedisStore` (feature `redis`) or your own.
    pub fn stores(mut self, stores: impl PartitionStores) -> Self {
        self.store_for = Box::new(move |id| Box::new(stores.store_for(id)));
        self
    }

    /// The settings of every partition's cache (margins, timeouts, backoff, runtime): applied
    /// to each partition's [`TokenCacheBuilder`] when it is made. A store set here is
    /// replaced by the partition's own from [`stores`](Self::stores).
    pub fn configure<F>(mut self, configure: F) -> Self
    where
        F: Fn(TokenCacheBuilder<S>) -> TokenCacheBuilder<S> + Send + Sync + 'static,
    {
        self.configure = Box::new(configure);
        self
    }

    /// A secret that keys the hash naming partitions in stores ([`PartitionId`](super::PartitionId)), so that no
    /// one who reads the store can test a guessed key (user numbers, emails) against the
    /// names. Every host of a fleet sharing a store must use the same secret; changing it
    /// orphans every stored entry. Without it, names are still hashes, with a fixed key.
    pub fn naming_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.naming = Naming::with_secret(&secret.into());
        self
    }

    /// The caches.
    #[must_use]
    pub fn build(self) -> TokenCaches<K, S> {
        TokenCaches {
            inner: Arc::new(Inner {
                residents: Residents::new(self.max_partitions),
                source_for: self.source_for,
                store_for: self.store_for,
                configure: self.configure,
                naming: self.naming,
                no_scopes: ScopeSet::default(),
            }),
        }
    }
}
