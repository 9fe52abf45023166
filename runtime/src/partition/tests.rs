// Input: a token issuer that rotates each user's refresh token and refuses a spent one, and
// tokio's paused clock.
// Output: evidence for each promise `TokenCaches` makes: a single flight per key, LRU
// eviction that never takes a partition in use, partitions back from their stores, scope
// supersets, a clear error for a key with no name; and a property test of eviction under load.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use tokio::time::{advance, sleep};

use super::{ScopeSet, TokenCaches};
use crate::store::{MemoryStores, PartitionStores};
use crate::{AuthError, MemoryStore, Token, TokenSource};

const LIFETIME: Duration = Duration::from_secs(600);

/// Issues tokens per user: `at-<user>-<n>` and `rt-<user>-<n>`, the refresh token single-use.
/// Counts what a lost token would show: a refresh with a spent refresh token, or a second
/// login (no previous token) for a user who already has one.
#[derive(Clone, Default)]
struct Issuer(Arc<IssuerInner>);

#[derive(Default)]
struct IssuerInner {
    /// Per user: tokens issued so far.
    issued: Mutex<HashMap<u32, u32>>,
    /// Per user: scopes asked for at each fetch.
    scopes: Mutex<Vec<(u32, Vec<String>)>>,
    fetches: AtomicUsize,
    spent: AtomicUsize,
    logins_again: AtomicUsize,
    delay: Mutex<Duration>,
}

impl Issuer {
    fn slow(self, delay: Duration) -> Self {
        *self.0.delay.lock().unwrap() = delay;
        self
    }

    fn source(&self, user: u32) -> UserSource {
        UserSource {
            user,
            issuer: self.clone(),
        }
    }

    fn fetches(&self) -> usize {
        self.0.fetches.load(Ordering::SeqCst)
    }

    fn issued(&self, user: u32) -> u32 {
        self.0
            .issued
            .lock()
            .unwrap()
            .get(&user)
            .copied()
            .unwrap_or(0)
    }

    fn lost(&self) -> (usize, usize) {
        (
            self.0.spent.load(Ordering::SeqCst),
            self.0.logins_again.load(Ordering::SeqCst),
        )
    }

    async fn issue(
        &self,
        user: u32,
        previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        self.0.fetches.fetch_add(1, Ordering::SeqCst);
        self.0.scopes.lock().unwrap().push((user, scopes.to_vec()));
        let presented = previous
            .and_then(Token::refresh_token)
            .map(|rt| rt.expose_secret().to_owned());
        let delay = *self.0.delay.lock().unwrap();
        sleep(delay).await;
        let mut issued = self.0.issued.lock().unwrap();
        let n = issued.entry(user).or_insert(0);
        match presented {
            Some(rt) if rt != format!("rt-{user}-{n}") => {
                self.0.spent.fetch_add(1, Ordering::SeqCst);
                return Err(AuthError::reauthenticate(
                    "invalid_grant: spent refresh token",
                ));
            }
            None if *n > 0 && scopes.is_empty() => {
                self.0.logins_again.fetch_add(1, Ordering::SeqCst);
            }
            _ => {}
        }
        *n += 1;
        let mut token = Token::builder(format!("at-{user}-{n}"))
            .expires_in(LIFETIME)
            .refresh_token(format!("rt-{user}-{n}"));
        if !scopes.is_empty() {
            token = token.scope(scopes.join(" "));
        }
        token.build()
    }
}

struct UserSource {
    user: u32,
    issuer: Issuer,
}

impl TokenSource for UserSource {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        self.issuer.issue(self.user, previous, &[]).await
    }

    async fn fetch_with_scopes(
        &self,
        previous: Option<&Token>,
        scopes: &[String],
    ) -> Result<Token, AuthError> {
        self.issuer.issue(self.user, previous, scopes).await
    }
}

fn caches(issuer: &Issuer, max: usize) -> TokenCaches<u32, UserSource> {
    let issuer = issuer.clone();
    TokenCaches::builder(move |user: &u32| issuer.source(*user))
        .max_partitions(max)
        .build()
}

/// Stores that keep nothing once a partition is gone: an evicted partition logs in again,
/// which shows which partitions were evicted.
struct Forgetful;

impl PartitionStores for Forgetful {
    type Store = MemoryStore;
    fn store_for(&self, _: &super::PartitionId) -> MemoryStore {
        MemoryStore::default()
    }
}

fn forgetful_caches(issuer: &Issuer, max: usize) -> TokenCaches<u32, UserSource> {
    let issuer = issuer.clone();
    TokenCaches::builder(move |user: &u32| issuer.source(*user))
        .max_partitions(max)
        .stores(Forgetful)
        .build()
}

fn access(token: &Token) -> &str {
    token.access_token().expose_secret()
}

