// Input: the outcome of looking at the cache when `token()` is called.
// Output: a future of the token that is ready at once on the fast path, and that waits on the
// refresh otherwise.
//
// A named future rather than an `async fn`: the fast-path check then runs inline in the
// caller, and awaiting a ready token costs one branch, not a separate state machine (measured
// at ~20 ns per call in `runtime/benches`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::{AuthError, Token};

type Waiting<'a> = Pin<Box<dyn Future<Output = Result<Arc<Token>, AuthError>> + Send + 'a>>;

/// The future returned by [`TokenCache::token`](crate::TokenCache::token).
///
/// The cache is consulted when `token()` is called: with a fresh token (or a failure that is
/// already known) the future is ready at once; otherwise it waits for the refresh under way.
/// Like a fused future, it stays pending if polled again after it completed.
#[must_use = "futures do nothing unless awaited"]
pub struct TokenFuture<'a> {
    state: State<'a>,
}

enum State<'a> {
    Ready(Option<Result<Arc<Token>, AuthError>>),
    Waiting(Waiting<'a>),
}

impl<'a> TokenFuture<'a> {
    pub(super) fn ready(outcome: Result<Arc<Token>, AuthError>) -> Self {
        Self {
            state: State::Ready(Some(outcome)),
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

impl Future for TokenFuture<'_> {
    type Output = Result<Arc<Token>, AuthError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().state {
            State::Ready(outcome) => outcome.take().map_or(Poll::Pending, Poll::Ready),
            State::Waiting(wait) => wait.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for TokenFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Ready(Some(_)) => "ready",
            State::Ready(None) => "done",
            State::Waiting(_) => "waiting",
        };
        f.debug_struct("TokenFuture")
            .field("state", &state)
            .finish()
    }
}
