//! `RedisStore` as the `PartitionStores` of a `TokenCaches`: three processes with ten users
//! each share every user's token through one Redis, each user against a token endpoint of its
//! own that rotates refresh tokens with no grace and refuses a spent one (`invalid_grant`).
//! The same fleet on a Redis Cluster is in `cluster.rs`.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use freshtoken::partition::ScopeSet;
use freshtoken::store::{PartitionStores, RedisStore};
use freshtoken::{Token, TokenCaches, TokenStore, source_fn};
use freshtoken_tests::redis_server::RedisServer;
use freshtoken_tests::scripted::{Reply, ScriptedServer};

use super::fleet::{Processes, seen};
use super::{access, connection, seed_expired};

/// Users, each with its own token endpoint, and the processes that call for all of them.
const USERS: usize = 10;
const HOSTS: usize = 3;
/// Tokens live a second: each user's token rotates every half second or so.
const RUN: Duration = Duration::from_secs(3);
const PREFIX: &str = "fleet";

/// The key of user `i`, as the hosts (`redis_fleet_host`) name them.
pub(super) fn user(i: usize) -> String {
    format!("user-{i}@example.com")
}

/// The partition names the hosts use (the default naming secret), with a source that is never
/// asked.
pub(super) fn naming() -> TokenCaches<String, impl freshtoken::TokenSource> {
    TokenCaches::new(|_user: &String| {
        source_fn(|_previous| async { Token::builder("unused").build() })
    })
}

/// Where the hosts keep their partitions.
pub(super) enum Redis {
    Single(String),
    Cluster(Vec<String>),
}

impl Redis {
    fn store(&self) -> RedisStore {
        match self {
            Self::Single(url) => RedisStore::open(url, PREFIX).unwrap(),
            Self::Cluster(urls) => {
                let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
                RedisStore::open_cluster(&urls, PREFIX).unwrap()
            }
        }
    }

