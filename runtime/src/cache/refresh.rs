// Input: the token to refresh (if any) and what the store last showed this cache.
// Output: a new token, adopted from the store or fetched from the source and saved before
// anyone sees it; or the error.
//
// The store is consulted under its lock, so two processes sharing it never spend one
// single-use refresh token twice: the second to get the lock finds the first one's token.
// Every store call is bounded (`store_calls.rs`), and so is the source.

use std::sync::Arc;

use tokio::time::Instant;

use super::Shared;
use super::schedule::{Freshness, Schedule};
use super::store_calls::{self, store_call};
use crate::{AuthError, AuthErrorKind, OutagePolicy, StoreError, StoreLock, Token, TokenSource};

/// What a refresh starts from, read under the cache's lock.
#[allow(clippy::struct_excessive_bools)] // independent facts, not a state machine in disguise
pub(super) struct Plan {
    /// The token to renew, for its refresh token: the one given to the builder if it is not
    /// saved yet, else the last token the cache held.
    pub(super) previous: Option<Arc<Token>>,
    /// `previous` was given to the builder: it is newer than the store, is saved at first
    /// use, and is served as it is while usable (unless a new token was asked for).
    pub(super) given: bool,
    /// The caller asked for a new token whatever the current one's state.
    pub(super) forced: bool,
    /// The last token this cache saved to or read from the store; a stored token that differs
    /// from it was put there by someone else.
    pub(super) store_seen: Option<Arc<Token>>,
    /// False right after `reset`, or with a token given to the builder: the next token does
    /// not come from the store.
    pub(super) consult_store: bool,
    /// The credentials are dead (this error says why): only look for a newer login in the
    /// store, and repeat this error if there is none.
    pub(super) dead: Option<AuthError>,
    /// The cache's epoch when the refresh started; once it moves on (`set_token`,
    /// `save_token`, `reset`), the refresh is stale and must not save its token.
    pub(super) epoch: u64,
    /// The scopes to ask the source for (`TokenSource::fetch_with_scopes`): those of a
    /// step-up, under way or done; `None` asks as the source is configured (`fetch`).
    pub(super) scopes: Option<Arc<[String]>>,
    /// This refresh is a step-up: asked for by a resource's refusal, bounded by the scopes
    /// it names, so the minimum interval between fetches does not delay it.
    pub(super) stepping_up: bool,
}

/// What a refresh gave, and the token the store now holds as far as this cache knows.
pub(super) struct Refreshed {
    pub(super) outcome: Result<Arc<Token>, AuthError>,
    pub(super) store_seen: Option<Arc<Token>>,
    /// Whether the token came from the store rather than from the source.
    pub(super) adopted: bool,
    /// Whether the outcome is the dead-credentials failure repeated (the store held nothing
    /// newer): not a new failure.
    pub(super) repeated: bool,
    /// Whether the new token could not be saved: the store still holds `store_seen`, and the
    /// token is saved again as soon as the store answers.
    pub(super) unsaved: bool,
}

impl Refreshed {
    pub(super) fn failed(error: AuthError, store_seen: Option<Arc<Token>>) -> Self {
        Self {
            outcome: Err(error),
            store_seen,
            adopted: false,
            repeated: false,
            unsaved: false,
        }
    }

    /// A token this cache obtained (from the source, or given to the builder) and saved.
    fn fetched(token: Arc<Token>) -> Self {
        Self {
            outcome: Ok(Arc::clone(&token)),
            store_seen: Some(token),
            adopted: false,
            repeated: false,
            unsaved: false,
        }
    }

    /// A token this cache obtained but could not save: the store still holds `store_seen`,
    /// which must not pass for news at the next refresh (its refresh token is spent).
    fn unsaved(token: Arc<Token>, store_seen: Option<Arc<Token>>) -> Self {
        Self {
            outcome: Ok(token),
            store_seen,
            adopted: false,
            repeated: false,
            unsaved: true,
        }
    }

    fn adopted(token: Arc<Token>) -> Self {
        Self {
            outcome: Ok(Arc::clone(&token)),
            store_seen: Some(token),
            adopted: true,
            repeated: false,
            unsaved: false,
        }
    }
}

