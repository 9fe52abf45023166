//! The store's own guarantees, one store call at a time.

use std::time::Duration;

use freshtoken::store::RedisStore;
use freshtoken::{StoreError, Token, TokenStore};
use freshtoken_tests::redis_server::RedisServer;

use super::commands::CommandLog;
use super::{access, connection, put_to_sleep, store};

fn token(access: &str, refresh: &str) -> Token {
    Token::builder(access)
        .expires_in(Duration::from_secs(600))
        .refresh_token(refresh)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_saved_token_loads_back_and_no_key_names_a_secret() {
    let redis = RedisServer::start();
    let store = store(&redis, "billing-api");
    assert!(store.load().await.unwrap().is_none(), "nothing saved yet");

    store
        .save(None, &token("access-SECRET", "refresh-SECRET"))
        .await
        .unwrap();
    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(access(&loaded), "access-SECRET");
    assert_eq!(
        loaded.refresh_token().unwrap().expose_secret(),
        "refresh-SECRET"
    );

    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut connection(&redis).await)
        .await
        .unwrap();
    assert_eq!(keys, ["freshtoken:{billing-api}:token"]);
    assert!(!store.name().contains("SECRET"));

    // A logout clears it.
    store.clear().await.unwrap();
    assert!(store.load().await.unwrap().is_none());
}

#[tokio::test]
async fn a_save_over_a_token_another_host_saved_is_refused_and_a_login_replaces_any() {
    let redis = RedisServer::start();
    let (here, there) = (store(&redis, "api"), store(&redis, "api"));
    let first = token("a1", "r1");
    here.save(None, &first).await.unwrap();

    // Another host renewed `first` already; this host's renewal of it is refused.
    there.save(Some(&first), &token("a2", "r2")).await.unwrap();
    let refused = here.save(Some(&first), &token("a2-late", "r2-late")).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict { .. })),
        "{refused:?}"
    );
    assert_eq!(access(&here.load().await.unwrap().unwrap()), "a2");

    // Saving the token already stored is no conflict; a login (no previous) replaces it.
    here.save(Some(&first), &token("a2", "r2")).await.unwrap();
    here.save(None, &token("login", "r-login")).await.unwrap();
    assert_eq!(access(&there.load().await.unwrap().unwrap()), "login");
}

#[tokio::test]
async fn a_rejected_refresh_token_is_forgotten_unless_a_newer_token_was_saved() {
    let redis = RedisServer::start();
    let store = store(&redis, "api");
    let first = token("a1", "r1");
    store.save(None, &first).await.unwrap();
    store.refresh_token_rejected(&first).await.unwrap();
    let kept = store.load().await.unwrap().unwrap();
    assert_eq!(
        access(&kept),
        "a1",
        "the access token is kept while it lasts"
    );
    assert!(kept.refresh_token().is_none());

    let newer = token("a2", "r2");
    store.save(None, &newer).await.unwrap();
    store.refresh_token_rejected(&first).await.unwrap();
    let kept = store.load().await.unwrap().unwrap();
    assert_eq!(kept.refresh_token().unwrap().expose_secret(), "r2");
}

#[tokio::test]
async fn a_lease_keeps_a_second_host_out_until_dropped() {
    let redis = RedisServer::start();
    let (here, there) = (store(&redis, "api"), store(&redis, "api"));
    let lease = here.lock().await.unwrap();

    let mut waiting = Box::pin(there.lock());
    let blocked = tokio::time::timeout(Duration::from_millis(300), &mut waiting).await;
    assert!(
        blocked.is_err(),
        "the second host got a lease the first holds"
    );

    drop(lease);
    let second = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the lease was not released")
        .unwrap();
    assert!(second.still_held().await);
}

#[tokio::test]
async fn a_host_whose_lease_expired_does_not_release_the_next_holders_lease() {
    let redis = RedisServer::start();
    let (here, there) = (store(&redis, "api"), store(&redis, "api"));
    let mut server = connection(&redis).await;
    let lease_key = "freshtoken:{api}:lease";

    let expired = here.lock().await.unwrap();
    // As if this host had been stopped past its lease: the key expires in Redis.
    let () = redis::cmd("DEL")
        .arg(lease_key)
        .query_async(&mut server)
        .await
        .unwrap();
    assert!(!expired.still_held().await);
    let current = there.lock().await.unwrap();

    drop(expired);
    // The release runs in the background; the next holder's lease must survive it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(current.still_held().await);
    let holder: Option<String> = redis::cmd("GET")
        .arg(lease_key)
        .query_async(&mut server)
        .await
        .unwrap();
    assert!(holder.is_some());
}

