//! `RedisStore::open_cluster` on a three-master Redis Cluster started on loopback
//! (`freshtoken_tests::redis_cluster`): one shared token rotated through the cluster; the keys
//! of each partition on one slot, the partitions over every master, no user key in any key
//! name; and the partitioned fleet of `partitions.rs` on the cluster.

use std::sync::atomic::Ordering;

use freshtoken::TokenCache;
use freshtoken::oauth::{ClientAuth, RefreshTokenGrant, Url};
use freshtoken::partition::ScopeSet;
use freshtoken::store::RedisStore;
use freshtoken_tests::redis_cluster::RedisCluster;
use freshtoken_tests::scripted::{Reply, ScriptedServer};

use super::partitions::{Redis, counting_caches, naming, ten_users_on_three_processes, user};
use super::{access, seed_expired};

fn cluster_store(cluster: &RedisCluster, prefix: &str) -> RedisStore {
    let urls = cluster.urls();
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    RedisStore::open_cluster(&urls, prefix).unwrap()
}

/// A plain connection to one node.
async fn node(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Every key the node holds (`SCAN`).
async fn keys_of(url: &str) -> Vec<String> {
    let mut connection = node(url).await;
    let (mut cursor, mut keys) = (0_u64, Vec::new());
    loop {
        let (next, mut batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut connection)
            .await
            .unwrap();
        keys.append(&mut batch);
        if next == 0 {
            return keys;
        }
        cursor = next;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_on_a_cluster_make_one_token_request_per_rotation_and_share_the_token() {
    let cluster = RedisCluster::start();
    let server = ScriptedServer::start(Reply::issue()).await;
    seed_expired(&cluster_store(&cluster, "api")).await;
    let grant = || {
        let url: Url = server.token_url().parse().unwrap();
        RefreshTokenGrant::new(url, ClientAuth::public("fleet"))
    };
    let (a, b) = (
        TokenCache::builder(grant())
            .store(cluster_store(&cluster, "api"))
            .build(),
        TokenCache::builder(grant())
            .store(cluster_store(&cluster, "api"))
            .build(),
    );

    let (ta, tb) = tokio::join!(a.token(), b.token());
    assert_eq!(access(&ta.unwrap()), access(&tb.unwrap()));
    assert_eq!(server.issued_and_refused(), (1, 0));

    // Told by the API that the token is dead, the first host rotates; the other adopts.
    a.invalidate(&a.cached().unwrap());
    let rotated = a.token().await.unwrap();
    b.invalidate(&b.cached().unwrap());
    assert_eq!(access(&b.token().await.unwrap()), access(&rotated));
    assert_eq!(server.issued_and_refused(), (2, 0));

    // The token and its (released) lease live on one node: the one that holds their slot.
    let holders: Vec<Vec<String>> = {
        let mut holders = Vec::new();
        for url in cluster.urls() {
            holders.push(keys_of(&url).await);
        }
        holders
    };
    let with_token = holders
        .iter()
        .filter(|keys| keys.iter().any(|key| key == "freshtoken:{api}:token"))
        .count();
    assert_eq!(with_token, 1, "{holders:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_keys_share_one_slot_spread_over_every_master_and_name_no_user() {
    const USERS: usize = 60;
    let cluster = RedisCluster::start();
    let (caches, logins) = counting_caches(cluster_store(&cluster, "tenants"));
    for i in 0..USERS {
        caches.token(&user(i)).await.unwrap();
    }
    assert_eq!(logins.load(Ordering::SeqCst), u32::try_from(USERS).unwrap());

    // Each partition's keys hash to one slot; different partitions to different slots.
    let mut any = node(&cluster.urls()[0]).await;
    let mut slots = std::collections::HashSet::new();
    for i in 0..USERS {
        let id = caches.partition_id(&user(i), &ScopeSet::default()).unwrap();
        assert_eq!(
            id,
            naming()
                .partition_id(&user(i), &ScopeSet::default())
                .unwrap()
        );
        let mut slot_of_partition = None;
        for kind in ["token", "lease", "events", "registrations"] {
            let key = format!("freshtoken:{{tenants:{id}}}:{kind}");
            let slot: u16 = redis::cmd("CLUSTER")
                .arg("KEYSLOT")
                .arg(&key)
                .query_async(&mut any)
                .await
                .unwrap();
            assert_eq!(*slot_of_partition.get_or_insert(slot), slot, "{key}");
        }
        slots.insert(slot_of_partition.unwrap());
    }
    assert!(
        slots.len() > USERS / 2,
        "{} slots for {USERS} partitions",
        slots.len()
    );

    // Every master holds some partitions' tokens; no key name holds a user key.
    let mut tokens = 0;
    for url in cluster.urls() {
        let keys = keys_of(&url).await;
        let here = keys.iter().filter(|key| key.ends_with(":token")).count();
        assert!(here > 0, "no partition on {url}: {keys:?}");
        tokens += here;
        for key in &keys {
            assert!(
                !key.contains("user-") && !key.contains("example.com"),
                "a key names a user: {key}"
            );
            assert!(key.starts_with("freshtoken:{tenants:"), "{key}");
        }
    }
    assert_eq!(tokens, USERS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_users_on_three_processes_through_a_cluster_make_one_token_request_per_rotation_each() {
    let cluster = RedisCluster::start();
    ten_users_on_three_processes(&Redis::Cluster(cluster.urls())).await;
}

#[test]
fn a_cluster_with_no_node_or_a_bad_url_is_refused_naming_the_fix_and_never_the_password() {
    let refusal = |urls: &[&str], prefix: &str| match RedisStore::open_cluster(urls, prefix) {
        Ok(_) => panic!("{urls:?} {prefix:?} accepted"),
        Err(error) => error.to_string(),
    };
    let none = refusal(&[], "api");
    assert!(none.contains("no node URL given"), "{none}");
    for urls in [
        [
            "nonsense://:hunter2@127.0.0.1:7000/",
            "redis://:hunter2@127.0.0.1:7001/",
        ],
        [
            "redis://:hunter2@127.0.0.1:7000/",
            "nonsense://:hunter2@127.0.0.1:7001/",
        ],
    ] {
        let bad = refusal(&urls, "api");
        assert!(bad.contains("not a usable Redis URL"), "{bad}");
        assert!(!bad.contains("hunter2"), "the password shows: {bad}");
    }
    let prefix = refusal(&["redis://127.0.0.1:7000/"], "a b");
    assert!(prefix.contains("key prefix"), "{prefix}");
}
