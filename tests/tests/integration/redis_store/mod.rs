//! `RedisStore` on a real `redis-server` (started by each test on a free loopback port, see
//! `freshtoken_tests::redis_server`): the store's own guarantees, caches on several "hosts"
//! (caches with their own connections), and a fleet of processes; the partitions of
//! `TokenCaches` in Redis, and all of it on a three-master Redis Cluster
//! (`freshtoken_tests::redis_cluster`).

pub mod cache;
pub mod cluster;
pub mod commands;
pub mod fleet;
pub mod partitions;
pub mod store;

use std::time::Duration;

use freshtoken::store::RedisStore;
use freshtoken::{Token, TokenStore};
use freshtoken_tests::redis_server::RedisServer;
use freshtoken_tests::scripted::ScriptedServer;

/// A store of the token `prefix` on `redis`, with a short command timeout.
fn store(redis: &RedisServer, prefix: &str) -> RedisStore {
    RedisStore::open(&redis.url(), prefix)
        .unwrap()
        .command_timeout(Duration::from_millis(300))
}

/// Saves an expired token whose refresh token is the scripted server's first one.
async fn seed_expired(store: &RedisStore) {
    let expired = Token::builder("seed-access")
        .expires_in(Duration::ZERO)
        .refresh_token(ScriptedServer::first_refresh_token())
        .build()
        .unwrap();
    store.save(None, &expired).await.unwrap();
}

/// The access token, as the tests compare them.
fn access(token: &Token) -> &str {
    token.access_token().expose_secret()
}

/// A plain connection to `redis`, to look at or act on the server directly.
async fn connection(redis: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Sends `DEBUG SLEEP 30` and returns once the server is asleep (a `PING` goes unanswered):
/// a server that answers nothing for 30 s, as a stalled one would.
async fn put_to_sleep(redis: &RedisServer) {
    let (mut sleeper, mut probe) = (connection(redis).await, connection(redis).await);
    drop(tokio::spawn(async move {
        let _: Result<(), _> = redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg(30)
            .query_async(&mut sleeper)
            .await;
    }));
    let ping = redis::cmd("PING");
    loop {
        let ping = ping.query_async::<String>(&mut probe);
        if tokio::time::timeout(Duration::from_millis(100), ping)
            .await
            .is_err()
        {
            return;
        }
    }
}
