//! Many identities in one process: [`TokenCaches`], one [`TokenCache`] per key (a user, a
//! tenant, a resource, a scope set), bounded in memory, each kept in its own store entry.

// Input: a key per caller (whom the call acts for) and a factory of token sources.
// Output: per key, everything a `TokenCache` does (single flight, refresh-ahead, backoff,
// 401 invalidation, a store entry), with the partitions in memory bounded (`resident.rs`),
// named in stores by a keyed hash (`id.rs`), and a token for a wider scope set serving a
// narrower request (`scopes.rs`).

mod builder;
mod id;
mod nameless;
mod resident;
mod scopes;
#[cfg(test)]
mod tests;
mod token_future;

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use serde::Serialize;

pub use self::builder::TokenCachesBuilder;
use self::id::Naming;
pub use self::id::PartitionId;
use self::nameless::NamelessStore;
use self::resident::{Found, Residents};
pub use self::scopes::ScopeSet;
pub use self::token_future::PartitionTokenFuture;
use crate::store::DynStore;
use crate::{AuthError, TokenCache, TokenCacheBuilder, TokenSource};

/// The partition cap when none is set: some megabytes of idle partitions (see the guide's
/// "Many identities" chapter for the measured size of one).
pub const DEFAULT_MAX_PARTITIONS: usize = 10_000;

/// Token caches for many identities: a [`TokenCache`] per key, made on first use by a
/// factory of sources, bounded in memory, each kept in its own store entry.
///
/// The key is yours: a user id, a tenant, a resource, a tuple of them. Per key a partition
/// does everything a `TokenCache` does: one refresh however many callers need it, refresh
/// ahead of expiry, backoff, invalidation after a 401, and a store entry with the store's
/// lock and compare-and-set, so the hosts of a fleet share each user's single flight and
/// rotation through `RedisStore` (feature `redis`).
///
/// - [`cache`](Self::cache) gives the partition's `TokenCache`: a handle that the generated
///   clients, `#[refresh_token]`, the middleware and the tower layer take like any other.
/// - [`token`](Self::token) is the short way to a token (no clone of the handle on a hit).
/// - **Scope sets**: [`cache_for`](Self::cache_for) and [`token_for`](Self::token_for) take a
///   [`ScopeSet`]; a partition of the same key holding a fresh token for more scopes serves
///   the request, with no second login; scopes no partition holds get a partition (and a
///   token) of their own, asked of the source with
///   [`fetch_with_scopes`](TokenSource::fetch_with_scopes).
/// - **Memory**: at most [`max_partitions`](TokenCachesBuilder::max_partitions) partitions
///   stay in memory (default [`DEFAULT_MAX_PARTITIONS`]); the least recently used idle one
///   goes first. A partition in use (a clone of its cache held, a caller waiting, a refresh
///   under way, a token not yet saved) is never evicted: while every partition is in use the
///   cap is exceeded rather than a token lost. An evicted partition comes back from its store.
/// - **Stores**: [`stores`](TokenCachesBuilder::stores) gives each partition its entry:
///   [`MemoryStores`](crate::store::MemoryStores) (the default),
///   [`FileStores`](crate::store::FileStores), `RedisStore`. Entries are named by a
///   [`PartitionId`], a keyed hash of the key that shows no user data.
///
/// The key must serialize (`serde::Serialize`) to the same JSON on every host and after a
/// restart: derive it for your own types of strings and numbers.
///
/// ```
/// use std::time::Duration;
/// use freshtoken::{Token, TokenCaches, source_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), freshtoken::AuthError> {
/// // One source per user: here a stand-in that names the user in the token.
/// let caches = TokenCaches::builder(|user: &String| {
///     let user = user.clone();
///     source_fn(move |_previous| {
///         let user = user.clone();
///         async move {
///             Token::builder(format!("token-of-{user}"))
///                 .expires_in(Duration::from_secs(3600))
///                 .build()
///         }
///     })
/// })
/// .max_partitions(50_000)
/// .build();
///
/// let alice = caches.token(&"alice".to_owned()).await?;
/// assert_eq!(alice.access_token().expose_secret(), "token-of-alice");
///
/// // A handle for one user, for a generated client or a bearer layer.
/// let bob = caches.cache(&"bob".to_owned());
/// assert_eq!(bob.token().await?.access_token().expose_secret(), "token-of-bob");
/// assert_eq!(caches.len(), 2);
/// # Ok(())
/// # }
/// ```
pub struct TokenCaches<K, S> {
    inner: Arc<Inner<K, S>>,
}

