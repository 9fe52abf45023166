// Input: callers that need a token, and a token source.
// Output: a token for each caller, fetched once however many ask at the same moment.
//
// The token in service sits in an `ArcSwap`: the fast path loads it, compares one instant and
// clones an `Arc`, with no lock and no await. Everything that changes state (starting a
// refresh, recording a failure, invalidating) happens under a `std` mutex that is never held
// across an await, and the refresh itself runs in a task of its own (see `flight.rs`).

mod ahead_gate;
mod backoff;
mod blocking;
mod builder;
mod config;
mod flight;
#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod limit_tests;
#[cfg(test)]
mod outage_tests;
mod own_runtime;
mod refresh;
#[cfg(test)]
mod refresh_token_tests;
#[cfg(test)]
mod resource_tests;
mod save_again;
mod schedule;
mod stats;
mod step_up;
#[cfg(test)]
mod step_up_tests;
mod store_calls;
#[cfg(test)]
mod store_race_tests;
#[cfg(test)]
mod tests;
mod token_future;

use std::fmt;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwapOption;
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::time::Instant;

use self::ahead_gate::AheadGate;
use self::backoff::Failure;
pub use self::builder::TokenCacheBuilder;
use self::config::Config;
use self::flight::Outcome;
use self::own_runtime::OwnRuntime;
use self::schedule::{Freshness, Schedule};
pub use self::stats::CacheStats;
use self::stats::Counters;
use self::store_calls::store_call;
use self::token_future::Slow;
pub use self::token_future::TokenFuture;
use crate::store::{DynStore, MemoryStore};
use crate::{AuthError, AuthErrorKind, RefreshReason, RefreshToken, Token, TokenSource};

/// A shared, self-refreshing holder of one token.
///
/// Clone it freely: clones share one token, one refresh and one set of counters. Every
/// caller asks [`token`](TokenCache::token); a fresh token comes back at once, without a lock
/// or an await. When the token is missing, expired or within the refresh margin of its
/// expiry, one refresh runs, in a task the cache owns, and every caller waiting meanwhile
/// gets its result. When the token is merely ageing, it keeps serving while one refresh runs
/// in the background.
///
/// After a server answers 401, [`invalidate`](TokenCache::invalidate) the token that was
/// used; the next call refreshes. A failed refresh is retried only after a backoff; callers
/// with no valid token meanwhile get the last error at once.
///
/// ```
/// use std::time::Duration;
/// use freshtoken::{Token, TokenCache, source_fn};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), freshtoken::AuthError> {
/// let cache = TokenCache::new(source_fn(|_previous| async {
///     Token::builder("access").expires_in(Duration::from_secs(3600)).build()
/// }));
/// let token = cache.token().await?;
/// assert_eq!(token.authorization().to_str().unwrap(), "Bearer access");
/// assert_eq!(cache.stats().refreshes, 1);
///
/// cache.token().await?; // served from the cache
/// assert_eq!(cache.stats().refreshes, 1);
/// # Ok(())
/// # }
/// ```
pub struct TokenCache<S> {
    shared: Arc<Shared<S>>,
}

struct Shared<S> {
    source: S,
    config: Config,
    store: Box<dyn DynStore>,
    /// Runs refreshes for callers outside any tokio runtime.
    runtime: Option<Handle>,
    /// The runtime behind `runtime` when the cache started its own; it stops with the cache.
    _own_runtime: Option<OwnRuntime>,
    /// The token in service; `None` before the first token and after an invalidation.
    current: ArcSwapOption<Current>,
    state: Mutex<State>,
    /// Closed while a refresh runs or a failure backs off: lets callers of an ageing token
    /// skip the lock when no refresh-ahead could start.
    ahead: AheadGate,
    counters: Counters,
    /// Set while the store fails, so an outage is logged once rather than at every refresh.
    store_failing: AtomicBool,
    /// Set from a store call that failed to the next that answers: one outage in the metrics
    /// however many calls fail meanwhile.
    store_down: AtomicBool,
}

