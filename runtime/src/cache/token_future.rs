// Input: a cache and what the caller wants of it (a usable token, or a new one).
// Output: a future of the token that looks at the cache when first polled: ready at once on
// the fast path, waiting on the refresh otherwise.
//
// A named future rather than an `async fn`: the fast path then runs inline in the caller's
// poll, and awaiting a fresh token costs what `fresh_token()` costs plus one branch, with no
// allocation (an `async fn` state machine measured ~20 ns more per call in `runtime/benches`).
// Generic over the source, not a `&dyn`, so that `fresh_token()` inlines into `poll`.
//
// Deciding at the first poll, not at the call, means a future made before the token expired
// and awaited after it still gets a usable token, and a future made outside the runtime can
// start its refresh inside the runtime that polls it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{TokenCache, Want};
use crate::{AuthError, Token, TokenSource};

type Waiting<'a> = Pin<Box<dyn Future<Output = Result<Arc<Token>, AuthError>> + Send + 'a>>;

/// The future returned by [`TokenCache::token`](crate::TokenCache::token) and
/// [`TokenCache::refresh`](crate::TokenCache::refresh).
///
/// Like every future it does nothing until polled. The cache is consulted at the first poll:
/// with a fresh token (or a failure that is already known) the future is ready at once, with
/// no lock and no allocation; otherwise it starts or joins a refresh and waits for it. Like a
/// fused future, it stays pending if polled again after it completed.
#[must_use = "futures do nothing unless awaited"]
pub struct TokenFuture<'a, S> {
    /// The cache and what the caller wants of it, until the first poll looks at the cache.
    ///
    /// Kept apart from `waiting` so that the fast path only clears a field with no drop glue
    /// and dropping the finished future is an inline check of `waiting`: with one state enum
    /// for both, every ready poll called that enum's out-of-line drop code twice (on leaving
    /// the first state, and on dropping the future): some 45 instructions a read, where a
    /// whole read through `fresh_token()` takes about 160.
    start: Option<(&'a TokenCache<S>, Want)>,
    /// The refresh the first poll found it has to wait for, until it ends.
    waiting: Option<Waiting<'a>>,
}

/// What the first poll found when the token could not be served at once.
pub(super) enum Slow<'a> {
    /// The answer is known already: a token another caller just fetched, or an error.
    Ready(Result<Arc<Token>, AuthError>),
    /// A refresh to wait for.
    Waiting(Waiting<'a>),
}

impl<'a> Slow<'a> {
    /// A wait for `wait`, boxed: the fast path's future stays small.
    pub(super) fn waiting(
        wait: impl Future<Output = Result<Arc<Token>, AuthError>> + Send + 'a,
    ) -> Self {
        Self::Waiting(Box::pin(wait))
    }
}

impl<'a, S> TokenFuture<'a, S> {
    /// A future that looks at `cache` when first polled.
    pub(super) fn new(cache: &'a TokenCache<S>, want: Want) -> Self {
        Self {
            start: Some((cache, want)),
            waiting: None,
        }
    }
}

impl<'a, S: TokenSource> TokenFuture<'a, S> {
    /// A future of the token a step-up brings ([`TokenCache::step_up_for`]): what a call's
    /// retry policy awaits before its second attempt after a 403 `insufficient_scope`.
    pub(crate) fn stepping_up(
        cache: &'a TokenCache<S>,
        used: Arc<Token>,
        scopes: Vec<String>,
    ) -> Self {
        Self {
            start: None,
            waiting: Some(Box::pin(
                async move { cache.step_up_for(&used, scopes).await },
            )),
        }
    }
}

impl<S: TokenSource> Future for TokenFuture<'_, S> {
    type Output = Result<Arc<Token>, AuthError>;

    /// The fast path only, so that it inlines into the caller's state machine; everything
    /// else is out of line in `poll_slow`.
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some((cache, Want::Usable)) = this.start
            && let Some(token) = cache.fresh_token()
        {
            this.start = None;
            return Poll::Ready(Ok(token));
        }
        this.poll_slow(cx)
    }
}

impl<S: TokenSource> TokenFuture<'_, S> {
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut Context<'_>) -> Poll<Result<Arc<Token>, AuthError>> {
        if let Some((cache, want)) = self.start.take() {
            match cache.slow_path(want) {
                Slow::Ready(outcome) => return Poll::Ready(outcome),
                Slow::Waiting(wait) => self.waiting = Some(wait),
            }
        }
        // With nothing to wait for, the future has completed: like a fused future, it stays
        // pending.
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

impl<S> fmt::Debug for TokenFuture<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match (&self.start, &self.waiting) {
            (Some(_), _) => "not polled",
            (None, Some(_)) => "waiting",
            (None, None) => "done",
        };
        f.debug_struct("TokenFuture")
            .field("state", &state)
            .finish()
    }
}
