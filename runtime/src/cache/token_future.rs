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
    state: State<'a, S>,
}

enum State<'a, S> {
    /// Not polled yet.
    Start(&'a TokenCache<S>, Want),
    Ready(Result<Arc<Token>, AuthError>),
    Waiting(Waiting<'a>),
    Done,
}

impl<'a, S> TokenFuture<'a, S> {
    /// A future that looks at `cache` when first polled.
    pub(super) fn new(cache: &'a TokenCache<S>, want: Want) -> Self {
        Self {
            state: State::Start(cache, want),
        }
    }

    pub(super) fn ready(outcome: Result<Arc<Token>, AuthError>) -> Self {
        Self {
            state: State::Ready(outcome),
        }
    }

    pub(super) fn waiting(
        wait: impl Future<Output = Result<Arc<Token>, AuthError>> + Send + 'a,
    ) -> Self {
        Self {
            state: State::Waiting(Box::pin(wait)),
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
        if let State::Start(cache, Want::Usable) = this.state
            && let Some(token) = cache.fresh_token()
        {
            this.state = State::Done;
            return Poll::Ready(Ok(token));
        }
        this.poll_slow(cx)
    }
}

impl<S: TokenSource> TokenFuture<'_, S> {
    #[inline(never)]
    fn poll_slow(&mut self, cx: &mut Context<'_>) -> Poll<Result<Arc<Token>, AuthError>> {
        if let State::Start(cache, want) = self.state {
            self.state = cache.slow_path(want).state;
        }
        match std::mem::replace(&mut self.state, State::Done) {
            State::Ready(outcome) => Poll::Ready(outcome),
            State::Waiting(mut wait) => {
                let polled = wait.as_mut().poll(cx);
                if polled.is_pending() {
                    self.state = State::Waiting(wait);
                }
                polled
            }
            // `slow_path` makes only ready or waiting futures; like a fused future, a
            // finished one stays pending.
            State::Start(..) | State::Done => Poll::Pending,
        }
    }
}

impl<S> fmt::Debug for TokenFuture<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Start(..) => "not polled",
            State::Ready(_) => "ready",
            State::Waiting(_) => "waiting",
            State::Done => "done",
        };
        f.debug_struct("TokenFuture")
            .field("state", &state)
            .finish()
    }
}