/// The token in service with its deadlines in this cache.
struct Current {
    token: Arc<Token>,
    schedule: Option<Schedule>,
}

impl Current {
    fn freshness(&self, now: Instant) -> Freshness {
        self.schedule
            .map_or(Freshness::Fresh, |schedule| schedule.freshness(now))
    }
}

#[derive(Default)]
#[allow(clippy::struct_excessive_bools)] // independent facts, not a state machine in disguise
struct State {
    /// The last token obtained, kept after an invalidation for its refresh token.
    last: Option<Arc<Token>>,
    /// The refresh under way, if any; every caller that needs it subscribes.
    flight: Option<watch::Receiver<Option<Outcome>>>,
    /// Numbers the flights, so a flight that ends clears `flight` only if it is still its own.
    flight_id: u64,
    /// The last refresh failure, until a refresh succeeds or a new token is set.
    failure: Option<Failure>,
    /// The token in service was dropped after a 401.
    unauthorized: bool,
    /// Bumped by `set_token` and `reset`, so a refresh started before them cannot overwrite
    /// what they did.
    epoch: u64,
    /// The last token this cache saved to or read from the store.
    store_seen: Option<Arc<Token>>,
    /// `last` could not be saved: the store still holds `store_seen`, whose refresh token
    /// this cache has spent. A task saves `last` again until the store answers.
    unsaved: bool,
    /// Set by `reset`: the next refresh ignores the store and asks the source afresh.
    skip_store: bool,
    /// A token given to the builder, newer than the store: the next refresh saves it (or
    /// renews it if it has expired) instead of looking at the store.
    given: Option<Arc<Token>>,
    /// When the source was last asked (or will be, by the refresh under way).
    last_fetch: Option<Instant>,
    /// Set by `close`: no more tokens.
    closed: bool,
    /// The scopes of the last step-up that succeeded: every later fetch asks for them
    /// (`TokenSource::fetch_with_scopes`), so a refresh or a new login keeps them.
    scopes: Option<Arc<[String]>>,
    /// The scopes the step-up under way asks for, if the flight is a step-up.
    step_up: Option<Arc<[String]>>,
}

/// What a caller does after looking at the state under the lock.
enum Step {
    Serve(Arc<Token>),
    Wait(watch::Receiver<Option<Outcome>>),
    Fail(AuthError),
}

/// What a caller asks of the slow path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A usable token; the current one did not look usable.
    Usable,
    /// A new token whatever the current one's state.
    New,
}

impl<S: TokenSource> TokenCache<S> {
    /// A cache with default settings (60 s refresh margin, 60 s refresh-ahead window, 30 s
    /// refresh timeout, backoff from 1 s to 60 s) that fetches its first token on first use.
    pub fn new(source: S) -> Self {
        Self::builder(source).build()
    }

    /// Configures a cache; see [`TokenCacheBuilder`].
    pub fn builder(source: S) -> TokenCacheBuilder<S> {
        TokenCacheBuilder::new(source)
    }

    fn from_parts(
        source: S,
        mut config: Config,
        store: Option<Box<dyn DynStore>>,
        runtime: Option<Handle>,
        own_runtime: Option<OwnRuntime>,
        given: Option<Arc<Token>>,
    ) -> Self {
        // An interactive login waits for the user, longer than a refresh may take.
        if let Some(longest) = source.fetch_timeout() {
            config.refresh_timeout = config.refresh_timeout.max(longest);
        }
        Self {
            shared: Arc::new(Shared {
                source,
                config,
                store: store.unwrap_or_else(|| Box::new(MemoryStore::default())),
                runtime: own_runtime.as_ref().map(OwnRuntime::handle).or(runtime),
                _own_runtime: own_runtime,
                current: ArcSwapOption::empty(),
                state: Mutex::new(State {
                    last: given.clone(),
                    given,
                    ..State::default()
                }),
                ahead: AheadGate::new(),
                counters: Counters::default(),
                store_failing: AtomicBool::new(false),
                store_down: AtomicBool::new(false),
            }),
        }
    }

