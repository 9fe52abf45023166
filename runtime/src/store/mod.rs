//! Where a [`TokenCache`](crate::TokenCache) keeps its token across restarts, processes and
//! hosts: the [`TokenStore`] trait, [`MemoryStore`], [`FileStore`] for the processes of one
//! host, and `RedisStore` (feature `redis`) for a fleet.

// Input: tokens the cache obtains, and the question "is there a newer one?" before each refresh.
// Output: a place that keeps them across restarts (and processes), behind one trait.

mod error;
mod file;
mod memory;
mod partitions;
#[cfg(feature = "redis")]
mod redis;
pub(crate) mod saved;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;

pub use self::error::StoreError;
pub use self::file::FileStore;
pub use self::memory::MemoryStore;
pub use self::partitions::{FileStores, MemoryStores, PartitionStores};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisStore;
use crate::Token;

/// Where a [`TokenCache`](crate::TokenCache) keeps its token, so that a rotated refresh token
/// survives a restart and several processes can share one token.
///
/// The cache calls the store only around refreshes, never on the fast path:
/// 1. [`lock`](TokenStore::lock), so that no other process refreshes the same token at the
///    same time (single-use refresh tokens must not be spent twice);
/// 2. [`load`](TokenStore::load): if the store holds a token the cache has not seen and it is
///    still usable, the cache adopts it instead of refreshing (another process, or an earlier
///    run, already did); otherwise its refresh token is used;
/// 3. [`save`](TokenStore::save) with the new token, *before* any caller receives it;
/// 4. [`refresh_token_rejected`](TokenStore::refresh_token_rejected) when the token endpoint
///    said the refresh token is dead.
///
/// A save that fails leaves the new token in service and the cache saves it again as soon as
/// the store answers (and at [`close`](crate::TokenCache::close)); meanwhile the older token
/// the store still holds is never mistaken for another process's work.
///
/// A failing store never takes a valid token away: the cache logs the error (target
/// `freshtoken`) and serves the token it has while it lasts. What it does when that token
/// runs out while the store cannot be locked or read is the store's
/// [`outage_policy`](TokenStore::outage_policy).
///
/// Built in: [`MemoryStore`] (the default), [`FileStore`] (the processes of one host) and
/// `RedisStore` (feature `redis`: the hosts of a fleet).
///
/// ```
/// use freshtoken::{StoreError, Token, TokenStore};
///
/// /// Keeps nothing: every process starts from a login.
/// struct Forgetful;
///
/// impl TokenStore for Forgetful {
///     async fn load(&self) -> Result<Option<Token>, StoreError> {
///         Ok(None)
///     }
///     async fn save(&self, _previous: Option<&Token>, _new: &Token) -> Result<(), StoreError> {
///         Ok(())
///     }
///     async fn clear(&self) -> Result<(), StoreError> {
///         Ok(())
///     }
/// }
/// ```
pub trait TokenStore: Send + Sync + 'static {
    /// How errors name this store: a path, a key, a URL without credentials. The default is
    /// the type's name.
    fn name(&self) -> String {
        std::any::type_name::<Self>().to_owned()
    }

    /// The saved token, or `None` when nothing is saved yet.
    fn load(&self) -> impl Future<Output = Result<Option<Token>, StoreError>> + Send;

    /// Saves `new`, which replaces `previous` (the token the cache refreshed, if any: a store
    /// shared by many hosts can compare-and-swap on it). Called before `new` is handed out.
    ///
    /// A store that compares may answer [`StoreError::Conflict`] when it holds another token
    /// than `previous` (someone saved one meanwhile): the cache then adopts the stored token
    /// if it is usable. With no `previous` (a login, a token given to the builder) the save
    /// replaces whatever is stored.
    fn save(
        &self,
        previous: Option<&Token>,
        new: &Token,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The token endpoint rejected the refresh token of `token` as dead. The default does
    /// nothing; a persistent store should forget that refresh token.
    fn refresh_token_rejected(
        &self,
        token: &Token,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let _ = token;
        async { Ok(()) }
    }

    /// Forgets the saved token (a logout): after it, [`load`](TokenStore::load) must answer
    /// `None` until the next save. Required, with no default: a store that kept a token
    /// through a logout would log the user in again at the next start.
    ///
    /// ```compile_fail,E0046
    /// use freshtoken::{StoreError, Token, TokenStore};
    ///
    /// /// Does not compile: it does not say how it forgets a login.
    /// struct KeepsForever;
    ///
    /// impl TokenStore for KeepsForever {
    ///     async fn load(&self) -> Result<Option<Token>, StoreError> {
    ///         Ok(None)
    ///     }
    ///     async fn save(&self, _: Option<&Token>, _: &Token) -> Result<(), StoreError> {
    ///         Ok(())
    ///     }
    /// }
    /// ```
    fn clear(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// What a cache does when this store cannot be locked or read and no valid token is
    /// left. The default, [`OutagePolicy::WaitForStore`], is the safe one for a store that
    /// several processes share: a refresh token they share is never spent while the store
    /// cannot say who holds it.
    fn outage_policy(&self) -> OutagePolicy {
        OutagePolicy::WaitForStore
    }

    /// Keeps other processes sharing this store from refreshing until the returned guard is
    /// dropped. The default excludes nothing (enough for a store used by one process). A lock
    /// that can expire (a lease) should say so with [`StoreLock::checked_by`].
    fn lock(&self) -> impl Future<Output = Result<StoreLock, StoreError>> + Send {
        async { Ok(StoreLock::none()) }
    }
}

/// What a [`TokenCache`](crate::TokenCache) does while its [`TokenStore`] cannot be locked or
/// read (Redis down, a lock file it may not use). Either way a still-valid token keeps being
/// served, and a new token the cache obtains is saved as soon as the store answers again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OutagePolicy {
    /// Never refresh without the store: callers that need a new token get a retryable
    /// [`AuthErrorKind::Store`](crate::AuthErrorKind::Store) error (after at most the store
    /// timeout) until the store answers, then the refresh goes on under its lock. No refresh
    /// token that other processes share is spent twice, at the price of errors while the
    /// outage outlasts the token. The default.
    #[default]
    WaitForStore,
    /// Refresh without the store, each process on its own, and save to it when it answers
    /// again: for a store only one process uses (a single host), where availability matters
    /// more than a shared refresh token. A refresh token refused meanwhile is not taken for a
    /// dead login: the cache looks in the store again once it answers.
    RefreshAlone,
}

