// Input: a token source and the user's settings.
// Output: a `TokenCache`.

use std::time::Duration;

use super::TokenCache;
use super::config::Config;
use crate::{Token, TokenSource};

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
#[derive(Debug)]
#[must_use]
pub struct TokenCacheBuilder<S> {
    source: S,
    config: Config,
    token: Option<Token>,
}

impl<S: TokenSource> TokenCacheBuilder<S> {
    pub(super) fn new(source: S) -> Self {
        Self {
            source,
            config: Config::default(),
            token: None,
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
    /// ([`AuthError::Timeout`](crate::AuthError::Timeout)). Default 30 s.
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

    /// Builds the cache. No token is fetched until the first caller asks.
    pub fn build(self) -> TokenCache<S> {
        let cache = TokenCache::from_parts(self.source, self.config);
        if let Some(token) = self.token {
            cache.set_token(token);
        }
        cache
    }
}
