// The spans of a refresh and of its store calls: one refresh span with the cache's name, the
// reason and how it ended, the source's events inside it, the store calls its children, and
// no token anywhere in them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::capture::capture;
use crate::store::MemoryStore;
use crate::{AuthError, StoreError, Token, TokenCache, TokenStore, source_fn};

const SECRET: &str = "span-SECRET-";

#[tokio::test(start_paused = true)]
async fn a_refresh_is_one_span_with_its_cache_reason_and_outcome_around_the_source() {
    let (captured, _guard) = capture();
    let issued = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&issued);
    let source = source_fn(move |_previous| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            tracing::info!(target: "test_source", n, "asking the token endpoint");
            if n == 2 {
                return Err(AuthError::refresh_failed("endpoint down"));
            }
            Token::builder(format!("{SECRET}{n}"))
                .expires_in(Duration::from_secs(3600))
                .build()
        }
    });
    let cache = TokenCache::builder(source)
        .name("spans-refresh")
        .min_refresh_interval(Duration::ZERO)
        .store(MemoryStore::default())
        .build();

    cache.token().await.unwrap();
    cache.token().await.unwrap();
    cache.refresh().await.unwrap_err();

    let refreshes = captured.spans("freshtoken.refresh");
    assert_eq!(refreshes.len(), 2, "one span per refresh: {refreshes:?}");
    let [absent, forced] = [&refreshes[0].fields, &refreshes[1].fields];
    for expected in [
        "freshtoken.cache=spans-refresh",
        "freshtoken.reason=absent",
        "freshtoken.outcome=success",
    ] {
        assert!(absent.contains(expected), "{expected} in {absent}");
    }
    assert!(!absent.contains("error.type"), "{absent}");
    for expected in [
        "freshtoken.reason=forced",
        "freshtoken.outcome=error",
        "error.type=refresh_failed",
    ] {
        assert!(forced.contains(expected), "{expected} in {forced}");
    }
    let inside = captured.events_in("freshtoken.refresh");
    let asked = inside
        .iter()
        .filter(|e| e.contains("asking the token endpoint"));
    assert_eq!(
        asked.count(),
        2,
        "the source's events are inside: {inside:?}"
    );

    let stores = captured.spans("freshtoken.store");
    let saves: Vec<_> = stores
        .iter()
        .filter(|s| s.fields.contains("freshtoken.operation=save"))
        .collect();
    assert_eq!(saves.len(), 1, "the one new token is saved: {stores:?}");
    assert!(
        saves[0].fields.contains("freshtoken.outcome=success"),
        "{saves:?}"
    );
    assert!(
        saves[0].fields.contains("freshtoken.cache=spans-refresh"),
        "{saves:?}"
    );
    for store in &stores {
        assert_eq!(store.parent, Some("freshtoken.refresh"), "{store:?}");
    }

    let text = captured.text();
    assert!(!text.contains(SECRET), "a token in the spans: {text}");
}

/// Loads nothing, and fails to save.
struct SaveFails;

impl TokenStore for SaveFails {
    async fn load(&self) -> Result<Option<Token>, StoreError> {
        Ok(None)
    }
    async fn save(&self, _: Option<&Token>, _: &Token) -> Result<(), StoreError> {
        Err(StoreError::other("disk full"))
    }
    async fn clear(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_store_call_that_fails_ends_its_span_with_error() {
    let (captured, _guard) = capture();
    let cache = TokenCache::builder(source_fn(|_previous| async {
        Token::builder(format!("{SECRET}1")).build()
    }))
    .name("spans-store")
    .store(SaveFails)
    .build();

    cache.token().await.unwrap();

    let stores = captured.spans("freshtoken.store");
    let fields: Vec<&str> = stores.iter().map(|s| s.fields.as_str()).collect();
    assert!(
        fields
            .iter()
            .any(|f| f.contains("freshtoken.operation=load")
                && f.contains("freshtoken.outcome=success")),
        "{fields:?}"
    );
    assert!(
        fields
            .iter()
            .any(|f| f.contains("freshtoken.operation=save")
                && f.contains("freshtoken.outcome=error")
                && f.contains("freshtoken.cache=spans-store")),
        "{fields:?}"
    );
    let text = captured.text();
    assert!(!text.contains(SECRET), "a token in the spans: {text}");
}
