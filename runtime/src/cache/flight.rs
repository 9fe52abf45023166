// Input: a decision, taken under the cache's lock, that a refresh must run.
// Output: a task that runs the refresh once and tells every waiter the outcome.
//
// The task belongs to the cache, not to the caller that started it: callers only hold a
// `watch::Receiver`, so dropping any of them cancels nothing. A guard finishes the flight even
// if the source panics or the runtime drops the task, so the cache can never be left waiting
// on a refresh that will not come.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::Instrument;

use super::backoff::Failure;
use super::refresh::{Plan, Refreshed, refresh};
use super::{Shared, State};
use crate::{AuthError, AuthErrorKind, RefreshReason, Token, TokenSource};

/// What one refresh gave: the new token or the error every waiter gets.
pub(super) type Outcome = Result<Arc<Token>, AuthError>;

tokio::task_local! {
    /// The cache whose refresh the current task runs (its `Shared`'s address), so a source
    /// that asks its own cache for a token is caught instead of waiting for itself.
    static REFRESHING: usize;
}

/// Whether the current task is running a refresh of `shared`.
pub(super) fn is_running_in<S>(shared: &Arc<Shared<S>>) -> bool {
    REFRESHING
        .try_with(|refreshing| *refreshing == address(shared))
        .unwrap_or(false)
}

fn address<S>(shared: &Arc<Shared<S>>) -> usize {
    Arc::as_ptr(shared).cast::<()>() as usize
}

/// A refresh recorded as under way, to be spawned once the cache's lock is released: a
/// runtime that has shut down drops the task inside `spawn`, and dropping it takes the lock.
#[must_use = "the refresh runs only once spawned"]
pub(super) struct Launch {
    runtime: Handle,
    run: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Launch {
    /// Spawns the refresh. Call it without the cache's lock held.
    pub(super) fn spawn(self) {
        drop(self.runtime.spawn(self.run));
    }
}

/// What a started flight gives: the channel its waiters subscribe to, and the task to spawn.
pub(super) type Started = (watch::Receiver<Option<Outcome>>, Launch);

/// Records a refresh as the one under way. Called with the lock held; spawn the returned
/// [`Launch`] after releasing it.
pub(super) fn start<S: TokenSource>(
    shared: &Arc<Shared<S>>,
    state: &mut State,
    reason: RefreshReason,
) -> Result<Started, AuthError> {
    launch(shared, state, reason, None, None)
}

/// Records a step-up for `scopes` as the refresh under way: a new authorization, without the
/// previous token, whose failure leaves the token in service as it was. Called with the lock
/// held; spawn the returned [`Launch`] after releasing it.
pub(super) fn step_up<S: TokenSource>(
    shared: &Arc<Shared<S>>,
    state: &mut State,
    scopes: Arc<[String]>,
) -> Result<Started, AuthError> {
    launch(shared, state, RefreshReason::StepUp, None, Some(scopes))
}

/// Records a look at the store while the credentials are dead (`dead` is why): a login
/// saved there by another process is adopted; otherwise every waiter gets `dead` again.
/// Called with the lock held; spawn the returned [`Launch`] after releasing it.
pub(super) fn check_store<S: TokenSource>(
    shared: &Arc<Shared<S>>,
    state: &mut State,
    dead: AuthError,
) -> Result<Started, AuthError> {
    launch(shared, state, RefreshReason::NoToken, Some(dead), None)
}

fn launch<S: TokenSource>(
    shared: &Arc<Shared<S>>,
    state: &mut State,
    reason: RefreshReason,
    dead: Option<AuthError>,
    step_up: Option<Arc<[String]>>,
) -> Result<Started, AuthError> {
    // The caller's runtime first: a cache shared by several runtimes (a `static` client in
    // tests) must not depend on one that may have shut down. Without one (a plain thread),
    // the runtime the cache was built on or given.
    let runtime = Handle::try_current()
        .ok()
        .or_else(|| shared.runtime.clone())
        .ok_or_else(|| AuthError::from(AuthErrorKind::NoRuntime))?;
    if !has_time_driver(&runtime) {
        return Err(AuthErrorKind::NoTimeDriver.into());
    }
    let (sender, receiver) = watch::channel(None);
    state.flight_id += 1;
    let flight = Flight {
        shared: Arc::clone(shared),
        sender,
        id: state.flight_id,
        epoch: state.epoch,
        store_seen_before: state.store_seen.clone(),
        step_up: step_up.clone(),
        finished: false,
    };
    let stepping_up = step_up.is_some();
    let plan = Plan {
        // A refresh token cannot widen the scope it was granted: a step-up authorizes anew.
        previous: if stepping_up {
            None
        } else {
            state.given.clone().or_else(|| state.last.clone())
        },
        given: state.given.is_some() && !stepping_up,
        forced: reason == RefreshReason::Forced || stepping_up,
        store_seen: state.store_seen.clone(),
        consult_store: !state.skip_store && state.given.is_none() && !stepping_up,
        dead,
        epoch: state.epoch,
        scopes: step_up.clone().or_else(|| state.scopes.clone()),
        stepping_up,
    };
    state.flight = Some(receiver.clone());
    state.step_up = step_up;
    shared.ahead.close();
    let launch = Launch {
        runtime,
        run: Box::pin(flight.run(reason, plan)),
    };
    Ok((receiver, launch))
}

/// Whether `runtime` has tokio's time driver, which every refresh needs for its timeouts.
/// Tokio offers no way to ask, and panics when a timer is made without it: make one here,
/// where the panic is caught, rather than inside the refresh task.
fn has_time_driver(runtime: &Handle) -> bool {
    let _entered = runtime.enter();
    std::panic::catch_unwind(|| drop(tokio::time::sleep(Duration::ZERO))).is_ok()
}

struct Flight<S> {
    shared: Arc<Shared<S>>,
    sender: watch::Sender<Option<Outcome>>,
    /// Tells this flight from later ones in `State::flight_id`.
    id: u64,
    epoch: u64,
    /// Kept if the source panics: what the store showed is then unchanged.
    store_seen_before: Option<Arc<Token>>,
    /// The scopes this flight asks for, if it is a step-up.
    step_up: Option<Arc<[String]>>,
    finished: bool,
}

impl<S: TokenSource> Flight<S> {
    /// The refresh, in its span. The span is made here, in the context of the caller that
    /// started the refresh, so that it is the parent of the refresh's span rather than
    /// the refresh a trace of its own; the source's spans and events are its children.
    fn run(self, reason: RefreshReason, plan: Plan) -> impl Future<Output = ()> + Send {
        let span = crate::spans::refresh(&self.shared.config.name, reason);
        self.refresh(reason, plan, span.clone()).instrument(span)
    }