type SourceFor<K, S> = Box<dyn Fn(&K) -> S + Send + Sync>;
type StoreFor = Box<dyn Fn(&PartitionId) -> Box<dyn DynStore> + Send + Sync>;
type Configure<S> = Box<dyn Fn(TokenCacheBuilder<S>) -> TokenCacheBuilder<S> + Send + Sync>;

struct Inner<K, S> {
    residents: Residents<K, S>,
    source_for: SourceFor<K, S>,
    store_for: StoreFor,
    configure: Configure<S>,
    naming: Naming,
    /// The empty scope set, kept so that `token(&key)` needs no allocation.
    no_scopes: ScopeSet,
}

impl<K, S> TokenCaches<K, S>
where
    K: Hash + Eq + Clone + Serialize + Send + Sync + 'static,
    S: TokenSource,
{
    /// Caches with default settings: `source_for` makes the source of each key's partition.
    pub fn new<F>(source_for: F) -> Self
    where
        F: Fn(&K) -> S + Send + Sync + 'static,
    {
        Self::builder(source_for).build()
    }

    /// Configures the caches; see [`TokenCachesBuilder`].
    pub fn builder<F>(source_for: F) -> TokenCachesBuilder<K, S>
    where
        F: Fn(&K) -> S + Send + Sync + 'static,
    {
        TokenCachesBuilder::new(Box::new(source_for))
    }

    /// The cache of `key`'s partition (with no particular scopes), made if it is not in
    /// memory: a clone of a [`TokenCache`], to give to a client, a layer or a wrapped method.
    ///
    /// While a clone is held the partition stays in memory; drop it when the work for that
    /// key is done (a request handled), so the partition can be evicted.
    pub fn cache(&self, key: &K) -> TokenCache<S> {
        self.cache_for(key, &self.inner.no_scopes)
    }

    /// The cache that serves `scopes` for `key`: a partition of the key holding a fresh
    /// token for all of them (perhaps for more), else the partition for exactly `scopes`,
    /// made if it is not in memory.
    pub fn cache_for(&self, key: &K, scopes: &ScopeSet) -> TokenCache<S> {
        match self.inner.residents.find(key, scopes) {
            Found::Serving(cache) => cache,
            Found::Missing => {
                let made = self.make(key, scopes);
                self.inner.residents.insert(key, scopes, made)
            }
        }
    }

    /// A usable token for `key`: [`cache(key)`](Self::cache)`.token()`, without cloning the
    /// handle when the partition holds a fresh token.
    ///
    /// # Errors
    /// As for [`TokenCache::token`].
    pub fn token<'a>(&'a self, key: &'a K) -> PartitionTokenFuture<'a, K, S> {
        PartitionTokenFuture::new(self, key, &self.inner.no_scopes)
    }

    /// A usable token for `key` that covers `scopes`; see [`cache_for`](Self::cache_for).
    ///
    /// # Errors
    /// As for [`TokenCache::token`].
    pub fn token_for<'a>(
        &'a self,
        key: &'a K,
        scopes: &'a ScopeSet,
    ) -> PartitionTokenFuture<'a, K, S> {
        PartitionTokenFuture::new(self, key, scopes)
    }

    /// The name of the partition for `key` and `scopes` in its store (a file name, part of
    /// Redis keys), to find or remove its entry by hand.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when `key`
    /// does not serialize.
    pub fn partition_id(&self, key: &K, scopes: &ScopeSet) -> Result<PartitionId, AuthError> {
        self.inner
            .naming
            .name(key, scopes)
            .map_err(|error| AuthError::rejected(nameless::reason(&error)))
    }

    /// How many partitions are in memory.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.residents.len()
    }

    /// Whether no partition is in memory.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every idle partition from memory (those in use stay); returns how many went.
    /// They come back from their stores when next used.
    #[allow(clippy::must_use_candidate)] // called for its effect; the count is a bonus
    pub fn evict_idle(&self) -> usize {
        self.inner.residents.evict_idle()
    }

    /// A new partition's cache: the key's source, the settings, the store entry, the scopes.
    fn make(&self, key: &K, scopes: &ScopeSet) -> TokenCache<S> {
        let inner = &*self.inner;
        let store: Box<dyn DynStore> = match inner.naming.name(key, scopes) {
            Ok(id) => (inner.store_for)(&id),
            Err(error) => Box::new(NamelessStore::new(&error)),
        };
        let builder = (inner.configure)(TokenCache::builder((inner.source_for)(key)));
        let cache = builder.boxed_store(store).build();
        cache.ask_for_scopes(scopes.as_slice());
        cache
    }
}

impl<K, S> Clone for TokenCaches<K, S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K, S> fmt::Debug for TokenCaches<K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCaches").finish_non_exhaustive()
    }
}