    /// A usable token: the cached one if it is fresh, else the result of a refresh.
    ///
    /// The cache is consulted when the future is first polled, not when `token()` is called:
    /// a future made before the token expired and awaited after it gets a new token, and one
    /// made outside the runtime refreshes in the runtime that polls it. With a fresh token
    /// the first poll is ready at once, with no lock and no allocation.
    ///
    /// # Errors
    /// The future gives the refresh's error when no valid token is left: [`AuthErrorKind::RefreshFailed`] (and
    /// the same error at once, without a new attempt, until the backoff has passed),
    /// [`AuthErrorKind::ReauthenticationRequired`] until [`set_token`](Self::set_token) is
    /// called (or a new login appears in the store), [`AuthErrorKind::Timeout`],
    /// [`AuthErrorKind::Store`] when the store does not answer, [`AuthErrorKind::Closed`]
    /// after [`close`](Self::close), and so on.
    #[inline]
    pub fn token(&self) -> TokenFuture<'_, S> {
        TokenFuture::new(self, Want::Usable)
    }

    /// The cached token if it can be served without waiting, else `None`; never refreshes
    /// except in the background when the token is ageing. Does not await, and takes no lock
    /// unless it starts that background refresh.
    #[must_use]
    pub fn fresh_token(&self) -> Option<Arc<Token>> {
        let guard = self.shared.current.load();
        let current = guard.as_deref()?;
        let now = Instant::now();
        match current.freshness(now) {
            Freshness::Fresh => Some(Arc::clone(&current.token)),
            Freshness::Ageing => {
                let token = Arc::clone(&current.token);
                drop(guard);
                self.refresh_ahead(now);
                Some(token)
            }
            Freshness::Stale | Freshness::Expired => None,
        }
    }

    /// A new token, even if the cached one is fresh (for example after the user changed
    /// permissions). Joins a refresh already under way rather than starting another.
    ///
    /// Like [`token`](Self::token)'s, the future does nothing until first polled; the
    /// refresh starts (or is joined) then.
    ///
    /// # Errors
    /// As for [`token`](Self::token); during a backoff, the last error at once.
    pub fn refresh(&self) -> TokenFuture<'_, S> {
        TokenFuture::new(self, Want::New)
    }

    /// Drops `used` after the server rejected it (401), so the next call refreshes. Does
    /// nothing if the cache already holds another token (a late 401 for an old token must not
    /// discard a newer one). Returns whether `used` was dropped.
    ///
    /// The dropped token's refresh token is kept for the refresh.
    pub fn invalidate(&self, used: &Token) -> bool {
        let mut state = self.shared.lock();
        let current = self.shared.current.load();
        let is_current = current.as_deref().is_some_and(|c| c.token.is_same(used));
        if is_current {
            self.shared.current.store(None);
            state.unauthorized = true;
        }
        is_current
    }

    /// Puts `token` in service, for example after the user logged in again. Clears any
    /// failure, including dead credentials; a refresh under way no longer counts (it neither
    /// replaces this token nor saves its own). Does nothing after [`close`](Self::close).
    ///
    /// The token is not written to the [`TokenStore`](crate::TokenStore); use
    /// [`save_token`](Self::save_token) for a token that must survive a restart.
    pub fn set_token(&self, token: Token) {
        let mut state = self.shared.lock();
        self.shared.put(&mut state, Arc::new(token), false);
    }

    /// Saves `token` to the [`TokenStore`](crate::TokenStore), then puts it in service as
    /// [`set_token`](Self::set_token) does: what a login should call.
    ///
    /// It takes the store's lock, as a refresh does, so a refresh under way here or in
    /// another process sharing the store cannot save its older token over this one: after a
    /// restart the program is still on the new login.
    ///
    /// # Errors
    /// [`AuthErrorKind::Store`] when the store cannot be locked or written within the store
    /// timeout (the token is then not put in service), [`AuthErrorKind::Closed`] after
    /// [`close`](Self::close).
    pub async fn save_token(&self, token: Token) -> Result<(), AuthError> {
        self.save_then(Arc::new(token), Shared::put).await
    }

    /// Saves `token` under the store's lock, any refresh under way made stale first, then
    /// hands it to `take` (`put` in service, or `give`n to the next refresh).
    async fn save_then(
        &self,
        token: Arc<Token>,
        take: fn(&Shared<S>, &mut State, Arc<Token>, bool),
    ) -> Result<(), AuthError> {
        {
            let mut state = self.shared.lock();
            if state.closed {
                return Err(AuthErrorKind::Closed.into());
            }
            // From here on a refresh under way is stale: it will not save its token.
            state.epoch += 1;
            state.flight = None;
        }
        let shared = &self.shared;
        let _lock = store_calls::lock(shared).await?;
        // A login replaces whatever the store holds: no compare-and-set against a previous
        // token, which another host may have rotated meanwhile.
        store_call(shared, "save", shared.store.save(None, &token)).await?;
        let mut state = self.shared.lock();
        take(shared, &mut state, token, true);
        Ok(())
    }

    /// Starts over from a refresh token alone, as
    /// [`TokenCacheBuilder::refresh_token`](crate::TokenCacheBuilder::refresh_token) starts:
    /// the token in service is dropped, the next call refreshes with `refresh_token`, and the
    /// token that brings is saved to the [`TokenStore`](crate::TokenStore). For an API whose
    /// only route is "refresh" (a source such as
    /// [`JsonRefresh`](crate::oauth::JsonRefresh)), after the user pasted a new refresh token
    /// or another part of the program obtained one. Clears any failure; a refresh under way
    /// no longer counts. Does nothing after [`close`](Self::close).
    ///
    /// Until the next call, the store still holds what it held: use
    /// [`save_refresh_token`](Self::save_refresh_token) when the refresh token itself must
    /// survive a restart (a failed first refresh would otherwise lose it).
    ///
    /// ```
    /// use freshtoken::{Token, TokenCache, source_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), freshtoken::AuthError> {
    /// let source = source_fn(|previous: Option<Token>| async move {
    ///     let used = previous.and_then(|p| p.refresh_token().cloned());
    ///     let rotated = format!("{}+1", used.unwrap().expose_secret());
    ///     Token::builder("access").refresh_token(rotated).build()
    /// });
    /// let cache = TokenCache::new(source);
    /// cache.set_refresh_token("pasted");
    /// let token = cache.token().await?;
    /// assert_eq!(token.refresh_token().unwrap().expose_secret(), "pasted+1");
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_refresh_token(&self, refresh_token: impl Into<RefreshToken>) {
        let token = Arc::new(Token::refresh_only(refresh_token.into()));
        let mut state = self.shared.lock();
        self.shared.give(&mut state, token, false);
    }

    /// Saves `refresh_token` to the [`TokenStore`](crate::TokenStore), then starts over from
    /// it as [`set_refresh_token`](Self::set_refresh_token) does: the refresh token survives
    /// a restart even if the first refresh fails, and every process sharing the store
    /// refreshes with it. Like [`save_token`](Self::save_token), it takes the store's lock,
    /// so no refresh under way here or elsewhere saves an older token over it.
    ///
    /// # Errors
    /// [`AuthErrorKind::Store`] when the store cannot be locked or written within the store
    /// timeout (the cache is then left as it was), [`AuthErrorKind::Closed`] after
    /// [`close`](Self::close).
    pub async fn save_refresh_token(
        &self,
        refresh_token: impl Into<RefreshToken>,
    ) -> Result<(), AuthError> {
        let token = Arc::new(Token::refresh_only(refresh_token.into()));
        self.save_then(token, Shared::give).await
    }

    /// Logs out here: forgets the token (as [`reset`](Self::reset) does) and clears the
    /// [`TokenStore`](crate::TokenStore), under the store's lock so that no refresh here or in
    /// another process saves a token over the logout. Returns the token it forgot (the one in
    /// service, else the one the store held), whose refresh token the server should now
    /// revoke: [`Revocation::log_out`](crate::oauth::Revocation::log_out) does both.
    ///
    /// A refresh under way is waited for first (within its own timeouts): it has spent the
    /// refresh token held before it, and the one it brings back is the live one to revoke.
    ///
    /// After it, the next [`token`](Self::token) asks the source with no previous token (an
    /// interactive source starts a login then, within its own bound): log in
    /// again with the source's own `login` and put the token in service for every process
    /// that shares the store with [`save_token`](Self::save_token).
    ///
    /// # Errors
    /// [`AuthErrorKind::Store`] when the store cannot be locked or cleared within the store
    /// timeout (the cache has forgotten the token all the same).
    pub async fn clear(&self) -> Result<Option<Arc<Token>>, AuthError> {
        // A refresh under way may have spent the refresh token held now: what to revoke is
        // the one it brings back. So wait until none runs, and forget under the same lock.
        let held = loop {
            let mut flight = {
                let mut state = self.shared.lock();
                if let Some(flight) = state.flight.clone() {
                    flight
                } else {
                    let held = state.last.clone();
                    self.shared.forget(&mut state);
                    break held;
                }
            };
            // An error here means the refresh's runtime dropped it: nothing left to wait for.
            let _ = flight.wait_for(Option::is_some).await;
        };
        let shared = &self.shared;
        let _lock = store_calls::lock(shared).await?;
        let stored = match held {
            Some(held) => Some(held),
            None => store_call(shared, "load", shared.store.load())
                .await
                .ok()
                .flatten()
                .map(Arc::new),
        };
        store_call(shared, "clear", shared.store.clear()).await?;
        Ok(stored)
    }

    /// Forgets the token, its refresh token and any failure: the next call asks the source
    /// with no previous token (a full login, for sources that can do one), without adopting
    /// what the store holds; the new token then replaces it there. A refresh under way no
    /// longer counts.
    pub fn reset(&self) {
        let mut state = self.shared.lock();
        self.shared.forget(&mut state);
    }

    /// Makes the token in service count as expired, so the next call refreshes it (with its
    /// refresh token). For tests of code that uses the cache, and for a program that knows
    /// its token went bad; a token the server rejected is better passed to
    /// [`invalidate`](Self::invalidate).
    ///
    /// ```
    /// use freshtoken::{Token, TokenCache, source_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), freshtoken::AuthError> {
    /// let cache = TokenCache::new(source_fn(|_previous| async { Token::builder("t").build() }));
    /// cache.token().await?;
    /// cache.expire_now();
    /// cache.token().await?;
    /// assert_eq!(cache.stats().refreshes, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn expire_now(&self) {
        let _state = self.shared.lock();
        if let Some(current) = self.shared.current.load_full() {
            let expired = Current {
                token: Arc::clone(&current.token),
                schedule: Some(Schedule::expired_at(Instant::now())),
            };
            self.shared.current.store(Some(Arc::new(expired)));
        }
    }

    /// Finishes in-flight work before the program exits: waits for a refresh under way and
    /// its save to the store, so a refresh token the server has just rotated (the old one
    /// already dead) is not lost with the process. From then on every call fails with
    /// [`AuthErrorKind::Closed`].
    ///
    /// Call it last, after the work that needs tokens: in a service, after the server has
    /// drained (for example after axum's graceful shutdown); in a CLI, before `main` returns.
    /// The wait is bounded by the refresh's own limits (the store timeout for each store
    /// call, the refresh timeout for the token source).
    ///
    /// ```
    /// use freshtoken::{AuthErrorKind, Token, TokenCache, source_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let cache = TokenCache::new(source_fn(|_previous| async { Token::builder("t").build() }));
    /// // ... the program's work ...
    /// cache.close().await;
    /// let error = cache.token().await.unwrap_err();
    /// assert!(matches!(error.kind(), AuthErrorKind::Closed));
    /// # }
    /// ```
    pub async fn close(&self) {
        let flight = {
            let mut state = self.shared.lock();
            state.closed = true;
            self.shared.current.store(None);
            state.flight.clone()
        };
        if let Some(mut flight) = flight {
            // An error here means the refresh's runtime dropped it: nothing left to wait for.
            let _ = flight.wait_for(Option::is_some).await;
        }
        // A token whose save failed gets a last chance, so the next start finds it.
        let unsaved = {
            let state = self.shared.lock();
            state.last.clone().filter(|_| state.unsaved)
        };
        if let Some(token) = unsaved {
            save_again::try_once(&self.shared, &token).await;
        }
    }

    /// The token in service, whatever its state, without refreshing.
    #[must_use]
    pub fn cached(&self) -> Option<Arc<Token>> {
        self.shared
            .current
            .load()
            .as_ref()
            .map(|c| Arc::clone(&c.token))
    }

    /// Counters of refreshes, failures and waiting callers since the cache was built.
    #[must_use]
    pub fn stats(&self) -> CacheStats {
        self.shared.counters.snapshot()
    }

    fn slow_path(&self, want: Want) -> Slow<'_> {
        match self.step(want) {
            Step::Serve(token) => Slow::Ready(Ok(token)),
            Step::Fail(error) => Slow::Ready(Err(error)),
            Step::Wait(flight) => Slow::waiting(self.wait(flight, want)),
        }
    }

    /// Serves, fails, or waits for a refresh (started if need be).
    fn step(&self, want: Want) -> Step {
        let (step, launch) = self.decide(want);
        // Outside the lock: see `flight::Launch`.
        if let Some(launch) = launch {
            launch.spawn();
        }
        step
    }

    /// Decides, under the lock, whether to serve, wait, fail or start a refresh.
    fn decide(&self, want: Want) -> (Step, Option<flight::Launch>) {
        let mut state = self.shared.lock();
        if state.closed {
            return (Step::Fail(AuthErrorKind::Closed.into()), None);
        }
        let now = Instant::now();
        let current = self.shared.current.load_full();
        let freshness = current.as_ref().map(|c| c.freshness(now));

        // Another caller may have refreshed between our first look and the lock.
        if let (Want::Usable, Some(current)) = (want, &current)
            && matches!(freshness, Some(Freshness::Fresh | Freshness::Ageing))
        {
            return (Step::Serve(Arc::clone(&current.token)), None);
        }
        if let Some(flight) = &state.flight {
            if flight::is_running_in(&self.shared) {
                return (Step::Fail(AuthErrorKind::SourceUsesOwnCache.into()), None);
            }
            crate::metrics::refresh_joined(&self.shared.config.name);
            return (Step::Wait(flight.clone()), None);
        }
        if let Some(failure) = state.failure.as_ref().filter(|f| f.blocks(now)) {
            let valid = current.filter(|_| freshness != Some(Freshness::Expired));
            if let (Want::Usable, Some(current)) = (want, valid) {
                return (Step::Serve(Arc::clone(&current.token)), None);
            }
            if failure.error.needs_reauthentication() {
                // Before saying "log in again", look whether someone already did.
                let dead = failure.error.clone();
                return started(flight::check_store(&self.shared, &mut state, dead));
            }
            return (Step::Fail(failure.served_again(now)), None);
        }

        let reason = match (want, freshness) {
            (Want::New, _) => RefreshReason::Forced,
            (Want::Usable, None) if state.unauthorized => RefreshReason::Unauthorized,
            (Want::Usable, None) => RefreshReason::NoToken,
            (Want::Usable, Some(_)) => RefreshReason::Expired,
        };
        started(flight::start(&self.shared, &mut state, reason))
    }

    /// Starts a background refresh of the ageing token, unless one is under way, a failure
    /// is still backing off, or the token is no longer ageing.
    ///
    /// The gate answers the first two without the lock; it is closed only when the locked
    /// check would also find nothing to start, so callers of an ageing token do not queue on
    /// the lock while a refresh runs.
    #[inline]
    fn refresh_ahead(&self, now: Instant) {
        if self.shared.ahead.is_closed(now) {
            return;
        }
        self.refresh_ahead_locked();
    }

    #[cold]
    #[inline(never)]
    fn refresh_ahead_locked(&self) {
        let mut state = self.shared.lock();
        let now = Instant::now();
        let ageing = self
            .shared
            .current
            .load()
            .as_deref()
            .is_some_and(|c| c.freshness(now) == Freshness::Ageing);
        let blocked =
            state.flight.is_some() || state.failure.as_ref().is_some_and(|f| f.blocks(now));
        if ageing && !blocked {
            // Without a runtime the refresh simply does not start; the caller that needs a
            // token once this one goes stale will get `NoRuntime`.
            if let Ok((_, launch)) =
                flight::start(&self.shared, &mut state, RefreshReason::RefreshAhead)
            {
                drop(state);
                launch.spawn();
            }
        }
    }

    /// Waits for the refresh under way. A caller that only wanted a usable token gets the
    /// still-valid current token rather than the refresh's error.
    async fn wait(
        &self,
        flight: watch::Receiver<Option<Outcome>>,
        want: Want,
    ) -> Result<Arc<Token>, AuthError> {
        self.shared.counters.wait();
        let waiting_since = Instant::now();
        let outcome = self.wait_for(flight, want).await;
        crate::metrics::token_waited(&self.shared.config.name, waiting_since.elapsed(), &outcome);
        outcome
    }

    async fn wait_for(
        &self,
        flight: watch::Receiver<Option<Outcome>>,
        want: Want,
    ) -> Result<Arc<Token>, AuthError> {
        let outcome = match outcome_of(flight).await {
            // The runtime that ran the refresh shut down (another `#[tokio::test]`, say): not
            // a failure of the token endpoint. Start again, once, on this caller's runtime.
            Err(error) if matches!(error.kind(), AuthErrorKind::RefreshAborted) => {
                match self.step(want) {
                    Step::Serve(token) => Ok(token),
                    Step::Fail(error) => Err(error),
                    Step::Wait(flight) => outcome_of(flight).await,
                }
            }
            outcome => outcome,
        };
        outcome.or_else(|error| match (want, self.valid_token()) {
            (Want::Usable, Some(token)) => Ok(token),
            _ => Err(error),
        })
    }

    fn valid_token(&self) -> Option<Arc<Token>> {
        let current = self.shared.current.load();
        let current = current.as_deref()?;
        (current.freshness(Instant::now()) != Freshness::Expired)
            .then(|| Arc::clone(&current.token))
    }
}

