// Input: a token a refresh obtained but could not save (the store failed), still in service.
// Output: that token saved as soon as the store answers again, tried after a growing pause;
// nothing at all once the token is replaced, the cache is dropped or a refresh takes over.
//
// Until it is saved, the store holds the token this cache refreshed, whose refresh token is
// spent: a restart (or another process) would find a dead login there.

use std::sync::{Arc, Weak};

use super::Shared;
use super::refresh::save_again;
use super::store_calls;
use crate::Token;

/// Spawns the task that saves `token` again. Called from a refresh task, inside a runtime.
pub(super) fn spawn<S: Send + Sync + 'static>(shared: &Arc<Shared<S>>, token: Arc<Token>) {
    let weak = Arc::downgrade(shared);
    drop(tokio::spawn(save_until_done(weak, token)));
}

async fn save_until_done<S>(weak: Weak<Shared<S>>, token: Arc<Token>) {
    let Some(config) = weak.upgrade().map(|shared| shared.config.clone()) else {
        return;
    };
    let mut pause = config.backoff_initial;
    loop {
        tokio::time::sleep(pause).await;
        pause = pause.saturating_mul(2).min(config.backoff_max);
        // Holds the cache only while trying, so a dropped cache ends the task.
        let Some(shared) = weak.upgrade() else { return };
        if !shared.still_unsaved(&token) {
            return;
        }
        if shared.lock().flight.is_some() {
            // The refresh under way saves its own token.
            continue;
        }
        if try_once(&shared, &token).await {
            return;
        }
    }
}

/// One attempt; returns whether there is nothing more to do (saved, or the store holds a
/// newer token that the next refresh adopts).
pub(super) async fn try_once<S>(shared: &Shared<S>, token: &Arc<Token>) -> bool {
    let base = shared.lock().store_seen.clone();
    match save_again(shared, token, base.as_deref()).await {
        Ok(saved) => {
            let mut state = shared.lock();
            if saved && state.unsaved && state.last.as_ref().is_some_and(|l| Arc::ptr_eq(l, token))
            {
                state.unsaved = false;
                state.store_seen = Some(Arc::clone(token));
                tracing::info!(target: "freshtoken", "saved the token in service, which an earlier save could not");
            }
            true
        }
        Err(error) => {
            store_calls::failed(shared, &error, "could not save the token in service again");
            false
        }
    }
}

impl<S> Shared<S> {
    /// Whether `token` is in service and still waits to be saved.
    fn still_unsaved(&self, token: &Arc<Token>) -> bool {
        let state = self.lock();
        !state.closed && state.unsaved && state.last.as_ref().is_some_and(|l| Arc::ptr_eq(l, token))
    }
}