#[tokio::test(start_paused = true)]
async fn each_key_has_its_own_single_flight() {
    let issuer = Issuer::default().slow(Duration::from_secs(1));
    let caches = caches(&issuer, 100);
    let mut calls = Vec::new();
    for user in 0..20 {
        for _ in 0..10 {
            let caches = caches.clone();
            calls.push(tokio::spawn(async move {
                (
                    user,
                    caches.token(&user).await.map(|t| access(&t).to_owned()),
                )
            }));
        }
    }
    for call in calls {
        let (user, token) = call.await.unwrap();
        assert_eq!(token.unwrap(), format!("at-{user}-1"));
    }
    assert_eq!(issuer.fetches(), 20);
    assert_eq!(caches.len(), 20);
}

#[tokio::test(start_paused = true)]
async fn the_least_recently_used_idle_partition_is_evicted() {
    let issuer = Issuer::default();
    let caches = forgetful_caches(&issuer, 3);
    for user in [1, 2, 3, 1, 4] {
        caches.token(&user).await.unwrap();
    }
    assert_eq!(caches.len(), 3);
    // 2 was used least recently: it alone logs in again; 1, 3 and 4 are still in memory.
    for user in [1, 3, 4] {
        caches.token(&user).await.unwrap();
        assert_eq!(issuer.issued(user), 1, "user {user}");
    }
    caches.token(&2).await.unwrap();
    assert_eq!(issuer.issued(2), 2);
    assert_eq!(caches.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_partition_whose_cache_is_held_is_not_evicted() {
    let issuer = Issuer::default();
    let caches = forgetful_caches(&issuer, 2);
    let held = caches.cache(&1);
    held.token().await.unwrap();
    for user in 2..10 {
        caches.token(&user).await.unwrap();
    }
    assert_eq!(caches.len(), 2);
    assert_eq!(access(&caches.token(&1).await.unwrap()), "at-1-1");
    assert_eq!(issuer.issued(1), 1);
    drop(held);
    // Idle now: the next newcomers push it out.
    for user in 10..12 {
        caches.token(&user).await.unwrap();
    }
    caches.token(&1).await.unwrap();
    assert_eq!(issuer.issued(1), 2);
}

#[tokio::test(start_paused = true)]
async fn a_partition_refreshing_in_the_background_is_not_evicted_and_keeps_its_new_token() {
    let issuer = Issuer::default().slow(Duration::from_secs(5));
    let caches = forgetful_caches(&issuer, 1);
    caches.token(&1).await.unwrap();
    // Ageing: the read serves the old token and starts a refresh-ahead that takes 5 s.
    advance(Duration::from_secs(510)).await; // 90 s before expiry
    assert_eq!(access(&caches.token(&1).await.unwrap()), "at-1-1");
    // Newcomers while the refresh runs: 1 must stay (the cap is exceeded meanwhile).
    let newcomer = {
        let caches = caches.clone();
        tokio::spawn(async move { caches.token(&2).await })
    };
    sleep(Duration::from_secs(1)).await;
    assert_eq!(caches.len(), 2);
    newcomer.await.unwrap().unwrap();
    sleep(Duration::from_secs(10)).await;
    assert_eq!(access(&caches.token(&1).await.unwrap()), "at-1-2");
    assert_eq!(issuer.issued(1), 2);
    assert_eq!(issuer.lost(), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn an_evicted_partition_comes_back_from_its_store_without_a_login() {
    let issuer = Issuer::default();
    let stores = MemoryStores::default();
    let caches = {
        let issuer = issuer.clone();
        TokenCaches::builder(move |user: &u32| issuer.source(*user))
            .max_partitions(1)
            .stores(stores.clone())
            .build()
    };
    caches.token(&1).await.unwrap();
    caches.token(&2).await.unwrap();
    assert_eq!(caches.len(), 1);
    assert_eq!(access(&caches.token(&1).await.unwrap()), "at-1-1");
    // Back after expiry: refreshed with the stored refresh token, not a new login.
    caches.token(&2).await.unwrap();
    advance(LIFETIME).await;
    assert_eq!(access(&caches.token(&1).await.unwrap()), "at-1-2");
    assert_eq!(issuer.lost(), (0, 0));
    assert_eq!(stores.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_token_for_more_scopes_serves_fewer_and_other_scopes_get_their_own() {
    let issuer = Issuer::default();
    let caches = caches(&issuer, 100);
    let wide = ScopeSet::new(["read", "write"]);
    let read = ScopeSet::new(["read"]);
    let admin = ScopeSet::new(["admin"]);
    assert_eq!(
        access(&caches.token_for(&1, &wide).await.unwrap()),
        "at-1-1"
    );
    assert_eq!(
        access(&caches.token_for(&1, &read).await.unwrap()),
        "at-1-1"
    );
    assert_eq!(
        access(&caches.cache_for(&1, &read).token().await.unwrap()),
        "at-1-1"
    );
    assert_eq!(issuer.fetches(), 1);
    // Scopes the held token lacks: a partition and a token of their own, asked for them.
    assert_eq!(
        access(&caches.token_for(&1, &admin).await.unwrap()),
        "at-1-2"
    );
    // Another user's wide token never serves this one.
    assert_eq!(
        access(&caches.token_for(&2, &read).await.unwrap()),
        "at-2-1"
    );
    let asked = issuer.0.scopes.lock().unwrap().clone();
    assert_eq!(
        asked,
        [
            (1, vec!["read".to_owned(), "write".to_owned()]),
            (1, vec!["admin".to_owned()]),
            (2, vec!["read".to_owned()]),
        ]
    );
    assert_eq!(caches.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_wider_partition_with_an_expired_token_does_not_serve_and_the_exact_one_is_made() {
    let issuer = Issuer::default();
    let caches = caches(&issuer, 100);
    caches
        .token_for(&1, &ScopeSet::new(["read", "write"]))
        .await
        .unwrap();
    advance(LIFETIME).await;
    let read = caches
        .token_for(&1, &ScopeSet::new(["read"]))
        .await
        .unwrap();
    assert_eq!(read.scope(), Some("read"));
    assert_eq!(caches.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_key_that_does_not_serialize_is_a_clear_error_not_a_panic() {
    #[derive(Clone, PartialEq, Eq, Hash)]
    struct Odd;
    impl serde::Serialize for Odd {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("this key has no JSON"))
        }
    }
    let issuer = Issuer::default();
    let caches = {
        let issuer = issuer.clone();
        TokenCaches::builder(move |_: &Odd| issuer.source(0))
            .configure(|cache| cache.store_timeout(Duration::from_millis(10)))
            .build()
    };
    let error = caches.token(&Odd).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("does not serialize"), "{message}");
    assert!(message.contains("`Serialize` cannot fail"), "{message}");
    assert_eq!(issuer.fetches(), 0);
    assert!(caches.partition_id(&Odd, &ScopeSet::default()).is_err());
}

/// One step of the property test.
#[derive(Debug, Clone)]
enum Step {
    /// Callers on these users, all at once; `true`: through a handle the caller takes first
    /// and uses a moment later, as a request handler would.
    Calls(Vec<(u32, bool)>),
    /// Time passes.
    Wait(u64),
    /// Everything idle leaves memory.
    EvictIdle,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => proptest::collection::vec((0..12u32, any::<bool>()), 1..20).prop_map(Step::Calls),
        2 => (0..700u64).prop_map(Step::Wait),
        1 => Just(Step::EvictIdle),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever callers, waits and evictions come, with a cap far below the number of users
    /// and refreshes that take a while: every call gets its user's token, no refresh token is
    /// spent twice and no user has to log in again (no token in flight or unsaved was lost).
    #[test]
    fn eviction_under_load_never_loses_a_token(
        cap in 1..4usize,
        steps in proptest::collection::vec(step(), 1..25),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let issuer = Issuer::default().slow(Duration::from_millis(300));
            let caches = caches(&issuer, cap);
            for step in steps {
                match step {
                    Step::Calls(users) => {
                        let calls: Vec<_> = users
                            .into_iter()
                            .map(|(user, through_handle)| {
                                let caches = caches.clone();
                                tokio::spawn(async move {
                                    if through_handle {
                                        let cache = caches.cache(&user);
                                        sleep(Duration::from_millis(50)).await;
                                        (user, cache.token().await)
                                    } else {
                                        (user, caches.token(&user).await)
                                    }
                                })
                            })
                            .collect();
                        // Let some finish while others are still refreshing.
                        sleep(Duration::from_millis(100)).await;
                        for call in calls {
                            let (user, token) = call.await.unwrap();
                            prop_assert!(token.is_ok(), "user {}: {:?}", user, token.err());
                            let prefix = format!("at-{user}-");
                            prop_assert!(token.is_ok_and(|t| access(&t).starts_with(&prefix)));
                        }
                    }
                    Step::Wait(secs) => advance(Duration::from_secs(secs)).await,
                    Step::EvictIdle => {
                        caches.evict_idle();
                    }
                }
                prop_assert_eq!(issuer.lost(), (0, 0));
            }
            // Every partition idle again once the refreshes (some in the background, ahead of
            // expiry) have ended: the next newcomer brings the count back to the cap.
            sleep(Duration::from_secs(1)).await;
            caches.token(&99).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(caches.len() <= cap, "{} partitions for a cap of {}", caches.len(), cap);
            Ok(())
        })?;
    }
}
