//! A thousand users' tokens in one process, over two lifetimes of two seconds: each user's
//! partition asks the server once per lifetime (a login, then one refresh with that user's
//! refresh token), and every call gets that user's own token.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use freshtoken::TokenCaches;
use freshtoken_tests::user_source::UserSource;
use freshtoken_tests::user_tokens::UserTokenServer;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{bounded, caches_at, latest_of, token_of, user};

const USERS: usize = 1_000;
const LIFETIME: Duration = Duration::from_secs(2);

/// Every user's token, each user asked three times in a row (all three must agree), a
/// couple of hundred users at a time.
async fn every_users_token(caches: &TokenCaches<String, UserSource>) -> HashMap<String, String> {
    // Bounds the connections open at once, not the test: each user's calls are in one task.
    let in_flight = Arc::new(Semaphore::new(200));
    let mut calls = JoinSet::new();
    for n in 0..USERS {
        let caches = caches.clone();
        let in_flight = Arc::clone(&in_flight);
        calls.spawn(async move {
            let _permit = in_flight.acquire().await.expect("never closed");
            let name = user(n);
            let first = token_of(&caches, &name).await;
            let again = token_of(&caches, &name).await;
            let handle = caches.cache(&name).token().await.expect("a fresh token");
            assert_eq!(again, first, "{name}'s second call");
            assert_eq!(
                handle.access_token().expose_secret(),
                first,
                "{name}'s handle"
            );
            (name, first)
        });
    }
    let mut tokens = HashMap::new();
    while let Some(joined) = calls.join_next().await {
        let (name, token) = joined.expect("no caller panicked");
        tokens.insert(name, token);
    }
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_users_each_ask_once_per_lifetime_and_get_their_own_tokens() {
    bounded(async {
        let server = UserTokenServer::start(LIFETIME).await;
        // Renewed only when a caller finds the token within 200 ms of its end: no background
        // refresh, so the server's counts are the calls' doing.
        let caches = caches_at(&server)
            .configure(|cache| {
                cache
                    .refresh_margin(Duration::from_millis(200))
                    .refresh_ahead(Duration::ZERO)
                    .min_refresh_interval(Duration::ZERO)
            })
            .build();

        let first = every_users_token(&caches).await;
        // Every token was received before now, so every one is past its end at `expired`.
        let expired = Instant::now() + LIFETIME;
        for n in 0..USERS {
            let name = user(n);
            let asked = server.requests(&name);
            assert_eq!((asked.logins, asked.token_requests), (1, 1), "{name}");
            assert_eq!(
                first[&name],
                latest_of(&server, &name),
                "{name}'s own token"
            );
            assert!(first[&name].starts_with(&format!("AT-{name}-")));
        }
        assert_eq!(caches.len(), USERS);

        tokio::time::sleep_until(expired).await;
        let second = every_users_token(&caches).await;

        for n in 0..USERS {
            let name = user(n);
            let asked = server.requests(&name);
            assert_eq!(
                (
                    asked.logins,
                    asked.refreshes,
                    asked.refused,
                    asked.token_requests
                ),
                (1, 1, 0, 2),
                "{name}: a login, then one refresh with the latest refresh token"
            );
            assert_eq!(
                second[&name],
                latest_of(&server, &name),
                "{name}'s own token"
            );
            assert_ne!(second[&name], first[&name], "{name}'s token was renewed");
        }
        assert_eq!(server.token_requests(), 2 * USERS);
    })
    .await;
}
