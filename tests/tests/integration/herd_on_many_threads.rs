//! A thousand tasks on a multi-thread runtime need a token at once: one refresh serves them
//! all. Real threads, no paused clock: the source's gate, not timing, lines the callers up.

use std::sync::Arc;
use std::time::Duration;

use freshtoken::TokenCache;
use freshtoken_tests::GatedSource;

const CALLERS: u64 = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_tasks_on_two_threads_share_one_refresh() {
    let source = GatedSource::closed(Duration::from_secs(3600));
    let cache = TokenCache::new(source.clone());
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await })
        })
        .collect();

    // Every caller is parked on the one refresh before the source may answer. The bound only
    // keeps a broken cache from hanging the suite.
    tokio::time::timeout(Duration::from_secs(60), async {
        while cache.stats().waits < CALLERS {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("all callers should be waiting on the refresh");
    source.open_gate();

    let mut tokens = Vec::new();
    for caller in callers {
        tokens.push(caller.await.unwrap().unwrap());
    }
    assert_eq!(source.calls(), 1);
    assert!(tokens.iter().all(|t| Arc::ptr_eq(t, &tokens[0])));
    assert_eq!(tokens[0].access_token().expose_secret(), "access-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_on_many_threads_never_wait_for_a_fresh_token() {
    let source = GatedSource::open(Duration::from_secs(3600));
    let cache = TokenCache::new(source.clone());
    cache.token().await.unwrap();
    let readers: Vec<_> = (0..64)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move {
                for _ in 0..1000 {
                    assert!(cache.fresh_token().is_some());
                    cache.token().await.unwrap();
                }
            })
        })
        .collect();
    for reader in readers {
        reader.await.unwrap();
    }
    assert_eq!(source.calls(), 1);
    assert_eq!(cache.stats().waits, 1, "only the first call waited");
}