/// What a caller does about a refresh it tried to start.
fn started(started: Result<flight::Started, AuthError>) -> (Step, Option<flight::Launch>) {
    match started {
        Ok((flight, launch)) => (Step::Wait(flight), Some(launch)),
        Err(error) => (Step::Fail(error), None),
    }
}

/// The outcome of a flight, once it has one.
async fn outcome_of(mut flight: watch::Receiver<Option<Outcome>>) -> Outcome {
    match flight.wait_for(Option::is_some).await {
        Ok(outcome) => outcome
            .clone()
            .unwrap_or_else(|| Err(AuthErrorKind::RefreshAborted.into())),
        Err(_) => Err(AuthErrorKind::RefreshAborted.into()),
    }
}

impl<S> Shared<S> {
    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; if some did, the state is still consistent
        // field by field, so carry on rather than poison every caller.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets the token, its refresh token and any failure (`reset`). Called with the lock
    /// held.
    fn forget(&self, state: &mut State) {
        *state = State {
            epoch: state.epoch + 1,
            flight_id: state.flight_id,
            last_fetch: state.last_fetch,
            closed: state.closed,
            skip_store: true,
            ..State::default()
        };
        self.ahead.open();
        self.current.store(None);
    }

    /// Takes `token` (a refresh token alone) as the builder takes a given one: nothing in
    /// service, and the next call renews it and saves the result. A refresh under way no
    /// longer counts. Called with the lock held.
    fn give(&self, state: &mut State, token: Arc<Token>, saved: bool) {
        if state.closed {
            return;
        }
        *state = State {
            epoch: state.epoch + 1,
            flight_id: state.flight_id,
            last_fetch: state.last_fetch,
            store_seen: if saved {
                Some(Arc::clone(&token))
            } else {
                state.store_seen.take()
            },
            last: Some(Arc::clone(&token)),
            given: Some(token),
            ..State::default()
        };
        self.ahead.open();
        self.current.store(None);
    }

