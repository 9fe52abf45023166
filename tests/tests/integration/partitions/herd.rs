//! A herd at expiry: 100 callers on each of 50 users whose tokens just expired make exactly 50
//! token requests, one per user, counted by the server; every caller gets its user's token.

use std::time::Duration;

use freshtoken_tests::user_tokens::UserTokenServer;
use tokio::task::JoinSet;

use super::{HOUR, bounded, caches_at, latest_of, token_of, user};

const USERS: usize = 50;
const CALLERS_PER_USER: u64 = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_callers_on_each_of_fifty_expired_users_make_fifty_token_requests() {
    bounded(async {
        let server = UserTokenServer::start(HOUR).await;
        let caches = caches_at(&server).build();
        for n in 0..USERS {
            token_of(&caches, &user(n)).await;
        }
        let logins = server.token_requests();
        assert_eq!(logins, USERS);
        for n in 0..USERS {
            caches.cache(&user(n)).expire_now();
            // Held, so that every caller arrives while the refresh is under way.
            server.hold(&user(n));
        }

        let mut callers = JoinSet::new();
        for _ in 0..CALLERS_PER_USER {
            for n in 0..USERS {
                let caches = caches.clone();
                callers.spawn(async move { (n, token_of(&caches, &user(n)).await) });
            }
        }
        for n in 0..USERS {
            server.wait_for_token_requests(&user(n), 2).await;
            // Each partition counts its waiting callers: the whole herd is at the gate.
            while caches.cache(&user(n)).stats().waits < CALLERS_PER_USER {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        for n in 0..USERS {
            server.release(&user(n));
        }
        while let Some(joined) = callers.join_next().await {
            let (n, token) = joined.expect("no caller panicked");
            assert_eq!(token, latest_of(&server, &user(n)), "{}'s caller", user(n));
        }

        assert_eq!(server.token_requests() - logins, USERS);
        for n in 0..USERS {
            let asked = server.requests(&user(n));
            assert_eq!((asked.refreshes, asked.refused), (1, 0), "{}", user(n));
        }
    })
    .await;
}
