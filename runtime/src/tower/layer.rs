// Input: a token cache, the origin(s) its token is for, and the service stacks it is applied
// to.
// Output: each service wrapped in a `BearerService` taking its tokens from that cache.

use std::fmt;

use tower_layer::Layer;

use super::{BearerService, DEFAULT_REPLAY_LIMIT};
use crate::origin::Origins;
use crate::{OriginError, TokenCache};

/// A tower [`Layer`] that wraps a service in a [`BearerService`]: each request to the API's
/// origin gets `Authorization: Bearer <token>` from the [`TokenCache`], and after a 401 or a
/// gRPC `UNAUTHENTICATED` from there the token is invalidated and a replayable request is sent
/// once more with a new token. Requests to other origins pass through untouched (see
/// [Bound to its origins](super#bound-to-its-origins)).
///
/// See the [module docs](super) for examples with a tonic channel and a hyper-util client.
pub struct BearerLayer<S> {
    cache: TokenCache<S>,
    origins: Origins,
    replay_limit: usize,
}

impl<S> BearerLayer<S> {
    /// A layer for the API at `origin` (its base URL, or just `scheme://host[:port]`; for a
    /// tonic channel, the endpoint's URL) that takes its tokens from `cache` (a cheap clone of
    /// a cache shared with the rest of the program is fine: they refresh together).
    ///
    /// # Errors
    /// [`OriginError`] when `origin` is not an absolute `http(s)` URL, or has credentials, a
    /// query or a fragment.
    pub fn new(cache: TokenCache<S>, origin: impl AsRef<str>) -> Result<Self, OriginError> {
        Ok(Self {
            cache,
            origins: Origins::parse(origin.as_ref())?,
            replay_limit: DEFAULT_REPLAY_LIMIT,
        })
    }

    /// Sends the token to `origin` too, and acts on its rejections.
    ///
    /// # Errors
    /// As [`new`](BearerLayer::new).
    pub fn also_for(mut self, origin: impl AsRef<str>) -> Result<Self, OriginError> {
        self.origins = self.origins.and(origin.as_ref())?;
        Ok(self)
    }

    /// The most bytes of a request body read in advance to keep it for a retry (default
    /// [`DEFAULT_REPLAY_LIMIT`], 1 MiB). A body still going past it is sent as it comes and
    /// not retried; a body already whole in memory (`Full`, `Empty`) is retried whatever its
    /// size. `0` retries only those.
    #[must_use]
    pub fn replay_limit(mut self, bytes: usize) -> Self {
        self.replay_limit = bytes;
        self
    }

    /// The token cache.
    #[must_use]
    pub fn cache(&self) -> &TokenCache<S> {
        &self.cache
    }
}

impl<S> Clone for BearerLayer<S> {
    fn clone(&self) -> Self {
        Self {
            cache: self.cache.clone(),
            origins: self.origins.clone(),
            replay_limit: self.replay_limit,
        }
    }
}

impl<S> fmt::Debug for BearerLayer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerLayer")
            .field("origins", &self.origins)
            .field("replay_limit", &self.replay_limit)
            .finish_non_exhaustive()
    }
}

impl<I, S> Layer<I> for BearerLayer<S> {
    type Service = BearerService<I, S>;

    fn layer(&self, inner: I) -> BearerService<I, S> {
        BearerService::with_options(
            inner,
            self.cache.clone(),
            self.origins.clone(),
            self.replay_limit,
        )
    }
}