    /// Puts a token the user gave in service: a refresh under way no longer counts. Called
    /// with the lock held.
    fn put(&self, state: &mut State, token: Arc<Token>, saved: bool) {
        if state.closed {
            return;
        }
        state.epoch += 1;
        state.flight = None;
        state.failure = None;
        state.skip_store = false;
        state.given = None;
        state.unsaved = false;
        if saved {
            state.store_seen = Some(Arc::clone(&token));
        }
        self.ahead.open();
        self.install(state, token);
    }

    /// Puts a token in service. Called with the lock held.
    fn install(&self, state: &mut State, token: Arc<Token>) {
        if let Some(replaced) = self.current.load().as_deref()
            && let Some(expires_at) = replaced.token.expires_at()
        {
            let remaining = expires_at.saturating_duration_since(Instant::now());
            crate::metrics::token_replaced(&self.config.name, remaining);
        }
        state.unauthorized = false;
        state.last = Some(Arc::clone(&token));
        let schedule = Schedule::of(&token, &self.config);
        self.current
            .store(Some(Arc::new(Current { token, schedule })));
    }
}

impl<S> TokenCache<S> {
    /// The cache's name in metrics and spans ([`TokenCacheBuilder::name`]; `default` if none).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.shared.config.name
    }

    /// Makes every fetch ask the source for `scopes` (`TokenSource::fetch_with_scopes`), as
    /// after a step-up: the partitions of a `TokenCaches` made for a scope set.
    pub(crate) fn ask_for_scopes(&self, scopes: &[String]) {
        if !scopes.is_empty() {
            self.shared.lock().scopes = Some(Arc::from(scopes));
        }
    }

    /// Whether nothing but the caller holds this cache and nothing is under way in it: no
    /// other clone (a caller waiting, a client holding it), no refresh, no token waiting to be
    /// saved. A `TokenCaches` evicts only such a partition, so dropping it loses nothing the
    /// store does not keep.
    pub(crate) fn is_idle(&self) -> bool {
        if Arc::strong_count(&self.shared) > 1 {
            return false;
        }
        let state = self.shared.lock();
        state.flight.is_none() && !state.unsaved
    }
}

impl<S> Clone for TokenCache<S> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S> fmt::Debug for TokenCache<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.shared.current.load();
        f.debug_struct("TokenCache")
            .field("token", &current.as_deref().map(|c| &c.token))
            .field("stats", &self.shared.counters.snapshot())
            .finish_non_exhaustive()
    }
}