/// Held while a refresh runs; dropping it lets other processes refresh. See
/// [`TokenStore::lock`].
pub struct StoreLock {
    _held: Option<Box<dyn Send + Sync>>,
    check: Option<Box<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>>,
}

impl StoreLock {
    /// A guard that excludes nothing.
    #[must_use]
    pub fn none() -> Self {
        Self {
            _held: None,
            check: None,
        }
    }

    /// A guard that releases the lock when `held` is dropped (for example an open, locked
    /// file).
    #[must_use]
    pub fn new(held: impl Send + Sync + 'static) -> Self {
        Self {
            _held: Some(Box::new(held)),
            check: None,
        }
    }

    /// For a lock that can expire (a lease): `check` tells whether it is still held. The
    /// cache asks right before it sends a refresh token, so a process that was stopped past
    /// its lease does not spend a refresh token another process has spent meanwhile.
    #[must_use]
    pub fn checked_by<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.check = Some(Box::new(move || Box::pin(check())));
        self
    }

    /// Whether the lock is still held (always, for a lock that cannot expire).
    pub async fn still_held(&self) -> bool {
        match &self.check {
            Some(check) => check().await,
            None => true,
        }
    }
}

impl std::fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreLock").finish_non_exhaustive()
    }
}

/// A shared store: one `Arc<FileStore>` or `Arc<MemoryStore>` can serve several caches.
impl<T: TokenStore> TokenStore for std::sync::Arc<T> {
    fn name(&self) -> String {
        (**self).name()
    }

    async fn load(&self) -> Result<Option<Token>, StoreError> {
        (**self).load().await
    }

    async fn save(&self, previous: Option<&Token>, new: &Token) -> Result<(), StoreError> {
        (**self).save(previous, new).await
    }

    async fn refresh_token_rejected(&self, token: &Token) -> Result<(), StoreError> {
        (**self).refresh_token_rejected(token).await
    }

    async fn clear(&self) -> Result<(), StoreError> {
        (**self).clear().await
    }

    fn outage_policy(&self) -> OutagePolicy {
        (**self).outage_policy()
    }

    async fn lock(&self) -> Result<StoreLock, StoreError> {
        (**self).lock().await
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`TokenStore`] made object-safe, so the cache holds any store without a type parameter.
pub(crate) trait DynStore: Send + Sync {
    fn name(&self) -> String;
    fn load(&self) -> BoxFuture<'_, Result<Option<Token>, StoreError>>;
    fn save<'a>(
        &'a self,
        previous: Option<&'a Token>,
        new: &'a Token,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    fn refresh_token_rejected<'a>(
        &'a self,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    fn clear(&self) -> BoxFuture<'_, Result<(), StoreError>>;
    fn outage_policy(&self) -> OutagePolicy;
    fn lock(&self) -> BoxFuture<'_, Result<StoreLock, StoreError>>;
}

impl<T: TokenStore> DynStore for T {
    fn name(&self) -> String {
        TokenStore::name(self)
    }

    fn load(&self) -> BoxFuture<'_, Result<Option<Token>, StoreError>> {
        Box::pin(TokenStore::load(self))
    }

    fn save<'a>(
        &'a self,
        previous: Option<&'a Token>,
        new: &'a Token,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(TokenStore::save(self, previous, new))
    }

    fn refresh_token_rejected<'a>(
        &'a self,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(TokenStore::refresh_token_rejected(self, token))
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(TokenStore::clear(self))
    }

    fn outage_policy(&self) -> OutagePolicy {
        TokenStore::outage_policy(self)
    }

    fn lock(&self) -> BoxFuture<'_, Result<StoreLock, StoreError>> {
        Box::pin(TokenStore::lock(self))
    }
}