pub(super) async fn refresh<S: TokenSource>(shared: &Shared<S>, plan: Plan) -> Refreshed {
    let Plan {
        mut previous,
        given,
        forced,
        mut store_seen,
        mut consult_store,
        dead,
        epoch,
        scopes,
        stepping_up,
    } = plan;

    if let Some(dead) = dead {
        // Cheap and local: has a login been saved (by the CLI beside this daemon, say) since
        // the refresh token died? If so, refresh as usual from it.
        match store_call(shared, "load", shared.store.load()).await {
            Ok(Some(stored))
                if is_new_login(&stored, previous.as_deref(), store_seen.as_deref()) =>
            {
                consult_store = true;
            }
            Ok(_) => return repeat(dead, store_seen),
            Err(error) => {
                store_calls::failed(
                    shared,
                    &error,
                    "could not read the token store to look for a new login",
                );
                return repeat(dead, store_seen);
            }
        }
    }

    // Held until the new token is saved.
    let (lock, store_reachable) = match lock(shared).await {
        Ok(Locked::Held(lock)) => (Some(lock), true),
        Ok(Locked::Without) => (None, true),
        Ok(Locked::Unreachable) => (None, false),
        Err(error) => return Refreshed::failed(error.into(), store_seen),
    };
    consult_store &= store_reachable;

    if consult_store {
        match read_store(shared, &mut store_seen).await {
            Ok(StoreHolds::Nothing) => {}
            Ok(StoreHolds::Usable(stored)) => return Refreshed::adopted(stored),
            Ok(StoreHolds::Newer(stored)) => previous = Some(stored),
            Err(error) => return Refreshed::failed(error.into(), store_seen),
        }
    }

    if given
        && !forced
        && let Some(token) = previous.as_ref().filter(|t| usable(t, shared))
    {
        let token = Arc::clone(token);
        let to_save = ToSave {
            base: None,
            store_seen,
            epoch,
            store_reachable,
        };
        return save(shared, token, to_save).await;
    }

    if let Some(lock) = &lock
        && !lock.still_held().await
    {
        return after_lost_lock(shared, store_seen).await;
    }
    let asked = Asked {
        previous: previous.as_deref(),
        scopes: scopes.as_deref(),
        store_reachable,
        stepping_up,
    };
    let fetched = fetch(shared, asked).await;
    let mut token = match fetched {
        Ok(token) => token,
        Err(error) => return Refreshed::failed(error, store_seen),
    };
    if let Some(previous) = &previous {
        token.inherit_refresh_token(previous);
    }
    let to_save = ToSave {
        // What the store holds as far as this cache knows, not `previous`: that may be a
        // token of this cache's that a failed save left unsaved.
        base: if given { None } else { store_seen.clone() },
        store_seen,
        epoch,
        store_reachable,
    };
    save(shared, Arc::new(token), to_save).await
}

/// What one fetch asks the source for.
struct Asked<'a> {
    /// The token to renew, for its refresh token.
    previous: Option<&'a Token>,
    /// The scopes of a step-up, under way or done.
    scopes: Option<&'a [String]>,
    /// Whether the store answered at the start of the refresh.
    store_reachable: bool,
    /// Whether this fetch is a step-up, which the minimum interval does not delay.
    stepping_up: bool,
}

/// How a new token is saved.
struct ToSave {
    /// The token the save replaces, for a compare-and-set; `None` replaces whatever is stored.
    base: Option<Arc<Token>>,
    /// What the store holds as far as this cache knows; still so if the save fails.
    store_seen: Option<Arc<Token>>,
    /// The cache's epoch when the refresh started.
    epoch: u64,
    /// Whether the store answered at the start of the refresh.
    store_reachable: bool,
}

/// What the store holds that this refresh did not know of.
enum StoreHolds {
    /// Nothing new (or nothing readable, as the outage policy allows).
    Nothing,
    /// Another process's token, usable now: adopt it.
    Usable(Arc<Token>),
    /// Another process's token, expired but with the newest refresh token there is.
    Newer(Arc<Token>),
}

