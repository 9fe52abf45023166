// Input: a token source and the user's settings.
// Output: a `TokenCache`.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;

use super::TokenCache;
use super::config::Config;
use super::own_runtime::OwnRuntime;
use crate::store::DynStore;
use crate::{RefreshToken, Token, TokenSource, TokenStore};

/// Configures a [`TokenCache`]; start with [`TokenCache::builder`].
///
/// ```
/// use std::time::Duration;
/// use freshtoken::{Token, TokenCache, source_fn};
///
/// let source = source_fn(|_previous| async { Token::builder("t").build() });
/// let cache = TokenCache::builder(source)
///     .refresh_margin(Duration::from_secs(30))
///     .refresh_ahead(Duration::ZERO) // no background refresh
///     .refresh_timeout(Duration::from_secs(10))
///     .store_timeout(Duration::from_secs(2))
///     .backoff(Duration::from_millis(500), Duration::from_secs(30))
///     .min_refresh_interval(Duration::from_secs(1))
///     .build();
/// # let _ = cache;
/// ```
#[must_use]
pub struct TokenCacheBuilder<S> {
    source: S,
    config: Config,
    given: Option<Token>,
    store: Option<Box<dyn DynStore>>,
    runtime: Option<Handle>,
}

impl<S> std::fmt::Debug for TokenCacheBuilder<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCacheBuilder")
            .field("config", &self.config)
            .field("token", &self.given)
            .finish_non_exhaustive()
    }
}

impl<S: TokenSource> TokenCacheBuilder<S> {
    pub(super) fn new(source: S) -> Self {
        Self {
            source,
            config: Config::default(),
            given: None,
            store: None,
            runtime: None,
        }
    }

