// Input: a cache of one protected resource's tokens, and stores holding tokens for it, for
// another resource, or for none.
// Output: evidence that two resources never share a token: another resource's stored token is
// never served and the error says why; tokens are marked with the cache's resource.

use std::sync::Arc;
use std::time::Duration;

use crate::{AuthErrorKind, MemoryStore, Token, TokenCache, TokenStore, source_fn};

const NOTES: &str = "https://notes.example/mcp";
const FILES: &str = "https://files.example/mcp";

fn stored(access: &str, resource: Option<&str>) -> Token {
    let builder = Token::builder(access).expires_in(Duration::from_secs(3600));
    match resource {
        Some(resource) => builder.resource(resource),
        None => builder,
    }
    .build()
    .unwrap()
}

async fn store_holding(token: Token) -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::default());
    store.save(None, &token).await.unwrap();
    store
}

/// A cache for [`NOTES`] over `store`, whose source returns `fresh` (unmarked).
fn notes_cache(store: &Arc<MemoryStore>) -> TokenCache<impl crate::TokenSource> {
    TokenCache::builder(source_fn(|_previous| async {
        Token::builder("fresh")
            .expires_in(Duration::from_secs(3600))
            .build()
    }))
    .resource(NOTES)
    .store(Arc::clone(store))
    .build()
}

#[tokio::test(start_paused = true)]
async fn a_stored_token_for_another_resource_is_never_served_and_the_error_says_why() {
    let store = store_holding(stored("files-token", Some(FILES))).await;
    let cache = notes_cache(&store);

    let error = cache.token().await.unwrap_err();

    assert!(
        matches!(error.kind(), AuthErrorKind::Store { .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains(FILES) && message.contains(NOTES),
        "{message}"
    );
    assert!(message.contains("its own store entry"), "{message}");
    assert!(!message.contains("files-token"), "{message}");
    let kept = store.load().await.unwrap().unwrap();
    assert_eq!(
        kept.resource(),
        Some(FILES),
        "the other resource's login is left alone"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stored_token_for_this_resource_is_adopted() {
    let store = store_holding(stored("notes-token", Some(NOTES))).await;
    let cache = notes_cache(&store);

    let token = cache.token().await.unwrap();

    assert_eq!(token.access_token().expose_secret(), "notes-token");
    assert_eq!(cache.stats().refreshes, 0);
}

#[tokio::test(start_paused = true)]
async fn a_token_the_source_leaves_unmarked_is_marked_with_the_resource_and_replaces_an_unmarked_one()
 {
    let store = store_holding(stored("unmarked", None)).await;
    let cache = notes_cache(&store);

    let token = cache.token().await.unwrap();

    assert_eq!(token.access_token().expose_secret(), "fresh");
    assert_eq!(token.resource(), Some(NOTES));
    let saved = store.load().await.unwrap().unwrap();
    assert_eq!(saved.resource(), Some(NOTES));
}

#[tokio::test(start_paused = true)]
async fn a_source_that_returns_another_resources_token_fails_the_refresh() {
    let cache = TokenCache::builder(source_fn(|_previous| async {
        Token::builder("files")
            .expires_in(Duration::from_secs(3600))
            .resource(FILES)
            .build()
    }))
    .resource(NOTES)
    .build();

    let error = cache.token().await.unwrap_err();

    assert!(
        error
            .to_string()
            .contains("give the source the cache's resource"),
        "{error}"
    );
    assert!(cache.cached().is_none());
}