#[tokio::test]
async fn bad_urls_and_prefixes_are_refused_naming_the_fix_and_never_the_password() {
    for (url, prefix, expected) in [
        (
            "http://:hunter2@127.0.0.1/",
            "api",
            "not a usable Redis URL",
        ),
        (
            "redis://:hunter2@127.0.0.1/?protocol=9",
            "api",
            "not a usable Redis URL",
        ),
        ("redis://:hunter2@127.0.0.1/", "", "prefix is empty"),
        ("redis://:hunter2@127.0.0.1/", "a{b}", "hash tag"),
    ] {
        let error = RedisStore::open(url, prefix).unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, StoreError::InvalidConfig { .. }), "{text}");
        assert!(text.contains(expected), "{url} {prefix:?}: {text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
    let store = RedisStore::open("redis://:hunter2@127.0.0.1:6390/", "api").unwrap();
    assert!(!store.name().contains("hunter2"), "{}", store.name());
    assert!(!format!("{store:?}").contains("hunter2"));
}

#[tokio::test]
async fn a_redis_that_is_down_is_reported_unreachable_within_the_command_timeout() {
    let mut redis = RedisServer::start();
    let store = store(&redis, "api");
    store.save(None, &token("a1", "r1")).await.unwrap();
    redis.kill();
    for error in [
        store.load().await.map(|_| ()).unwrap_err(),
        store.lock().await.map(|_| ()).unwrap_err(),
    ] {
        assert!(matches!(error, StoreError::Unreachable { .. }), "{error:?}");
    }
}

#[tokio::test]
async fn a_redis_stuck_in_debug_sleep_is_cut_off_at_the_command_timeout() {
    let redis = RedisServer::start();
    let store = store(&redis, "api");
    store.save(None, &token("a1", "r1")).await.unwrap();
    put_to_sleep(&redis).await;

    // Far sooner than the 30 s the server sleeps: the store gives up at its timeout.
    let load = tokio::time::timeout(Duration::from_secs(10), store.load())
        .await
        .expect("the load waited for the sleeping server");
    let error = load.map(|_| ()).unwrap_err();
    assert!(matches!(error, StoreError::Unreachable { .. }), "{error:?}");
}

#[tokio::test]
async fn a_logout_wins_over_a_stale_writer_and_new_hosts_load_nothing() {
    let redis = RedisServer::start();
    let (stalled, other) = (store(&redis, "api"), store(&redis, "api"));
    let old = token("a1", "r1");
    stalled.save(None, &old).await.unwrap();

    // Another host logs out while this one, stopped mid-refresh, still holds `old`.
    other.clear().await.unwrap();
    let renewed = token("a2", "r2");
    let stale = stalled.save(Some(&old), &renewed).await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "a stale writer undid the logout: {stale:?}"
    );
    // Nor can it force that token in as if it were a login.
    let forced = stalled.save(None, &renewed).await;
    assert!(
        matches!(forced, Err(StoreError::Conflict { .. })),
        "a refused token was forced in: {forced:?}"
    );
    stalled.refresh_token_rejected(&old).await.unwrap();
    assert!(
        store(&redis, "api").load().await.unwrap().is_none(),
        "a new host found a token after the logout"
    );

    // A login replaces the logout.
    other.save(None, &token("login", "r-login")).await.unwrap();
    assert_eq!(access(&stalled.load().await.unwrap().unwrap()), "login");
}

#[tokio::test]
async fn a_rejected_refresh_token_writes_nothing_where_nothing_is_stored() {
    let redis = RedisServer::start();
    let store = store(&redis, "api");
    store
        .refresh_token_rejected(&token("a1", "r1"))
        .await
        .unwrap();
    assert!(store.load().await.unwrap().is_none());
}

/// On the paused clock, only the store's own pauses (backoff, retries, timeouts) move time:
/// the refused connection itself answers at once on the loopback interface.
#[tokio::test(start_paused = true)]
async fn a_closed_port_is_reported_unreachable_at_once_not_at_the_command_timeout() {
    let store = RedisStore::open(&RedisServer::closed_port_url(), "api")
        .unwrap()
        .command_timeout(Duration::from_secs(60));
    let started = tokio::time::Instant::now();
    let load = store.load().await.map(|_| ());
    let lock = store.lock().await.map(|_| ());
    let save = store.save(None, &token("a1", "r1")).await;
    let waited = started.elapsed();
    for answer in [load, lock, save] {
        let error = answer.unwrap_err();
        assert!(matches!(error, StoreError::Unreachable { .. }), "{error:?}");
        assert!(error.to_string().contains("refused"), "{error}");
    }
    assert!(
        waited < Duration::from_millis(50),
        "the store paused {waited:?} on a refused connection"
    );
}

