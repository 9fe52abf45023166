// Input: a cache given a refresh token alone, at run time (`set_refresh_token`,
// `save_refresh_token`), by a source that renews and rotates it.
// Output: evidence that the next call refreshes with exactly that refresh token, that the
// result (or, when saving, the refresh token itself) reaches the store, and that a refresh
// already under way cannot overwrite it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::{AuthError, AuthErrorKind, MemoryStore, Token, TokenCache, TokenSource, TokenStore};

/// Renews with the refresh token it is given, rotating it: `rt` becomes `rt+1`. Without one
/// it asks for one, as `JsonRefresh` does. The first call may be held until released.
#[derive(Default)]
struct Rotating {
    calls: AtomicU32,
    used: std::sync::Mutex<Vec<String>>,
    hold_first: Option<Arc<Notify>>,
}

impl TokenSource for Arc<Rotating> {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        let Some(refresh) = previous.and_then(Token::refresh_token) else {
            return Err(AuthError::reauthenticate("no refresh token"));
        };
        let refresh = refresh.expose_secret().to_owned();
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n == 1
            && let Some(hold) = &self.hold_first
        {
            hold.notified().await;
        }
        self.used.lock().unwrap().push(refresh.clone());
        Token::builder(format!("access-from-{refresh}"))
            .expires_in(Duration::from_secs(3600))
            .refresh_token(format!("{refresh}+1"))
            .build()
    }
}

fn refresh_token_of(token: &Token) -> &str {
    token.refresh_token().unwrap().expose_secret()
}

#[tokio::test(start_paused = true)]
async fn set_refresh_token_makes_the_next_call_refresh_with_it_and_save_the_result() {
    let source = Arc::new(Rotating::default());
    let store = Arc::new(MemoryStore::default());
    let cache = TokenCache::builder(Arc::clone(&source))
        .store(Arc::clone(&store))
        .build();

    let error = cache.token().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");

    cache.set_refresh_token("pasted");
    assert!(
        cache.cached().is_none(),
        "nothing is served before the refresh"
    );
    assert!(store.load().await.unwrap().is_none(), "not saved by itself");

    let token = cache.token().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "access-from-pasted");
    assert_eq!(refresh_token_of(&token), "pasted+1");
    let saved = store
        .load()
        .await
        .unwrap()
        .expect("the refreshed token is saved");
    assert_eq!(refresh_token_of(&saved), "pasted+1");

    // The rotated token is used from then on, not the one given.
    cache.expire_now();
    tokio::time::advance(Duration::from_secs(2)).await;
    let token = cache.token().await.unwrap();
    assert_eq!(refresh_token_of(&token), "pasted+1+1");
    assert_eq!(*source.used.lock().unwrap(), ["pasted", "pasted+1"]);
}

#[tokio::test(start_paused = true)]
async fn save_refresh_token_keeps_it_for_a_restart_even_if_no_refresh_follows() {
    let store = Arc::new(MemoryStore::default());
    let first = TokenCache::builder(Arc::new(Rotating::default()))
        .store(Arc::clone(&store))
        .build();
    first.save_refresh_token("saved").await.unwrap();
    let stored = store.load().await.unwrap().expect("saved at once");
    assert_eq!(refresh_token_of(&stored), "saved");
    assert!(
        stored.is_expired(),
        "the stand-in access token is never served"
    );
    drop(first);

    // A restarted process with the same store refreshes with it.
    let source = Arc::new(Rotating::default());
    let restarted = TokenCache::builder(Arc::clone(&source))
        .store(Arc::clone(&store))
        .build();
    let token = restarted.token().await.unwrap();
    assert_eq!(refresh_token_of(&token), "saved+1");
    assert_eq!(*source.used.lock().unwrap(), ["saved"]);
}

#[tokio::test(start_paused = true)]
async fn a_refresh_under_way_does_not_overwrite_a_refresh_token_set_meanwhile() {
    let hold = Arc::new(Notify::new());
    let source = Arc::new(Rotating {
        hold_first: Some(Arc::clone(&hold)),
        ..Rotating::default()
    });
    let store = Arc::new(MemoryStore::default());
    let cache = TokenCache::builder(Arc::clone(&source))
        .store(Arc::clone(&store))
        .refresh_token("old")
        .build();

    let stale = tokio::spawn({
        let cache = cache.clone();
        async move { cache.token().await }
    });
    while source.calls.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    cache.save_refresh_token("new").await.unwrap();
    hold.notify_one();
    // The stale refresh's caller gets its token, but it is neither kept nor saved.
    let _ = stale.await.unwrap();

    let token = cache.token().await.unwrap();
    assert_eq!(refresh_token_of(&token), "new+1");
    let saved = store.load().await.unwrap().unwrap();
    assert_eq!(refresh_token_of(&saved), "new+1");
}

#[tokio::test(start_paused = true)]
async fn after_close_the_refresh_token_is_refused_not_kept() {
    let cache = TokenCache::new(Arc::new(Rotating::default()));
    cache.close().await;
    let error = cache.save_refresh_token("late").await.unwrap_err();
    assert!(matches!(error.kind(), AuthErrorKind::Closed), "{error}");
    cache.set_refresh_token("late");
    assert!(matches!(
        cache.token().await.unwrap_err().kind(),
        AuthErrorKind::Closed
    ));
}