/// Reads the store under its lock, updating what this cache has seen there. Fails when what
/// it holds cannot be known and refreshing might spend a refresh token another process has
/// rotated: a timeout, or a failure under `OutagePolicy::WaitForStore`.
async fn read_store<S>(
    shared: &Shared<S>,
    store_seen: &mut Option<Arc<Token>>,
) -> Result<StoreHolds, StoreError> {
    match store_call(shared, "load", shared.store.load()).await {
        Ok(Some(stored)) if !for_this_resource(&stored, shared)? => {
            tracing::debug!(target: "freshtoken", "the store holds a token saved without a resource; it is replaced");
            *store_seen = Some(Arc::new(stored));
            Ok(StoreHolds::Nothing)
        }
        Ok(Some(stored)) => {
            let stored = Arc::new(stored);
            let news = is_news(&stored, store_seen.as_deref());
            *store_seen = Some(Arc::clone(&stored));
            if !news {
                Ok(StoreHolds::Nothing)
            } else if usable(&stored, shared) {
                tracing::info!(target: "freshtoken", "adopted the token another process saved");
                Ok(StoreHolds::Usable(stored))
            } else {
                Ok(StoreHolds::Newer(stored))
            }
        }
        Ok(None) => Ok(StoreHolds::Nothing),
        Err(error @ (StoreError::TimedOut { .. } | StoreError::InvalidConfig { .. })) => Err(error),
        // A store that holds garbage answered: nobody can use what it holds, and the new
        // token replaces it.
        Err(error @ StoreError::Corrupt { .. }) => {
            store_calls::failed(
                shared,
                &error,
                "the token store holds no usable token; replacing it",
            );
            Ok(StoreHolds::Nothing)
        }
        Err(error) if shared.store.outage_policy() == OutagePolicy::RefreshAlone => {
            store_calls::failed(
                shared,
                &error,
                "could not read the token store; refreshing without it (OutagePolicy::RefreshAlone)",
            );
            Ok(StoreHolds::Nothing)
        }
        Err(error) => Err(error),
    }
}

/// Whether `stored` may serve this cache: `true` unless the cache is one resource's and the
/// token names no resource (`false`: it is replaced). A token for another resource is an
/// error: two resources share one store entry, and each would overwrite the other's login.
fn for_this_resource<S>(stored: &Token, shared: &Shared<S>) -> Result<bool, StoreError> {
    let Some(resource) = &shared.config.resource else {
        return Ok(true);
    };
    match stored.resource() {
        None => Ok(false),
        Some(other) if other == resource => Ok(true),
        Some(other) => Err(StoreError::InvalidConfig {
            store: shared.store.name(),
            reason: format!(
                "it holds a token for the resource {other:?}, and this cache is for {resource:?}: \
                 give each resource its own store entry (a FileStore path, a RedisStore prefix)"
            ),
        }),
    }
}

/// What became of the store's lock for one refresh.
enum Locked {
    Held(StoreLock),
    /// The store failed (`OutagePolicy::RefreshAlone`): refresh without the lock.
    Without,
    /// A store that cannot be reached (Redis down), under `OutagePolicy::RefreshAlone`:
    /// this refresh asks it nothing more, so a caller waits for one store timeout, not one
    /// per store call.
    Unreachable,
}

/// Takes the store's lock. Fails the refresh when the lock timed out (another process may be
/// refreshing, and refreshing beside it could spend a refresh token twice), and when the
/// store failed unless its outage policy is to refresh alone.
async fn lock<S>(shared: &Shared<S>) -> Result<Locked, StoreError> {
    match store_calls::lock(shared).await {
        Ok(lock) => {
            store_calls::answered(shared);
            Ok(Locked::Held(lock))
        }
        // Not an outage: a store set up wrong (a refused password) never works by waiting,
        // nor should it be silently run without.
        Err(error @ (StoreError::TimedOut { .. } | StoreError::InvalidConfig { .. })) => Err(error),
        Err(error) if shared.store.outage_policy() == OutagePolicy::WaitForStore => {
            store_calls::failed(
                shared,
                &error,
                "could not lock the token store; no refresh until it answers (OutagePolicy::WaitForStore)",
            );
            Err(error)
        }
        Err(error) => {
            store_calls::failed(
                shared,
                &error,
                "could not lock the token store; refreshing without the lock",
            );
            Ok(if matches!(error, StoreError::Unreachable { .. }) {
                Locked::Unreachable
            } else {
                Locked::Without
            })
        }
    }
}

