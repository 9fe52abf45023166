//! Caches on several hosts (each cache with its own connection, as on its own host) sharing a
//! token through Redis, against the scripted token endpoint, which rotates refresh tokens with
//! no grace and refuses a spent one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use freshtoken::oauth::{ClientAuth, RefreshTokenGrant, Url};
use freshtoken::store::RedisStore;
use freshtoken::{
    AuthError, AuthErrorKind, OutagePolicy, StoreError, StoreLock, Token, TokenCache, TokenSource,
    TokenStore,
};
use freshtoken_tests::GatedSource;
use freshtoken_tests::faults::SecretWatch;
use freshtoken_tests::redis_server::RedisServer;
use freshtoken_tests::scripted::{Reply, ScriptedServer};

use super::commands::CommandLog;
use super::{access, put_to_sleep, seed_expired, store};

/// The lease of the hosts that get stopped in these tests; they stop for four times as long.
const LEASE: Duration = Duration::from_millis(200);

fn grant(server: &ScriptedServer) -> RefreshTokenGrant {
    let url: Url = server.token_url().parse().unwrap();
    RefreshTokenGrant::new(url, ClientAuth::public("fleet"))
}

fn host<S: TokenSource>(source: S, store: impl TokenStore) -> TokenCache<S> {
    TokenCache::builder(source).store(store).build()
}

/// Runs `work` on a runtime of its own thread, which the test can stop as a whole (a blocked
/// thread stops the lease renewal too, as a stopped process would).
fn on_own_thread<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(work)
    })
}

