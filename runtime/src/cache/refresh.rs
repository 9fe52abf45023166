// Input: the token to refresh (if any) and what the store last showed this cache.
// Output: a new token, adopted from the store or fetched from the source and saved before
// anyone sees it; or the error.
//
// The store is consulted under its lock, so two processes sharing it never spend one
// single-use refresh token twice: the second to get the lock finds the first one's token.

use std::sync::Arc;

use tokio::time::Instant;

use super::Shared;
use super::schedule::{Freshness, Schedule};
use crate::{AuthError, AuthErrorKind, Token, TokenSource};

/// What a refresh starts from, read under the cache's lock.
pub(super) struct Plan {
    /// The last token the cache held, for its refresh token.
    pub(super) previous: Option<Arc<Token>>,
    /// The last token this cache saved to or read from the store; a stored token that differs
    /// from it was put there by someone else.
    pub(super) store_seen: Option<Arc<Token>>,
    /// False right after `reset`: the next token comes from the source, not the store.
    pub(super) consult_store: bool,
}

/// What a refresh gave, and the token the store now holds as far as this cache knows.
pub(super) struct Refreshed {
    pub(super) outcome: Result<Arc<Token>, AuthError>,
    pub(super) store_seen: Option<Arc<Token>>,
    /// Whether the token came from the store rather than from the source.
    pub(super) adopted: bool,
}

pub(super) async fn refresh<S: TokenSource>(shared: &Shared<S>, plan: Plan) -> Refreshed {
    let Plan {
        mut previous,
        mut store_seen,
        consult_store,
    } = plan;
    let timeout = shared.config.refresh_timeout;

    // Held until the new token is saved.
    let _lock = match tokio::time::timeout(timeout, shared.store.lock()).await {
        Err(_) => return failed(AuthErrorKind::Timeout(timeout).into(), store_seen),
        Ok(Ok(lock)) => Some(lock),
        Ok(Err(error)) => {
            tracing::warn!(target: "freshtoken", %error, "could not lock the token store; refreshing without the lock");
            None
        }
    };

    if consult_store {
        match shared.store.load().await {
            Ok(Some(stored)) => {
                let stored = Arc::new(stored);
                let is_news = store_seen
                    .as_deref()
                    .is_none_or(|seen| !seen.same_secrets(&stored));
                store_seen = Some(Arc::clone(&stored));
                if is_news {
                    if usable(&stored, shared) {
                        tracing::info!(target: "freshtoken", "adopted the token another process saved");
                        return Refreshed {
                            outcome: Ok(stored),
                            store_seen,
                            adopted: true,
                        };
                    }
                    // Expired, but its refresh token is the newest there is.
                    previous = Some(stored);
                }
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(target: "freshtoken", %error, "could not read the token store; ignoring it");
            }
        }
    }

    shared.counters.refresh();
    let fetched = tokio::time::timeout(timeout, shared.source.fetch(previous.as_deref()))
        .await
        .unwrap_or_else(|_| Err(AuthErrorKind::Timeout(timeout).into()));
    let mut token = match fetched {
        Ok(token) if token.is_expired() => {
            return failed(
                AuthError::invalid_token(
                    "the token source returned a token that has already expired (expires_in \
                     of 0, or a JWT `exp` in the past: check the token lifetime the server \
                     issues and the clocks of both hosts)",
                ),
                store_seen,
            );
        }
        Ok(token) => token,
        Err(error) => {
            if error.needs_reauthentication()
                && let Some(dead) = &previous
                && let Err(error) = shared.store.refresh_token_rejected(dead).await
            {
                tracing::warn!(target: "freshtoken", %error, "could not forget the rejected refresh token");
            }
            return failed(error, store_seen);
        }
    };
    if let Some(previous) = &previous {
        token.inherit_refresh_token(previous);
    }
    // Saved before any caller sees it: a rotated refresh token must survive a crash.
    match shared.store.save(previous.as_deref(), &token).await {
        Ok(()) => {}
        Err(error) => {
            tracing::error!(target: "freshtoken", %error, "could not save the new token; it is in use, but a restart will need a new login");
        }
    }
    let token = Arc::new(token);
    Refreshed {
        outcome: Ok(Arc::clone(&token)),
        store_seen: Some(token),
        adopted: false,
    }
}

fn failed(error: AuthError, store_seen: Option<Arc<Token>>) -> Refreshed {
    Refreshed {
        outcome: Err(error),
        store_seen,
        adopted: false,
    }
}

/// Whether a stored token can serve now: not stale, and unexpired or of unknown expiry.
fn usable<S>(token: &Token, shared: &Shared<S>) -> bool {
    Schedule::of(token, &shared.config).is_none_or(|schedule| {
        matches!(
            schedule.freshness(Instant::now()),
            Freshness::Fresh | Freshness::Ageing
        )
    })
}