/// Asks the source (no sooner than the minimum interval allows, within the refresh timeout).
///
/// Without the store (`store_reachable` false), a refused refresh token is not taken for a
/// dead login: another process may have rotated it and saved the new one where this refresh
/// could not look. The error is then retryable, and the next refresh looks in the store.
async fn fetch<S: TokenSource>(shared: &Shared<S>, asked: Asked<'_>) -> Result<Token, AuthError> {
    let Asked {
        previous,
        scopes,
        store_reachable,
        stepping_up,
    } = asked;
    wait_for_min_interval(shared, !stepping_up).await;
    shared.counters.refresh();
    let timeout = shared.config.refresh_timeout;
    let fetched = match scopes {
        None => tokio::time::timeout(timeout, shared.source.fetch(previous)).await,
        Some(scopes) => {
            let fetch = shared.source.fetch_with_scopes(previous, scopes);
            tokio::time::timeout(timeout, fetch).await
        }
    };
    let fetched = fetched.unwrap_or_else(|_| Err(AuthErrorKind::Timeout(timeout).into()));
    match fetched {
        Ok(token) if token.is_expired() => Err(AuthError::invalid_token(
            "the token source returned a token that has already expired (an `expires_in` \
             of 0 or less, or an `expires_at` in the past: check the token lifetime the \
             server issues, and that its clock and this host's agree)",
        )),
        Ok(token) => for_the_resource(token, shared),
        Err(error) if error.needs_reauthentication() && !store_reachable => {
            Err(AuthError::refresh_failed(format!(
                "{error}; the token store could not be reached, and another process may have \
                 rotated this refresh token and saved the new one there: the store is read \
                 again at the next attempt"
            )))
        }
        Err(error) => {
            if error.needs_reauthentication()
                && let Some(dead) = previous
                && let Err(error) = store_call(
                    shared,
                    "refresh_token_rejected",
                    shared.store.refresh_token_rejected(dead),
                )
                .await
            {
                tracing::warn!(target: "freshtoken", %error, "could not forget the rejected refresh token");
            }
            Err(error)
        }
    }
}

/// `token` marked with the cache's resource if the source left it unmarked; an error if the
/// source got it for another resource.
fn for_the_resource<S>(mut token: Token, shared: &Shared<S>) -> Result<Token, AuthError> {
    let Some(resource) = &shared.config.resource else {
        return Ok(token);
    };
    match token.resource() {
        None => {
            token.set_resource(Some(resource));
            Ok(token)
        }
        Some(other) if other == resource => Ok(token),
        Some(other) => Err(AuthError::rejected(format!(
            "the token source got a token for the resource {other:?}, and this cache is for \
             {resource:?}: give the source the cache's resource"
        ))),
    }
}

/// Saves `token` before any caller sees it (a rotated refresh token must survive a crash),
/// unless the refresh went stale: a token set, saved or reset meanwhile is newer, and
/// overwriting it would undo a login on disk.
///
/// A shared store refuses the save when another host saved a token since `previous` (this
/// host's lease expired mid-refresh): the stored token is then adopted instead, so the fleet
/// stays on one token.
async fn save<S>(shared: &Shared<S>, token: Arc<Token>, to_save: ToSave) -> Refreshed {
    let ToSave {
        base,
        store_seen,
        epoch,
        store_reachable,
    } = to_save;
    if shared.lock().epoch != epoch {
        tracing::debug!(target: "freshtoken", "a newer token was set during the refresh; not saving this one");
        return Refreshed::fetched(token);
    }
    if !store_reachable {
        tracing::debug!(target: "freshtoken", "the token store could not be reached at the start of this refresh; the new token is saved when it answers");
        return Refreshed::unsaved(token, store_seen);
    }
    match store_call(shared, "save", shared.store.save(base.as_deref(), &token)).await {
        Ok(()) => {
            store_calls::answered(shared);
            Refreshed::fetched(token)
        }
        Err(StoreError::Conflict { .. }) => after_conflict(shared, token, store_seen).await,
        Err(error) => {
            store_calls::failed(shared, &error, UNSAVED);
            Refreshed::unsaved(token, store_seen)
        }
    }
}

/// What a failed save means, said once when the store starts failing.
const UNSAVED: &str = "could not save the new token; it is in use, and is saved as soon as \
                       the store answers (a restart before then needs a new login)";

/// Saves again a token that a refresh could not save, if it is still the one in service and
/// the store still holds `base` (a token saved there by another process meanwhile is news
/// for the next refresh, not something to overwrite). Returns whether the token is saved.
pub(super) async fn save_again<S>(
    shared: &Shared<S>,
    token: &Arc<Token>,
    base: Option<&Token>,
) -> Result<bool, StoreError> {
    let _lock = store_calls::lock(shared).await?;
    let stored = store_call(shared, "load", shared.store.load()).await?;
    if stored.is_some_and(|stored| is_news(&stored, base)) {
        return Ok(false);
    }
    store_call(shared, "save", shared.store.save(base, token)).await?;
    store_calls::answered(shared);
    Ok(true)
}