async fn join<T: Send + 'static>(thread: std::thread::JoinHandle<T>) -> T {
    tokio::task::spawn_blocking(move || thread.join().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_at_expiry_make_one_token_request_and_share_its_token() {
    let redis = RedisServer::start();
    let server = ScriptedServer::start(Reply::issue()).await;
    seed_expired(&store(&redis, "api")).await;
    let (a, b) = (
        host(grant(&server), store(&redis, "api")),
        host(grant(&server), store(&redis, "api")),
    );

    let (ta, tb) = tokio::join!(a.token(), b.token());
    assert_eq!(access(&ta.unwrap()), access(&tb.unwrap()));
    assert_eq!(server.issued_and_refused(), (1, 0));

    // Told by the API that the token is dead, the first host rotates; the other adopts.
    let token = a.cached().unwrap();
    a.invalidate(&token);
    let rotated = a.token().await.unwrap();
    b.invalidate(&b.cached().unwrap());
    assert_eq!(access(&b.token().await.unwrap()), access(&rotated));
    assert_eq!(server.issued_and_refused(), (2, 0));
}

/// A source that, after its token request, stops its whole thread past the lease: a host
/// stopped (SIGSTOP, a VM pause) between the token endpoint's answer and the save.
struct StopsAfterFetching {
    grant: RefreshTokenGrant,
    fetched: mpsc::Sender<()>,
}

impl TokenSource for StopsAfterFetching {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        let token = self.grant.fetch(previous).await?;
        let _ = self.fetched.send(());
        std::thread::sleep(LEASE * 4);
        Ok(token)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_stopped_past_its_lease_cannot_overwrite_a_newer_login_and_adopts_it() {
    let redis = RedisServer::start();
    let server = ScriptedServer::start(Reply::issue()).await;
    seed_expired(&store(&redis, "api")).await;
    let (fetched, fetched_rx) = mpsc::channel();
    let stopped = host(
        StopsAfterFetching {
            grant: grant(&server),
            fetched,
        },
        store(&redis, "api").lease(LEASE),
    );
    let stopped =
        on_own_thread(async move { stopped.token().await.map(|t| access(&t).to_owned()) });
    tokio::task::spawn_blocking(move || fetched_rx.recv().unwrap())
        .await
        .unwrap();

    // Meanwhile someone logs in again on another host; the stopped host's lease expires.
    let other = host(grant(&server), store(&redis, "api"));
    let login = Token::builder("login-access")
        .expires_in(Duration::from_secs(600))
        .refresh_token("login-refresh")
        .build()
        .unwrap();
    other.save_token(login).await.unwrap();

    assert_eq!(join(stopped).await.unwrap(), "login-access");
    let stored = store(&redis, "api").load().await.unwrap().unwrap();
    assert_eq!(access(&stored), "login-access", "the login was overwritten");
    assert_eq!(server.issued_and_refused(), (1, 0));
}

/// A store that stops its host's thread past the lease right after its first load: a host
/// stopped between taking the lease and sending its refresh token.
struct StopsAfterLoading {
    store: RedisStore,
    stopped_once: AtomicBool,
    loaded: mpsc::Sender<()>,
}

impl TokenStore for StopsAfterLoading {
    async fn load(&self) -> Result<Option<Token>, StoreError> {
        let loaded = self.store.load().await;
        if !self.stopped_once.swap(true, Ordering::SeqCst) {
            let _ = self.loaded.send(());
            std::thread::sleep(LEASE * 4);
        }
        loaded
    }
    async fn save(&self, previous: Option<&Token>, new: &Token) -> Result<(), StoreError> {
        self.store.save(previous, new).await
    }
    async fn clear(&self) -> Result<(), StoreError> {
        self.store.clear().await
    }
    async fn lock(&self) -> Result<StoreLock, StoreError> {
        self.store.lock().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_stopped_past_its_lease_before_its_request_adopts_instead_of_spending_a_spent_refresh_token()
 {
    let redis = RedisServer::start();
    let server = ScriptedServer::start(Reply::issue()).await;
    seed_expired(&store(&redis, "api")).await;
    let (loaded, loaded_rx) = mpsc::channel();
    let stopped = host(
        grant(&server),
        StopsAfterLoading {
            store: store(&redis, "api").lease(LEASE),
            stopped_once: AtomicBool::new(false),
            loaded,
        },
    );
    let stopped =
        on_own_thread(async move { stopped.token().await.map(|t| access(&t).to_owned()) });
    tokio::task::spawn_blocking(move || loaded_rx.recv().unwrap())
        .await
        .unwrap();

    // Another host takes the expired lease and spends the refresh token.
    let other = host(grant(&server), store(&redis, "api"));
    let rotated = other.token().await.unwrap();

    assert_eq!(join(stopped).await.unwrap(), access(&rotated));
    assert_eq!(
        server.issued_and_refused(),
        (1, 0),
        "a spent refresh token was sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshing_alone_with_redis_killed_hosts_refresh_on_their_own_and_share_again_once_it_is_back()
 {
    let mut redis = RedisServer::start();
    // A source that does not rotate: with Redis down each host refreshes on its own.
    let source = GatedSource::open(Duration::from_secs(600));
    let alone = |redis: &RedisServer| store(redis, "api").on_outage(OutagePolicy::RefreshAlone);
    // Each host saves the token it refreshed alone again once Redis answers, after the cache's
    // backoff. Pushed past the test's end here, so that what the hosts find in the restarted
    // Redis is only what the last step saves, whatever the timing of the restart.
    let host = |store| {
        TokenCache::builder(source.clone())
            .store(store)
            .backoff(Duration::from_secs(60), Duration::from_secs(60))
            .build()
    };
    let (a, b) = (host(alone(&redis)), host(alone(&redis)));
    let (ta, tb) = tokio::join!(a.token(), b.token());
    assert_eq!(access(&ta.unwrap()), access(&tb.unwrap()));
    assert_eq!(source.calls(), 1);

    // Mid-run: the API rejects the token of both hosts, whose 50 callers each need a new
    // one while Redis is dead. Every call is answered within the store's command timeout
    // (300 ms) many times over, and each host makes one refresh for its callers.
    redis.kill();
    let mut callers = tokio::task::JoinSet::new();
    for host in [&a, &b] {
        host.invalidate(&host.cached().unwrap());
        for _ in 0..50 {
            let host = host.clone();
            callers.spawn(async move {
                tokio::time::timeout(Duration::from_secs(3), host.token()).await
            });
        }
    }
    while let Some(answer) = callers.join_next().await {
        let token = answer.unwrap().expect("a caller waited on the dead Redis");
        token.unwrap();
    }
    assert_eq!(source.calls(), 3, "one refresh per host, on its own");

    redis.restart();
    // The API rejects both hosts' tokens: one refreshes, the other adopts its token.
    for host in [&a, &b] {
        host.invalidate(&host.cached().unwrap());
    }
    let (ra, rb) = tokio::join!(a.token(), b.token());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(source.calls(), 4, "one refresh for both once Redis is back");
    assert_eq!(access(&ra), access(&rb));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_stuck_in_debug_sleep_a_refresh_fails_at_the_command_timeout_and_spends_nothing()
{
    let redis = RedisServer::start();
    let server = ScriptedServer::start(Reply::issue()).await;
    seed_expired(&store(&redis, "api")).await;
    let host = host(grant(&server), store(&redis, "api"));
    let token = host.token().await.unwrap();

    put_to_sleep(&redis).await;

    // The lock gives up at the 300 ms command timeout, far sooner than the 30 s the server
    // sleeps; without the store no refresh token is spent, and the valid token stays.
    let refreshed = tokio::time::timeout(Duration::from_secs(10), host.refresh())
        .await
        .expect("the caller waited for the sleeping server");
    let error = refreshed.unwrap_err();
    assert!(
        matches!(error.kind(), AuthErrorKind::Store { .. }),
        "{error}"
    );
    assert!(error.is_retryable(), "{error}");
    assert_eq!(server.issued_and_refused(), (1, 0));
    assert_eq!(access(&host.token().await.unwrap()), access(&token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_failure_stays_with_its_host_and_a_dead_refresh_token_is_shared() {
    let redis = RedisServer::start();
    let server = ScriptedServer::start(Reply::Error {
        status: 503,
        code: "temporarily_unavailable",
        retry_after: None,
    })
    .await;
    seed_expired(&store(&redis, "api")).await;
    let (a, b) = (
        host(grant(&server), store(&redis, "api")),
        host(grant(&server), store(&redis, "api")),
    );

    // The endpoint is down for the first host: nothing is written for the other, which
    // renews with the stored refresh token once the endpoint is back.
    a.token().await.unwrap_err();
    server.set_reply(Reply::issue());
    b.token().await.unwrap();
    assert_eq!(server.issued_and_refused(), (1, 0));

    // The refresh token dies (a password change, say): the host told so strips it from the
    // stored token, and the other host needs a login too, without spending a request on it.
    let stored = store(&redis, "api");
    let dead = Token::builder("dead-access")
        .expires_in(Duration::ZERO)
        .refresh_token("RT-revoked")
        .build()
        .unwrap();
    stored.save(None, &dead).await.unwrap();
    b.invalidate(&b.cached().unwrap());
    let error = b.token().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    let requests = server.token_hits().len();
    let c = host(grant(&server), store(&redis, "api"));
    let error = c.token().await.unwrap_err();
    assert!(error.needs_reauthentication(), "{error}");
    assert_eq!(
        server.token_hits().len(),
        requests,
        "the dead refresh token was sent again"
    );
    let kept = stored.load().await.unwrap().unwrap();
    assert!(kept.refresh_token().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_costs_each_host_at_most_three_redis_round_trips() {
    let redis = RedisServer::start();
    let server = ScriptedServer::start(Reply::issue()).await;
    seed_expired(&store(&redis, "api")).await;
    // Refreshes as quick as the endpoint answers: no renewal of the lease within one.
    let host = || {
        TokenCache::builder(grant(&server))
            .store(store(&redis, "api"))
            .min_refresh_interval(Duration::from_millis(10))
            .build()
    };
    let (a, b) = (host(), host());
    // The first rotation also connects and subscribes, once per host.
    let (ta, tb) = tokio::join!(a.token(), b.token());
    assert_eq!(access(&ta.unwrap()), access(&tb.unwrap()));
    let mut log = CommandLog::start(&redis).await;

    for rotation in 2..=4 {
        // The API rejects the token on both hosts at once.
        for host in [&a, &b] {
            host.invalidate(&host.cached().unwrap());
        }
        let (ta, tb) = tokio::join!(a.token(), b.token());
        assert_eq!(access(&ta.unwrap()), access(&tb.unwrap()));
        assert_eq!(server.issued_and_refused(), (rotation, 0));
        // The lease is released in the background once a host adopted.
        tokio::task::yield_now().await;
        let sent = log.client_commands().await;
        assert!(
            sent.len() <= 6,
            "rotation {rotation}: {} round trips for 2 hosts: {sent:#?}",
            sent.len()
        );
    }
}

/// On the test's own thread, where the log capture is installed.
#[tokio::test]
async fn a_wrong_password_fails_every_refresh_loudly_spends_nothing_and_is_never_shown() {
    let redis = RedisServer::start_with_password("right-horse-battery");
    let logs = SecretWatch::start();
    let source = GatedSource::open(Duration::from_secs(600));
    let host = TokenCache::builder(source.clone())
        .store(RedisStore::open(&redis.url_with_password("hunter2-wrong"), "api").unwrap())
        .min_refresh_interval(Duration::from_millis(10))
        .build();
    for _ in 0..3 {
        let error = host.refresh().await.unwrap_err();
        assert!(error.to_string().contains("credentials"), "{error}");
    }
    assert_eq!(source.calls(), 0, "a store set up wrong is not run without");
    let text = logs.logs();
    assert!(
        text.lines()
            .any(|line| line.contains("ERROR") && line.contains("credentials")),
        "a refused password was not logged as an error:\n{text}"
    );
    logs.assert_none_of(&["hunter2".to_owned(), "right-horse".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_stopped_mid_refresh_cannot_log_the_fleet_back_in_after_a_logout() {
    let redis = RedisServer::start();
    let server = ScriptedServer::start(Reply::issue()).await;
    seed_expired(&store(&redis, "api")).await;
    let (fetched, fetched_rx) = mpsc::channel();
    let stopped = host(
        StopsAfterFetching {
            grant: grant(&server),
            fetched,
        },
        store(&redis, "api").lease(LEASE),
    );
    let stopped = on_own_thread(async move { stopped.token().await.map(|_| ()) });
    tokio::task::spawn_blocking(move || fetched_rx.recv().unwrap())
        .await
        .unwrap();

    // Meanwhile the user logs out on another host.
    host(grant(&server), store(&redis, "api"))
        .clear()
        .await
        .unwrap();

    let _ = join(stopped).await;
    assert!(
        store(&redis, "api").load().await.unwrap().is_none(),
        "the stopped host's token undid the logout"
    );
    let new_host = host(grant(&server), store(&redis, "api"));
    assert!(new_host.token().await.is_err(), "a new host found a login");
}