#[tokio::test]
async fn a_wrong_or_missing_password_is_a_configuration_error_naming_the_fix_not_the_password() {
    let redis = RedisServer::start_with_password("right-horse-battery");
    for url in [redis.url_with_password("hunter2-wrong"), redis.url()] {
        let store = RedisStore::open(&url, "api")
            .unwrap()
            .command_timeout(Duration::from_secs(60));
        let bound = Duration::from_secs(30);
        for error in [
            tokio::time::timeout(bound, store.load())
                .await
                .unwrap()
                .map(|_| ())
                .unwrap_err(),
            tokio::time::timeout(bound, store.lock())
                .await
                .unwrap()
                .map(|_| ())
                .unwrap_err(),
            tokio::time::timeout(bound, store.save(None, &token("a1", "r1")))
                .await
                .unwrap()
                .unwrap_err(),
        ] {
            let text = error.to_string();
            assert!(
                matches!(error, StoreError::InvalidConfig { .. }),
                "{url}: {error:?}"
            );
            assert!(text.contains("password"), "{text}");
            assert!(text.contains("127.0.0.1"), "the store is not named: {text}");
            assert!(
                !text.contains("hunter2") && !text.contains("right-horse"),
                "{text}"
            );
        }
    }
    let right = RedisStore::open(&redis.url_with_password("right-horse-battery"), "api").unwrap();
    right.save(None, &token("a1", "r1")).await.unwrap();
    assert_eq!(access(&right.load().await.unwrap().unwrap()), "a1");
}

#[tokio::test]
async fn a_lease_lasts_two_seconds_by_default_so_a_dead_holder_stalls_the_others_no_longer() {
    let redis = RedisServer::start();
    let lease = store(&redis, "api").lock().await.unwrap();
    let left: i64 = redis::cmd("PTTL")
        .arg("freshtoken:{api}:lease")
        .query_async(&mut connection(&redis).await)
        .await
        .unwrap();
    assert!((1..=2_000).contains(&left), "the lease lasts {left} ms");
    drop(lease);
}

#[tokio::test]
async fn a_waiting_host_wakes_when_the_holder_saves_and_does_not_poll_meanwhile() {
    let redis = RedisServer::start();
    // A lease far longer than the test: only the holder's save can end the wait.
    let (holder, waiter) = (
        store(&redis, "api").lease(Duration::from_secs(60)),
        store(&redis, "api").lease(Duration::from_secs(60)),
    );
    let first = token("a1", "r1");
    holder.save(None, &first).await.unwrap();
    let held = holder.lock().await.unwrap();
    let mut log = CommandLog::start(&redis).await;

    let mut waiting = Box::pin(waiter.lock());
    let blocked = tokio::time::timeout(Duration::from_millis(300), &mut waiting).await;
    assert!(blocked.is_err(), "the waiter got a lease the holder holds");
    let tries = log.client_commands().await;
    assert!(tries.len() <= 3, "the waiter polled: {tries:#?}");

    holder.save(Some(&first), &token("a2", "r2")).await.unwrap();
    let woken = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the waiter slept through the holder's save")
        .unwrap();
    assert_eq!(access(&waiter.load().await.unwrap().unwrap()), "a2");
    drop((woken, held));
}

#[tokio::test]
async fn a_lease_try_cut_off_by_the_command_timeout_leaves_no_lease_behind() {
    let redis = RedisServer::start();
    let store = store(&redis, "api");
    store.save(None, &token("a1", "r1")).await.unwrap();
    let (mut sleeper, mut probe) = (connection(&redis).await, connection(&redis).await);
    // Connected, and the lease scripts loaded on the server, as on any host after its first
    // refresh.
    drop(store.lock().await.unwrap());
    while redis::cmd("EXISTS")
        .arg("freshtoken:{api}:lease")
        .query_async::<bool>(&mut probe)
        .await
        .unwrap()
    {
        tokio::task::yield_now().await;
    }
    // The server answers nothing for longer than the store's command timeout (300 ms), then
    // runs what was sent meanwhile: the lease try, which takes the lease, among it.
    drop(tokio::spawn(async move {
        let _: Result<(), _> = redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg(0.6)
            .query_async(&mut sleeper)
            .await;
    }));
    while tokio::time::timeout(
        Duration::from_millis(100),
        redis::cmd("PING").query_async::<String>(&mut probe),
    )
    .await
    .is_ok()
    {}
    let error = store.lock().await.map(|_| ()).unwrap_err();
    assert!(matches!(error, StoreError::Unreachable { .. }), "{error:?}");
    // Awake again once it answers.
    while redis::cmd("PING")
        .query_async::<String>(&mut probe)
        .await
        .is_err()
    {}

    // The release the store sent after the cut-off runs right after the try.
    let holder: Option<String> = redis::cmd("GET")
        .arg("freshtoken:{api}:lease")
        .query_async(&mut probe)
        .await
        .unwrap();
    assert_eq!(holder, None, "a lease nobody holds blocks the fleet");
}