/// The store's lock expired before the refresh token was sent (this process was stopped past
/// its lease): another process may have spent that refresh token meanwhile. Adopts what it
/// saved, or fails so that the refresh is tried again under a new lock.
async fn after_lost_lock<S>(shared: &Shared<S>, store_seen: Option<Arc<Token>>) -> Refreshed {
    if let Ok(Some(stored)) = store_call(shared, "load", shared.store.load()).await
        && is_news(&stored, store_seen.as_deref())
        && usable(&stored, shared)
    {
        tracing::info!(target: "freshtoken", "the store lock expired before this refresh began; adopted the token another process saved");
        return Refreshed::adopted(Arc::new(stored));
    }
    let error = AuthError::refresh_failed(
        "the token store's lock expired before the refresh token was sent (was this process \
         stopped?); the refresh is tried again under a new lock",
    );
    Refreshed::failed(error, store_seen)
}

/// Another host saved a token while this one refreshed: adopts it if usable; otherwise this
/// token is the only usable one, and replaces it. A store left empty means another host
/// logged out meanwhile: the logout wins, and this token is neither saved nor served.
async fn after_conflict<S>(
    shared: &Shared<S>,
    token: Arc<Token>,
    store_seen: Option<Arc<Token>>,
) -> Refreshed {
    match store_call(shared, "load", shared.store.load()).await {
        // Not a token whose refresh token was rejected over this one, which can still renew.
        Ok(Some(stored))
            if usable(&stored, shared)
                && (stored.refresh_token().is_some() || token.refresh_token().is_none()) =>
        {
            tracing::info!(target: "freshtoken", "another host saved a token during this refresh; adopted it instead of this one");
            return Refreshed::adopted(Arc::new(stored));
        }
        Ok(None) => {
            tracing::info!(target: "freshtoken", "another process logged out during this refresh; its token is dropped");
            let error = AuthError::reauthenticate(
                "another process logged out (cleared the token store) while this one refreshed",
            );
            return Refreshed::failed(error, None);
        }
        Ok(_) => {}
        Err(error) => store_calls::failed(
            shared,
            &error,
            "could not read the token store after a refused save",
        ),
    }
    if let Err(error) = store_call(shared, "save", shared.store.save(None, &token)).await {
        store_calls::failed(shared, &error, UNSAVED);
        return Refreshed::unsaved(token, store_seen);
    }
    Refreshed::fetched(token)
}

/// The source is asked no sooner than the minimum interval after it was last asked, so no
/// lifetime, however short, makes the cache refresh in a loop. A step-up (`wait` false) is
/// bounded by its scopes instead, and only records when it asked.
async fn wait_for_min_interval<S>(shared: &Shared<S>, wait: bool) {
    let now = Instant::now();
    let start_at = {
        let mut state = shared.lock();
        let start_at = state
            .last_fetch
            .and_then(|last| last.checked_add(shared.config.min_refresh_interval))
            .filter(|_| wait)
            .map_or(now, |earliest| earliest.max(now));
        state.last_fetch = Some(start_at);
        start_at
    };
    if start_at > now {
        tokio::time::sleep_until(start_at).await;
    }
}

fn repeat(dead: AuthError, store_seen: Option<Arc<Token>>) -> Refreshed {
    Refreshed {
        repeated: true,
        ..Refreshed::failed(dead, store_seen)
    }
}

/// Whether `stored` was put in the store by someone other than this cache.
fn is_news(stored: &Token, seen: Option<&Token>) -> bool {
    seen.is_none_or(|seen| !seen.same_secrets(stored))
}

/// Whether `stored` is a new login rather than the dead token itself (which a store may have
/// rewritten without its refresh token): another access token, not put there by this cache.
fn is_new_login(stored: &Token, dead: Option<&Token>, seen: Option<&Token>) -> bool {
    let same_access = |token: &Token| {
        token.access_token().expose_secret() == stored.access_token().expose_secret()
    };
    !dead.is_some_and(same_access) && is_news(stored, seen)
}

/// Whether a stored token can serve now: for this cache's resource, not stale, and unexpired
/// or of unknown expiry.
fn usable<S>(token: &Token, shared: &Shared<S>) -> bool {
    if !matches!(for_this_resource(token, shared), Ok(true)) {
        return false;
    }
    Schedule::of(token, &shared.config).is_none_or(|schedule| {
        matches!(
            schedule.freshness(Instant::now()),
            Freshness::Fresh | Freshness::Ageing
        )
    })
}