    fn host(&self, servers: &[ScriptedServer]) -> Command {
        let join = |urls: Vec<String>| urls.join(",");
        let mut command = Command::new(env!("CARGO_BIN_EXE_redis_fleet_host"));
        command
            .env("FRESHTOKEN_ROLE", "partitions")
            .env(
                "FRESHTOKEN_TOKEN_URLS",
                join(servers.iter().map(ScriptedServer::token_url).collect()),
            )
            .env(
                "FRESHTOKEN_API_URLS",
                join(servers.iter().map(ScriptedServer::api_url).collect()),
            )
            .env("FRESHTOKEN_PREFIX", PREFIX)
            .env("FRESHTOKEN_RUN_MS", RUN.as_millis().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match self {
            Self::Single(url) => command.env("FRESHTOKEN_REDIS_URL", url),
            Self::Cluster(urls) => command
                .env("FRESHTOKEN_REDIS_URL", join(urls.clone()))
                .env("FRESHTOKEN_CLUSTER", "1"),
        };
        command
    }
}

/// Runs the fleet on `redis` and asserts, for every user, one token request per rotation for
/// the whole fleet, no refresh token refused, and every call served.
pub(super) async fn ten_users_on_three_processes(redis: &Redis) {
    let mut servers = Vec::with_capacity(USERS);
    for _ in 0..USERS {
        servers.push(
            ScriptedServer::start(Reply::Issue {
                expires_in: 1,
                delay: Duration::ZERO,
            })
            .await,
        );
    }
    let (naming, root) = (naming(), redis.store());
    for i in 0..USERS {
        let id = naming.partition_id(&user(i), &ScopeSet::default()).unwrap();
        seed_expired(&root.store_for(&id)).await;
    }
    let hosts = Processes(
        (0..HOSTS)
            .map(|_| redis.host(&servers).spawn().unwrap())
            .collect(),
    );
    let seen = seen(hosts).await;

    for (i, server) in servers.iter().enumerate() {
        let (issued, refused) = server.issued_and_refused();
        let requests = u32::try_from(server.token_hits().len()).unwrap();
        assert_eq!(refused, 0, "user {i}: refused refresh tokens (spent twice)");
        assert_eq!(
            requests, issued,
            "user {i}: token requests per rotation above one"
        );
        assert!(issued >= 2, "user {i}: only {issued} rotations");
        let (api_calls, _) = server.api_hits();
        assert!(api_calls > 0, "user {i}: no call");
    }
    assert_eq!((seen.failed, seen.reauth, seen.store_errors), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_users_on_three_processes_through_one_redis_make_one_token_request_per_rotation_each() {
    let redis = RedisServer::start();
    ten_users_on_three_processes(&Redis::Single(redis.url())).await;
}

/// Caches whose partitions log in with `access-N` tokens (living an hour), counting logins.
pub(super) fn counting_caches(
    stores: RedisStore,
) -> (
    TokenCaches<String, impl freshtoken::TokenSource>,
    Arc<AtomicU32>,
) {
    let logins = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&logins);
    let caches = TokenCaches::builder(move |_user: &String| {
        let logins = Arc::clone(&counted);
        source_fn(move |_previous| {
            let n = logins.fetch_add(1, Ordering::SeqCst);
            async move {
                Token::builder(format!("access-{n}"))
                    .refresh_token(format!("refresh-{n}"))
                    .expires_in(Duration::from_secs(3600))
                    .build()
            }
        })
    })
    .stores(stores)
    .build();
    (caches, logins)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_partitions_share_one_command_connection_and_one_subscription_connection() {
    let redis = RedisServer::start();
    let (caches, logins) = counting_caches(RedisStore::open(&redis.url(), "many").unwrap());
    for i in 0..20 {
        caches.token(&user(i)).await.unwrap();
    }
    assert_eq!(logins.load(Ordering::SeqCst), 20);

    let mut probe = connection(&redis).await;
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut probe)
        .await
        .unwrap();
    // The probe, the partitions' commands, and at most one subscription: not one per user.
    assert!(clients.lines().count() <= 3, "{clients}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_waiting_for_another_hosts_lease_subscribes_its_channel_adopts_the_saved_token_and_unsubscribes_when_evicted()
 {
    let redis = RedisServer::start();
    let (caches, logins) = counting_caches(RedisStore::open(&redis.url(), "wake").unwrap());
    let id = caches.partition_id(&user(0), &ScopeSet::default()).unwrap();
    // Another host, with connections of its own, refreshes the user's token.
    let holder = RedisStore::open(&redis.url(), "wake")
        .unwrap()
        .store_for(&id);
    let lease = holder.lock().await.unwrap();

    let waiting = {
        let caches = caches.clone();
        tokio::spawn(async move { caches.token(&user(0)).await })
    };
    // The waiting partition subscribes its own channel, on demand (the holder's subscription,
    // made when it took the lease, is the other subscriber).
    let channel = format!("freshtoken:{{wake:{id}}}:events");
    let mut probe = connection(&redis).await;
    tokio::time::timeout(Duration::from_secs(5), subscribers(&mut probe, &channel, 2))
        .await
        .expect("the waiting partition never subscribed to its channel");

    let saved = Token::builder("from-the-holder")
        .refresh_token("refresh-of-the-holder")
        .expires_in(Duration::from_secs(3600))
        .build()
        .unwrap();
    holder.save(None, &saved).await.unwrap();
    drop(lease);
    let adopted = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the waiting partition was not woken")
        .unwrap()
        .unwrap();
    assert_eq!(access(&adopted), "from-the-holder");
    assert_eq!(
        logins.load(Ordering::SeqCst),
        0,
        "the waiting partition logged in itself"
    );

    // Evicted, the partition gives its channel up; the holder's subscription stays.
    assert_eq!(caches.evict_idle(), 1);
    tokio::time::timeout(Duration::from_secs(5), subscribers(&mut probe, &channel, 1))
        .await
        .expect("the evicted partition's channel stayed subscribed");
}

/// Returns once `channel` has `count` subscribers (`PUBSUB NUMSUB`).
async fn subscribers(probe: &mut redis::aio::MultiplexedConnection, channel: &str, count: u32) {
    loop {
        let (_, subscribers): (String, u32) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(probe)
            .await
            .unwrap();
        if subscribers == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
