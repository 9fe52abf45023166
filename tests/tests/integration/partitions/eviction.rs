//! Eviction with `max_partitions(10)` and 100 users: the partitions in memory stay at 10,
//! evicted users come back from their store without a login, and a partition whose handle is
//! held or whose refresh is under way stays in memory while 50 other users pass through; the
//! refresh's token is the one used after it completes.

use std::time::Duration;

use freshtoken::Token;
use freshtoken::store::MemoryStores;
use freshtoken_tests::user_tokens::UserTokenServer;

use super::{HOUR, bounded, caches_at, latest_of, token_of, user};

const CAP: usize = 10;
const USERS: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evicted_users_come_back_from_their_store_and_busy_partitions_stay() {
    bounded(async {
        let server = UserTokenServer::start(HOUR).await;
        let stores = MemoryStores::default();
        let caches = caches_at(&server)
            .max_partitions(CAP)
            .stores(stores.clone())
            .build();

        for round in 0..2 {
            for n in 0..USERS {
                let token = token_of(&caches, &user(n)).await;
                assert_eq!(token, latest_of(&server, &user(n)), "round {round}");
                assert!(caches.len() <= CAP, "{} partitions in memory", caches.len());
            }
        }
        assert_eq!(stores.len(), USERS);
        for n in 0..USERS {
            let asked = server.requests(&user(n));
            assert_eq!(
                asked.token_requests,
                1,
                "{}: one login, then the store",
                user(n)
            );
        }

        // Held: a handle kept, with a token that only the partition in memory has.
        let held = caches.cache(&user(0));
        held.set_token(
            Token::builder("in-memory-only")
                .expires_in(HOUR)
                .build()
                .unwrap(),
        );
        // Refreshing: the server holds the answer; the caller gives up, the refresh goes on.
        let refreshing = user(1);
        let refreshes_before = {
            // Evicted by now: back from the store first, so that there is a token to expire.
            let handle = caches.cache(&refreshing);
            handle.token().await.expect("the stored token");
            handle.expire_now();
            handle.stats().refreshes
        };
        server.hold(&refreshing);
        let caller = tokio::spawn({
            let caches = caches.clone();
            let refreshing = refreshing.clone();
            async move { token_of(&caches, &refreshing).await }
        });
        server.wait_for_token_requests(&refreshing, 2).await;
        caller.abort();
        assert!(caller.await.is_err_and(|error| error.is_cancelled()));

        for n in USERS..USERS + 50 {
            token_of(&caches, &user(n)).await;
        }
        assert_eq!(caches.len(), CAP);
        assert_eq!(
            caches
                .token(&user(0))
                .await
                .unwrap()
                .access_token()
                .expose_secret(),
            "in-memory-only",
            "the held partition stayed in memory"
        );
        drop(held);

        server.release(&refreshing);
        while server.requests(&refreshing).refreshes == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let renewed = token_of(&caches, &refreshing).await;
        assert_eq!(
            renewed,
            latest_of(&server, &refreshing),
            "the refresh's token is used"
        );
        assert_eq!(
            caches.cache(&refreshing).stats().refreshes,
            refreshes_before + 1,
            "the refreshing partition stayed in memory"
        );
        let asked = server.requests(&refreshing);
        assert_eq!((asked.token_requests, asked.refused), (2, 0));
        assert!(caches.len() <= CAP);
    })
    .await;
}