#[tokio::test]
async fn the_events_channel_tells_saves_releases_and_logouts_without_token_bytes() {
    let redis = RedisServer::start();
    let store = store(&redis, "api");
    let mut events = redis::Client::open(redis.url())
        .unwrap()
        .get_async_pubsub()
        .await
        .unwrap();
    events.subscribe("freshtoken:{api}:events").await.unwrap();

    store
        .save(None, &token("access-SECRET", "refresh-SECRET"))
        .await
        .unwrap();
    drop(store.lock().await.unwrap());
    store.clear().await.unwrap();

    let mut messages = Box::pin(events.into_on_message());
    let mut told = Vec::new();
    while told.len() < 3 {
        let message = tokio::time::timeout(
            Duration::from_secs(10),
            std::future::poll_fn(|cx| futures_util::Stream::poll_next(messages.as_mut(), cx)),
        )
        .await
        .expect("the store told the channel nothing")
        .unwrap();
        assert_eq!(message.get_channel_name(), "freshtoken:{api}:events");
        told.push(message.get_payload::<String>().unwrap());
    }
    assert_eq!(told, ["saved", "released", "cleared"]);
}

#[tokio::test]
async fn registrations_are_kept_per_server_beside_the_token_and_survive_a_logout() {
    use freshtoken::oauth::resource::{RegisteredClient, RegistrationStore};

    let redis = RedisServer::start();
    let store = store(&redis, "tasks-cli");
    let server = "https://auth.example";
    assert!(store.load_registration(server).await.unwrap().is_none());
    let client = RegisteredClient::from_json(
        br#"{"client_id": "c-7", "client_secret": "client-SECRET", "client_name": "Tasks CLI"}"#,
    )
    .unwrap();
    store.save_registration(server, &client).await.unwrap();

    // Another host of the fleet, with its own connection, finds it; another server does not.
    let other_host = super::store(&redis, "tasks-cli");
    let kept = other_host.load_registration(server).await.unwrap().unwrap();
    assert_eq!(kept.client_id(), "c-7");
    assert_eq!(
        kept.client_secret().unwrap().expose_secret(),
        "client-SECRET"
    );
    assert_eq!(kept.metadata()["client_name"], "Tasks CLI");
    assert!(
        other_host
            .load_registration("https://elsewhere.example")
            .await
            .unwrap()
            .is_none()
    );
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut connection(&redis).await)
        .await
        .unwrap();
    assert_eq!(keys, ["freshtoken:{tasks-cli}:registrations"]);

    // A logout forgets the token, not the client; forgetting the client is its own call.
    store.clear().await.unwrap();
    assert!(store.load_registration(server).await.unwrap().is_some());
    store.forget_registration(server).await.unwrap();
    assert!(
        other_host
            .load_registration(server)
            .await
            .unwrap()
            .is_none()
    );
}

/// A refresh token bound to a DPoP key is useless without it: the key goes into the same
/// entry, and a host that loads the token can prove possession with it.
#[tokio::test]
async fn a_bound_tokens_dpop_key_is_kept_with_it() {
    let redis = RedisServer::start();
    let store = store(&redis, "bound-api");
    let key = freshtoken::dpop::DpopKey::generate().unwrap();
    let bound = Token::builder("access-SECRET")
        .token_type("DPoP")
        .refresh_token("refresh-SECRET")
        .dpop_key(key.clone())
        .build()
        .unwrap();
    store.save(None, &bound).await.unwrap();

    let loaded = store.load().await.unwrap().unwrap();
    assert_eq!(loaded.authorization(), "DPoP access-SECRET");
    let loaded_key = loaded.dpop_key().expect("the key came back with the token");
    assert_eq!(loaded_key.thumbprint(), key.thumbprint());
    let url = "https://api.example/tasks".parse().unwrap();
    assert!(
        loaded
            .dpop_proof(&http::Method::GET, &url)
            .unwrap()
            .is_some()
    );
}