    async fn refresh(mut self, reason: RefreshReason, plan: Plan, span: tracing::Span) {
        let started = Instant::now();
        let shared = Arc::clone(&self.shared);
        let checking_store = plan.dead.is_some();
        if !checking_store {
            tracing::debug!(target: "freshtoken", %reason, "token refresh started");
        }
        let refreshed = REFRESHING
            .scope(address(&shared), refresh(&shared, plan))
            .await;

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
            Err(_) if refreshed.repeated => tracing::debug!(
                target: "freshtoken",
                "the store holds no newer login; re-authentication is still required"
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
        crate::spans::refresh_ended(&span, &refreshed.outcome);
        if !refreshed.repeated {
            let took = started.elapsed();
            crate::metrics::refreshed(
                &shared.config.name,
                shared.source.grant_type(),
                reason,
                took,
                &refreshed.outcome,
            );
        }
        if let Some(token) = self.finish(refreshed) {
            super::save_again::spawn(&shared, token);
        }
    }
}

impl<S> Flight<S> {
    /// Records the outcome, ends the flight and wakes every waiter. Returns the new token if
    /// it is in service but could not be saved.
    fn finish(&mut self, refreshed: Refreshed) -> Option<Arc<Token>> {
        self.finished = true;
        let Refreshed {
            mut outcome,
            store_seen,
            repeated,
            unsaved,
            ..
        } = refreshed;
        let shared = &self.shared;
        let mut save_again = None;
        let mut counted = None;
        {
            let mut state = shared.lock();
            self.end(&mut state);
            // After `set_token`, `save_token` or `reset` this flight is stale: its waiters
            // still get its outcome, but it must not overwrite what the user set.
            if state.epoch == self.epoch {
                state.store_seen = store_seen;
                match &outcome {
                    Ok(token) => {
                        crate::metrics::failures_in_a_row(&shared.config.name, 0);
                        state.failure = None;
                        state.given = None;
                        state.skip_store = false;
                        state.unsaved = unsaved;
                        if let Some(scopes) = &self.step_up {
                            state.scopes = Some(Arc::clone(scopes));
                        }
                        if unsaved {
                            save_again = Some(Arc::clone(token));
                        }
                        if state.closed {
                            state.last = Some(Arc::clone(token));
                        } else {
                            shared.ahead.open();
                            shared.install(&mut state, Arc::clone(token));
                        }
                    }
                    // Dead credentials, confirmed: the failure stands as it was.
                    Err(_) if repeated => {}
                    // A step-up that failed (a login declined, say) leaves the token in
                    // service, and the next call's refresh, as they were.
                    Err(_) if self.step_up.is_some() => {}
                    Err(error) => {
                        // No attempt sooner than the minimum interval allows either: the
                        // callers fail fast until then rather than wait.
                        let interval_ends = state
                            .last_fetch
                            .and_then(|last| last.checked_add(shared.config.min_refresh_interval));
                        let failure = Failure::after(
                            state.failure.as_ref(),
                            error.clone(),
                            Instant::now(),
                            &shared.config,
                        )
                        .not_sooner_than(interval_ends);
                        match failure.not_before() {
                            Some(at) => shared.ahead.close_until(at),
                            None => shared.ahead.close(),
                        }
                        crate::metrics::failures_in_a_row(
                            &shared.config.name,
                            failure.error.failures_in_a_row(),
                        );
                        counted = Some(failure.error.clone());
                        state.failure = Some(failure);
                    }
                }
            }
        }
        if outcome.is_err() && !repeated {
            shared.counters.failure();
        }
        // The waiters get the error with its count of failures in a row, as later callers do.
        if let Some(error) = counted {
            outcome = Err(error);
        }

        self.sender.send_replace(Some(outcome));
        save_again
    }

    /// Stops new callers from joining this flight, unless a newer one has replaced it.
    fn end(&self, state: &mut State) {
        if state.flight_id == self.id {
            state.flight = None;
            state.step_up = None;
            self.shared.ahead.open();
        }
    }
}

impl<S> Drop for Flight<S> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if std::thread::panicking() {
            // The source panicked: a failure of the source like any other, with a backoff.
            let store_seen = self.store_seen_before.take();
            // A failure leaves no token to save.
            let _ = self.finish(Refreshed::failed(
                AuthErrorKind::RefreshAborted.into(),
                store_seen,
            ));
            return;
        }
        // The runtime running the refresh shut down (or dropped the task). That says nothing
        // about the token endpoint: record no failure, and let each waiter start a new refresh
        // on its own runtime.
        self.finished = true;
        self.end(&mut self.shared.lock());
        self.sender
            .send_replace(Some(Err(AuthErrorKind::RefreshAborted.into())));
    }
}
