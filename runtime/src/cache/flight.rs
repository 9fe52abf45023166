// Input: a decision, taken under the cache's lock, that a refresh must run.
// Output: a task that runs the refresh once and tells every waiter the outcome.
//
// The task belongs to the cache, not to the caller that started it: callers only hold a
// `watch::Receiver`, so dropping any of them cancels nothing. A guard finishes the flight even
// if the source panics or the runtime drops the task, so the cache can never be left waiting
// on a refresh that will not come.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::Instant;

use super::backoff::Failure;
use super::refresh::{Plan, Refreshed, refresh};
use super::{Shared, State};
use crate::{AuthError, AuthErrorKind, RefreshReason, Token, TokenSource};

/// What one refresh gave: the new token or the error every waiter gets.
pub(super) type Outcome = Result<Arc<Token>, AuthError>;

/// Spawns the refresh and records it as the one under way. Called with the lock held.
pub(super) fn start<S: TokenSource>(
    shared: &Arc<Shared<S>>,
    state: &mut State,
    reason: RefreshReason,
) -> Result<watch::Receiver<Option<Outcome>>, AuthError> {
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| AuthError::from(AuthErrorKind::NoRuntime))?;
    let (sender, receiver) = watch::channel(None);
    let flight = Flight {
        shared: Arc::clone(shared),
        sender,
        epoch: state.epoch,
        store_seen_before: state.store_seen.clone(),
        finished: false,
    };
    let plan = Plan {
        previous: state.last.clone(),
        store_seen: state.store_seen.clone(),
        consult_store: !std::mem::take(&mut state.skip_store),
    };
    runtime.spawn(flight.run(reason, plan));
    state.flight = Some(receiver.clone());
    shared.ahead.close();
    Ok(receiver)
}

struct Flight<S> {
    shared: Arc<Shared<S>>,
    sender: watch::Sender<Option<Outcome>>,
    epoch: u64,
    /// Kept if the flight is aborted: what the store showed is then unchanged.
    store_seen_before: Option<Arc<Token>>,
    finished: bool,
}

impl<S: TokenSource> Flight<S> {
    async fn run(mut self, reason: RefreshReason, plan: Plan) {
        let started = Instant::now();
        let shared = Arc::clone(&self.shared);
        tracing::debug!(target: "freshtoken", %reason, "token refresh started");
        let refreshed = refresh(&shared, plan).await;

        let elapsed_ms = started.elapsed().as_millis();
        match &refreshed.outcome {
            Ok(token) => tracing::info!(
                target: "freshtoken",
                %reason,
                elapsed_ms,
                expires_in_s = token.lifetime().map(|d| d.as_secs()),
                from_store = refreshed.adopted,
                "token refreshed"
            ),
            Err(error) => tracing::warn!(
                target: "freshtoken",
                %reason,
                elapsed_ms,
                %error,
                retryable = error.is_retryable(),
                "token refresh failed"
            ),
        }
        self.finish(refreshed);
    }
}

impl<S> Flight<S> {
    /// Records the outcome, ends the flight and wakes every waiter.
    fn finish(&mut self, refreshed: Refreshed) {
        self.finished = true;
        let Refreshed {
            outcome,
            store_seen,
            ..
        } = refreshed;
        let shared = &self.shared;
        {
            let mut state = shared.lock();
            // After `set_token` or `reset` this flight is stale: its waiters still get its
            // outcome, but it must not overwrite what the user set.
            if state.epoch == self.epoch {
                state.flight = None;
                state.store_seen = store_seen;
                match &outcome {
                    Ok(token) => {
                        state.failure = None;
                        shared.ahead.open();
                        shared.install(&mut state, Arc::clone(token));
                    }
                    Err(error) => {
                        let failure = Failure::after(
                            state.failure.as_ref(),
                            error.clone(),
                            Instant::now(),
                            &shared.config,
                        );
                        // Blocked for good: the gate stays closed, as `start` left it.
                        if let Some(at) = failure.not_before() {
                            shared.ahead.close_until(at);
                        }
                        state.failure = Some(failure);
                    }
                }
            }
        }
        if outcome.is_err() {
            shared.counters.failure();
        }
        self.sender.send_replace(Some(outcome));
    }
}

impl<S> Drop for Flight<S> {
    fn drop(&mut self) {
        if !self.finished {
            let store_seen = self.store_seen_before.take();
            self.finish(Refreshed {
                outcome: Err(AuthErrorKind::RefreshAborted.into()),
                store_seen,
                adopted: false,
            });
        }
    }
}