    /// How long before expiry a token counts as expired, to allow for clock skew and the
    /// request's time in flight. Default 60 s. Capped, per token, at half the token's
    /// lifetime.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.config.refresh_margin = margin;
        self
    }

    /// How long before the margin a token starts being renewed in the background, while
    /// callers keep getting it without waiting. Default 60 s; `Duration::ZERO` turns
    /// refresh-ahead off. Margin and window together are capped at half the token's lifetime,
    /// and a capped lead is shared between them in their configured proportion, so short
    /// tokens are renewed in the background too.
    pub fn refresh_ahead(mut self, window: Duration) -> Self {
        self.config.refresh_ahead = window;
        self
    }

    /// How long one call to the token source may take before it counts as failed
    /// ([`AuthErrorKind::Timeout`](crate::AuthErrorKind::Timeout)). Default 30 s. A source
    /// whose [`fetch_timeout`](crate::TokenSource::fetch_timeout) is longer (an interactive
    /// login, which waits for the user) gets that instead.
    pub fn refresh_timeout(mut self, timeout: Duration) -> Self {
        self.config.refresh_timeout = timeout;
        self
    }

    /// How long each call to the [`TokenStore`] may take (`lock`, `load`, `save`, ...).
    /// Default 10 s. A load that takes longer fails the refresh with
    /// [`AuthErrorKind::Store`](crate::AuthErrorKind::Store) naming the store (the cache
    /// tries again after a backoff); a save that takes longer is logged, the new token is
    /// used anyway and saved again once the store answers. The wait for the store's lock,
    /// which another process may hold while it refreshes, is bounded by the longer of this
    /// and the [refresh timeout](Self::refresh_timeout). So a refresh keeps a caller waiting
    /// at most that lock wait, two store timeouts (load, save), the minimum refresh interval
    /// and the refresh timeout.
    pub fn store_timeout(mut self, timeout: Duration) -> Self {
        self.config.store_timeout = timeout;
        self
    }

    /// The wait after a failed refresh: `initial`, doubling with each further failure up to
    /// `max`, with jitter (each wait falls between half and all of the computed delay).
    /// Default 1 s up to 60 s. A `max` below `initial` is raised to `initial`.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.config.backoff_initial = initial;
        self.config.backoff_max = max.max(initial);
        self
    }

    /// The shortest time between two calls to the token source, whatever the tokens'
    /// lifetimes: a server that issues 2 ms tokens makes the cache ask at most once per
    /// interval, not in a loop. Callers that need a new token sooner wait. Default 1 s;
    /// `Duration::ZERO` turns the limit off.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.config.min_refresh_interval = interval;
        self
    }

    /// Makes this the cache of one protected resource's tokens (the `resource` of RFC 8707,
    /// such as an MCP server's URL), so that two resources never share a token:
    ///
    /// - a token the source returns without a resource is marked as this one's; one for
    ///   another resource fails the refresh (the source is set up for another resource);
    /// - a token in the store for another resource is never served: the refresh fails with
    ///   a store error that says to give each resource its own store entry (a `FileStore`
    ///   path, a `RedisStore` prefix). One saved without a resource (by an older version, or
    ///   a cache without this setting) is replaced.
    ///
    /// [`ProtectedResource::pkce_cache`](crate::oauth::resource::ProtectedResource::pkce_cache)
    /// sets it.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.config.resource = Some(resource.into());
        self
    }

    /// A token to start with, for example one the program was handed or saved by an earlier
    /// run. It is newer than what the store holds: on first use it is saved to the store
    /// (under the store's lock) and served, or, if it has expired, its refresh token is used
    /// for the first refresh. Replaces an earlier [`refresh_token`](Self::refresh_token).
    ///
    /// Until that first call, [`cached`](TokenCache::cached) and
    /// [`fresh_token`](TokenCache::fresh_token) see no token; to put a token in service at
    /// once without saving it, use [`TokenCache::set_token`] instead.
    pub fn token(mut self, token: Token) -> Self {
        self.given = Some(token);
        self
    }

    /// Starts from a refresh token alone (no access token yet): the first call refreshes
    /// with it, and the result is saved to the store. Replaces an earlier
    /// [`token`](Self::token).
    ///
    /// ```
    /// use freshtoken::{Token, TokenCache, source_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), freshtoken::AuthError> {
    /// let source = source_fn(|previous: Option<Token>| async move {
    ///     let refresh = previous.and_then(|p| p.refresh_token().cloned());
    ///     assert_eq!(refresh.unwrap().expose_secret(), "saved-refresh-token");
    ///     Token::builder("access").refresh_token("rotated").build()
    /// });
    /// let cache = TokenCache::builder(source)
    ///     .refresh_token("saved-refresh-token")
    ///     .build();
    /// cache.token().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn refresh_token(mut self, refresh_token: impl Into<RefreshToken>) -> Self {
        self.given = Some(Token::refresh_only(refresh_token.into()));
        self
    }

    /// Where the cache keeps its token across restarts and shares it with other processes:
    /// a [`FileStore`](crate::FileStore), or a store of your own. Default:
    /// [`MemoryStore`](crate::MemoryStore) (nothing survives a restart). The store is first
    /// read when the cache first needs a token.
    pub fn store(mut self, store: impl TokenStore) -> Self {
        self.store = Some(Box::new(store));
        self
    }

    /// The cache's name in its metrics and spans (attribute `freshtoken.cache`; default
    /// `default`): say which API or identity the cache is for (`billing`, `users`). Keep the
    /// number of names small and never put a user id or a secret in one: every name is a
    /// series on the operator's dashboard. The partitions of a
    /// [`TokenCaches`](crate::TokenCaches) share theirs (set with its `configure`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.config.name = Arc::from(name.into());
        self
    }

    /// A store already boxed: the partitions of a `TokenCaches`, whose stores come from
    /// its `PartitionStores`.
    pub(crate) fn boxed_store(mut self, store: Box<dyn DynStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The tokio runtime that runs refreshes for callers that have none (a plain thread
    /// calling [`TokenCache::blocking_token`], or polling [`TokenCache::token`] with another
    /// executor). Default: the runtime `build` is called in, if any. Callers inside a tokio
    /// runtime always run refreshes on their own.
    ///
    /// The runtime must be running tasks while callers wait: a multi-thread runtime always
    /// is, a current-thread one only inside its `block_on`. Without a runtime at hand, use
    /// [`build_with_own_runtime`](Self::build_with_own_runtime).
    ///
    /// ```
    /// use freshtoken::{Token, TokenCache, source_fn};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let runtime = tokio::runtime::Builder::new_multi_thread()
    ///     .worker_threads(1)
    ///     .enable_all()
    ///     .build()?;
    /// let cache = TokenCache::builder(source_fn(|_previous| async { Token::builder("t").build() }))
    ///     .runtime(runtime.handle().clone())
    ///     .build();
    /// let token = cache.blocking_token()?; // from this plain thread; refreshed on `runtime`
    /// # let _ = token;
    /// # Ok(())
    /// # }
    /// ```
    pub fn runtime(mut self, runtime: Handle) -> Self {
        self.runtime = Some(runtime);
        self
    }

    /// Builds the cache. No token is fetched, and the store is not touched, until the first
    /// caller asks.
    pub fn build(self) -> TokenCache<S> {
        let runtime = self.runtime.or_else(|| Handle::try_current().ok());
        TokenCache::from_parts(
            self.source,
            self.config,
            self.store,
            runtime,
            None,
            self.given.map(Arc::new),
        )
    }

    /// Builds the cache with a tokio runtime of its own, for a program that has none (a CLI
    /// with a plain `fn main`, a `reqwest::blocking` or ureq client): one thread, named
    /// `freshtoken-refresh`, runs the refreshes of callers that have no runtime, and stops when
    /// the last clone of the cache is dropped. It replaces [`runtime`](Self::runtime). Callers
    /// inside a tokio runtime still run refreshes on their own.
    ///
    /// Use it with [`TokenCache::blocking_token`]; a program that already has a runtime gives
    /// its handle to [`runtime`](Self::runtime) instead.
    ///
    /// # Errors
    /// The runtime or its thread could not be created (the system's limit of threads or file
    /// descriptors is reached).
    pub fn build_with_own_runtime(self) -> std::io::Result<TokenCache<S>> {
        let own_runtime = OwnRuntime::start()?;
        Ok(TokenCache::from_parts(
            self.source,
            self.config,
            self.store,
            None,
            Some(own_runtime),
            self.given.map(Arc::new),
        ))
    }
}
