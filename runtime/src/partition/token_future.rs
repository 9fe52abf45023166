// Input: a key (and scope set) whose token a caller awaits.
// Output: the token: at once when its partition holds a fresh one (looked up under a read
// lock, no clone of the partition), else through the partition's cache.
//
// A named future, like `TokenFuture`, so that a hit runs inline in the caller's poll.

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde::Serialize;

use super::{ScopeSet, TokenCaches};
use crate::{AuthError, Token, TokenSource};

type Waiting<'a> = Pin<Box<dyn Future<Output = Result<Arc<Token>, AuthError>> + Send + 'a>>;

/// The future returned by [`TokenCaches::token`] and [`TokenCaches::token_for`].
///
/// Like [`TokenFuture`](crate::TokenFuture), it looks at the partition when first polled:
/// ready at once with a fresh token, else it waits for the partition's refresh.
#[must_use = "futures do nothing unless awaited"]
pub struct PartitionTokenFuture<'a, K, S> {
    start: Option<(&'a TokenCaches<K, S>, &'a K, &'a ScopeSet)>,
    waiting: Option<Waiting<'a>>,
}

impl<'a, K, S> PartitionTokenFuture<'a, K, S> {
    pub(super) fn new(caches: &'a TokenCaches<K, S>, key: &'a K, scopes: &'a ScopeSet) -> Self {
        Self {
            start: Some((caches, key, scopes)),
            waiting: None,
        }
    }
}

impl<K, S> Future for PartitionTokenFuture<'_, K, S>
where
    K: Hash + Eq + Clone + Serialize + Send + Sync + 'static,
    S: TokenSource,
{
    type Output = Result<Arc<Token>, AuthError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some((caches, key, scopes)) = this.start
            && let Some(token) = caches.inner.residents.fresh(key, scopes)
        {
            this.start = None;
            return Poll::Ready(Ok(token));
        }
        this.poll_slow(cx)
    }
}

impl<K, S> PartitionTokenFuture<'_, K, S>
where
    K: Hash + Eq + Clone + Serialize + Send + Sync + 'static,
    S: TokenSource,
{
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut Context<'_>) -> Poll<Result<Arc<Token>, AuthError>> {
        if let Some((caches, key, scopes)) = self.start.take() {
            let cache = caches.cache_for(key, scopes);
            self.waiting = Some(Box::pin(async move { cache.token().await }));
        }
        let Some(wait) = self.waiting.as_mut() else {
            return Poll::Pending;
        };
        let polled = wait.as_mut().poll(cx);
        if polled.is_ready() {
            self.waiting = None;
        }
        polled
    }
}

impl<K, S> fmt::Debug for PartitionTokenFuture<'_, K, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match (&self.start, &self.waiting) {
            (Some(_), _) => "not polled",
            (None, Some(_)) => "waiting",
            (None, None) => "done",
        };
        f.debug_struct("PartitionTokenFuture")
            .field("state", &state)
            .finish()
    }
}
