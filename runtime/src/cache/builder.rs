// Input: a token source and the user's settings.
// Output: a `TokenCache`.

use std::time::Duration;

use super::TokenCache;
use super::config::Config;
use crate::store::DynStore;
use crate::{Token, TokenSource, TokenStore};

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
///     .backoff(Duration::from_millis(500), Duration::from_secs(30))
///     .build();
/// # let _ = cache;
/// ```
#[must_use]
pub struct TokenCacheBuilder<S> {
    source: S,
    config: Config,
    token: Option<Token>,
    store: Option<Box<dyn DynStore>>,
}

impl<S> std::fmt::Debug for TokenCacheBuilder<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCacheBuilder")
            .field("config", &self.config)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl<S: TokenSource> TokenCacheBuilder<S> {
    pub(super) fn new(source: S) -> Self {
        Self {
            source,
            config: Config::default(),
            token: None,
            store: None,
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
    /// refresh-ahead off. Margin and window together are capped at half the token's lifetime.
    pub fn refresh_ahead(mut self, window: Duration) -> Self {
        self.config.refresh_ahead = window;
        self
    }

    /// How long one call to the token source may take before it counts as failed
    /// ([`AuthErrorKind::Timeout`](crate::AuthErrorKind::Timeout)). Default 30 s.
    pub fn refresh_timeout(mut self, timeout: Duration) -> Self {
        self.config.refresh_timeout = timeout;
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

    /// A token to start with, for example one saved by an earlier run; if it has expired,
    /// its refresh token is used for the first refresh.
    pub fn token(mut self, token: Token) -> Self {
        self.token = Some(token);
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

    /// Builds the cache. No token is fetched until the first caller asks.
    pub fn build(self) -> TokenCache<S> {
        let cache = TokenCache::from_parts(self.source, self.config, self.store);
        if let Some(token) = self.token {
            cache.set_token(token);
        }
        cache
    }
}
