// Input: the tokens of caches on many hosts that share one login, and a Redis they all reach.
// Output: one token for the fleet: a lease so one host refreshes at a time (`lease.rs`), a
// compare-and-set save so a host that lost its lease (or was logged out) cannot overwrite a
// newer token (`scripts.rs`), wake-ups for the hosts waiting for the lease (`wakeups.rs`),
// keys named after the user's prefix (`keys.rs`), a store per partition of a `TokenCaches`
// sharing the connections (`partitions.rs`), on one server or a cluster (`connection.rs`).

mod connection;
mod keys;
mod lease;
mod partitions;
#[cfg(feature = "reqwest")]
mod registrations;
mod scripts;
mod wakeups;

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{RedisResult, Script};
use tokio::sync::OnceCell;

use self::connection::{Connection, Target};
use self::keys::Keys;
use self::lease::LeaseSlot;
use self::wakeups::{Subscriber, Wakeups};
use super::{OutagePolicy, StoreError, StoreLock, TokenStore, saved};
use crate::Token;

/// Short, so a host that dies holding the lease stalls the others for at most this long; a
/// live holder renews it every third of it, however long its refresh takes.
const DEFAULT_LEASE: Duration = Duration::from_secs(2);
const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
/// Sends of one command on a broken connection, and the pause between them (the connection
/// manager reconnects meanwhile); all within the command timeout.
const CONNECTION_TRIES: u32 = 3;
const RECONNECT_PAUSE: Duration = Duration::from_millis(20);

/// Keeps one token in Redis for every host of a fleet: one token request per rotation for the
/// whole fleet, and a single-use refresh token never spent twice.
///
/// Around each refresh the cache takes a **lease** in Redis (`SET NX PX` with a random owner,
/// 2 s by default), reading the stored token with it: a host that waited for the lease finds
/// the token the holder saved and adopts it instead of refreshing again. The holder renews the
/// lease every third of its length while its refresh runs, so a host that dies holding it
/// stalls the others for at most one lease. The new token is saved by **compare-and-set**
/// against the token it replaces, which also releases the lease, so a host whose lease
/// expired mid-refresh (a stopped process) cannot overwrite a newer token; the cache then
/// adopts the stored token instead of its own.
///
/// - **Waiting without polling**: the scripts publish on the channel
///   `freshtoken:{<prefix>}:events` when a token is saved or cleared and when a lease is
///   released (the messages hold no token bytes); a waiting host subscribes and tries again
///   when told, or when the lease it waits for would expire (a holder that died, a message
///   lost). A rotation costs the host that refreshes three round trips, and each host that
///   waits two. A store made with [`with_connection`](Self::with_connection) has no client to
///   subscribe with, and a cluster store ([`open_cluster`](Self::open_cluster)) no
///   subscription: both poll.
/// - **Logout**: [`clear`](TokenStore::clear) leaves a marker that refuses every
///   compare-and-set save, so a host stopped mid-refresh cannot write its token back and log
///   the fleet in again; only a login (a save with no previous token) replaces it.
/// - **Keys**: `freshtoken:{<prefix>}:token` (a hash: the token as JSON, and a SHA-256
///   fingerprint of its secrets; or the logout marker) and `freshtoken:{<prefix>}:lease`. The
///   braces are a Redis Cluster hash tag: all of a token's keys live on one slot. Key names never hold
///   token bytes. With the `reqwest` feature the store is also a
///   [`RegistrationStore`](crate::oauth::resource::RegistrationStore): the clients the fleet
///   registered, one field per authorization server of the hash
///   `freshtoken:{<prefix>}:registrations` (`HGET`, `HSET`, `HDEL`), which a logout leaves.
/// - **Many identities**: the store is also the [`PartitionStores`](crate::store::PartitionStores)
///   of a [`TokenCaches`](crate::TokenCaches): each partition has the same keys with its
///   [`PartitionId`](crate::partition::PartitionId) in the tag,
///   `freshtoken:{<prefix>:<partition id>}:token` (a hash of the user's key, never the key
///   itself), its own lease and compare-and-set, and this store's settings. The partitions
///   share this store's connection and its one subscription connection (each partition's
///   channel is subscribed on it on demand), so a thousand users cost no more connections than
///   one.
/// - **Redis Cluster**: [`open_cluster`](Self::open_cluster). Each token's (and each
///   partition's) keys share a hash tag, so they live on one slot and every script runs on the
///   one node that holds it; partitions spread over the nodes. redis-rs follows slots that move
///   (`MOVED`, `ASK`). Hosts waiting for a lease poll rather than subscribe.
/// - **Redis down or slow**: every command is bounded by the command timeout (default 1 s),
///   and a refused connection fails at once; what the caches do meanwhile is the store's
///   [`OutagePolicy`] (see [`on_outage`](Self::on_outage)). Waiting for another host's lease
///   is bounded by the cache's refresh timeout.
/// - **Wrong credentials**: a password or user that Redis refuses (`WRONGPASS`, `NOAUTH`,
///   `NOPERM`) is a [`StoreError::InvalidConfig`] naming the store and the fix, logged at
///   error level at every use, not an outage to ride out.
/// - **Secrets**: the stored value *is* the token, as in [`FileStore`](crate::FileStore).
///   Keep Redis private: require a password (`redis://:password@host/`, or a user with ACLs)
///   and use TLS (`rediss://`, with one of redis-rs's TLS features enabled in your own
///   `Cargo.toml`, for example `redis = { version = "1", features = ["tokio-rustls-comp"] }`).
///   Error messages and [`name`](TokenStore::name) never show the URL's password.
/// - The connection is made on first use (so the store can be built outside a runtime) and
///   re-made after an error by redis-rs (`ConnectionManager`, or the cluster connection);
///   the subscription has a connection of its own, one for the store and all its partitions.
///
/// ```no_run
/// use freshtoken::oauth::{ClientAuth, RefreshTokenGrant, Url};
/// use freshtoken::{TokenCache, store::RedisStore};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisStore::open("redis://:password@redis.internal:6379/", "billing-api")?;
/// let token_url: Url = "https://auth.example.com/token".parse()?;
/// let cache = TokenCache::builder(RefreshTokenGrant::new(token_url, ClientAuth::public("billing")))
///     .store(store)
///     .build();
/// # let _ = cache;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
    keys: Arc<Keys>,
    name: Arc<str>,
    lease: Duration,
    command_timeout: Duration,
    outage: OutagePolicy,
    lease_slot: Arc<LeaseSlot>,
    wakeups: Arc<Wakeups>,
    /// The fingerprint of the last token refused because of a logout: saved again with no
    /// previous token, it is the same refresh forcing its way in, not a login.
    refused_after_logout: Arc<Mutex<Option<String>>>,
}

/// What a store shares with its clones and with the stores of its partitions.
struct Shared {
    /// Made on first use (so a store can be built outside a runtime).
    connection: OnceCell<Connection>,
    target: Target,
    /// The one subscription connection of a single server's stores; none on a cluster or a
    /// connection of the user's (they poll).
    subscriber: Option<Arc<Subscriber>>,
    /// The server (or the cluster's first node) as errors and logs name it: no password.
    server: String,
    /// The key prefix the user gave, which the partitions' keys start with.
    prefix: String,
}

impl RedisStore {
    /// A store on the Redis at `url` (`redis://`, `rediss://` for TLS, `redis+unix://`), for
    /// the token named `prefix`: caches given the same URL and prefix share one token.
    ///
    /// Nothing is connected until the cache first needs the store.
    ///
    /// # Errors
    /// [`StoreError::InvalidConfig`] when `url` is not a Redis URL, or `prefix` is empty,
    /// longer than 128 bytes, or holds braces, spaces or control characters.
    pub fn open(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let keys = Self::keys(prefix, "redis")?;
        let client = redis::Client::open(url).map_err(|error| StoreError::InvalidConfig {
            store: "redis".to_owned(),
            // The client's message names what did not parse, never the URL (or its password).
            reason: format!("the URL is not a usable Redis URL: {error}"),
        })?;
        let server = client.get_connection_info().addr().to_string();
        let subscriber = Subscriber::new(client.clone());
        Ok(Self::new(
            None,
            Target::Single(client),
            Some(Arc::new(subscriber)),
            keys,
            server,
            prefix,
        ))
    }

    /// A store on a Redis Cluster, reached through any of its nodes `urls` (`redis://host:port`,
    /// `rediss://` for TLS; redis-rs finds the others, and follows the slots as they move),
    /// for the token named `prefix`.
    ///
    /// The token's keys share one hash tag, so each command and script goes to the one node
    /// that holds the token's slot; the partitions of a [`TokenCaches`](crate::TokenCaches)
    /// spread over the nodes. A cluster store has no subscription: hosts waiting for the lease
    /// poll (every 5 ms at first, up to every 50 ms) rather than being woken.
    ///
    /// Nothing is connected until the cache first needs the store; the first use then
    /// connects to the cluster's nodes.
    ///
    /// ```no_run
    /// use freshtoken::store::RedisStore;
    ///
    /// # fn main() -> Result<(), freshtoken::StoreError> {
    /// let store = RedisStore::open_cluster(
    ///     &["redis://:password@redis-1.internal:6379/", "redis://:password@redis-2.internal:6379/"],
    ///     "billing-api",
    /// )?;
    /// # let _ = store;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`StoreError::InvalidConfig`] when `urls` is empty or holds a URL that is not a Redis
    /// URL, or `prefix` is not usable (see [`open`](Self::open)).
    pub fn open_cluster(urls: &[&str], prefix: &str) -> Result<Self, StoreError> {
        let keys = Self::keys(prefix, "redis cluster")?;
        let invalid = |reason: String| StoreError::InvalidConfig {
            store: "redis cluster".to_owned(),
            reason,
        };
        let Some(first) = urls.first() else {
            return Err(invalid(
                "no node URL given; name at least one node of the cluster, e.g. \
                 \"redis://redis-1.internal:6379/\""
                    .to_owned(),
            ));
        };
        let server = redis::IntoConnectionInfo::into_connection_info(*first)
            .map_err(|error| invalid(not_a_node_url(&error)))?
            .addr()
            .to_string();
        let target = Target::cluster(urls, DEFAULT_COMMAND_TIMEOUT)
            .map_err(|error| invalid(not_a_node_url(&error)))?;
        let server = format!("cluster {server}");
        Ok(Self::new(None, target, None, keys, server, prefix))
    }

    /// A store on a connection you made (with your own TLS, credentials or timeouts);
    /// `server` names it in errors and logs (say `"redis.internal:6379"`, never a password).
    ///
    /// # Errors
    /// [`StoreError::InvalidConfig`] when `prefix` is not usable (see [`open`](Self::open)).
    pub fn with_connection(
        connection: ConnectionManager,
        server: &str,
        prefix: &str,
    ) -> Result<Self, StoreError> {
        let keys = Self::keys(prefix, server)?;
        Ok(Self::new(
            Some(Connection::Single(connection)),
            Target::Given,
            None,
            keys,
            server.to_owned(),
            prefix,
        ))
    }

    /// How long a lease lasts before it must be renewed (default 2 s; at least 30 ms): how
    /// long a host that dies holding it stalls the others, at most. A host stopped for longer
    /// loses it; a running refresh renews it every third of this.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(30));
        self
    }

    /// How long one Redis command may take before the store reports Redis unreachable
    /// (default 1 s; at least 10 ms); the cache then does what the
    /// [`on_outage`](Self::on_outage) policy says.
    #[must_use]
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout.max(Duration::from_millis(10));
        self
    }

    /// What the caches do while Redis cannot be reached and their token runs out (default
    /// [`OutagePolicy::WaitForStore`]: no host spends the fleet's refresh token on its own).
    /// [`OutagePolicy::RefreshAlone`] suits a Redis that a single host uses.
    #[must_use]
    pub fn on_outage(mut self, policy: OutagePolicy) -> Self {
        self.outage = policy;
        self
    }

    fn new(
        connection: Option<Connection>,
        target: Target,
        subscriber: Option<Arc<Subscriber>>,
        keys: Keys,
        server: String,
        prefix: &str,
    ) -> Self {
        let shared = Arc::new(Shared {
            connection: OnceCell::new_with(connection),
            target,
            subscriber,
            server,
            prefix: prefix.to_owned(),
        });
        Self::with_keys(shared, keys)
    }

    /// A store of `keys` on `shared`'s connections, with the default settings.
    fn with_keys(shared: Arc<Shared>, keys: Keys) -> Self {
        Self {
            name: format!("redis {} key {}", shared.server, keys.token).into(),
            wakeups: Arc::new(Wakeups::new(shared.subscriber.clone(), &keys.events)),
            shared,
            keys: Arc::new(keys),
            lease: DEFAULT_LEASE,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            outage: OutagePolicy::WaitForStore,
            lease_slot: Arc::default(),
            refused_after_logout: Arc::default(),
        }
    }

    fn refused_after_logout(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.refused_after_logout
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn can_subscribe(&self) -> bool {
        self.wakeups.can_subscribe()
    }

    /// Subscribes (once) to the channel on which hosts announce saved tokens and released
    /// leases. A store built on a connection of yours, or on a cluster, has no subscription,
    /// and polls while it waits for the lease.
    fn start_wakeups(&self) {
        self.wakeups.start(self.command_timeout);
    }

    fn keys(prefix: &str, store: &str) -> Result<Keys, StoreError> {
        Keys::new(prefix).map_err(|reason| StoreError::InvalidConfig {
            store: store.to_owned(),
            reason,
        })
    }

    fn lease_millis(&self) -> u64 {
        u64::try_from(self.lease.as_millis()).unwrap_or(u64::MAX)
    }

    /// Runs `command` on the connection (made on first use), within the command timeout.
    ///
    /// A command that finds the connection broken (Redis restarted since the last one) is
    /// sent again on the connection the manager makes anew, a few times in all.
    async fn call<T, F, Fut>(&self, operation: &'static str, command: F) -> Result<T, StoreError>
    where
        F: Fn(Connection) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let unreachable = |reason: String| StoreError::Unreachable {
            store: self.name.to_string(),
            operation,
            reason,
        };
        let failed = |error: redis::RedisError| match refused_credentials(&error) {
            Some(reason) => self.refused_credentials(reason),
            None => unreachable(error.to_string()),
        };
        let run = async {
            let connection = self
                .shared
                .connection
                .get_or_try_init(|| self.shared.target.connect(self.command_timeout))
                .await
                .map_err(failed)?;
            let mut tries = 1;
            loop {
                match command(connection.clone()).await {
                    // A refused connection is a Redis that is down: one more try at once (the
                    // refusal may be that of an earlier reconnection, and this try connects
                    // anew), then the error, without waiting for it to come back.
                    Err(error) if error.is_connection_refusal() && tries < 2 => tries += 1,
                    Err(error)
                        if (error.is_io_error() || error.is_connection_dropped())
                            && !error.is_connection_refusal()
                            && tries < CONNECTION_TRIES =>
                    {
                        tries += 1;
                        tokio::time::sleep(RECONNECT_PAUSE).await;
                    }
                    answer => break answer.map_err(failed),
                }
            }
        };
        tokio::time::timeout(self.command_timeout, run)
            .await
            .unwrap_or_else(|_| {
                Err(unreachable(format!(
                    "no answer within {:?} (`RedisStore::command_timeout`)",
                    self.command_timeout
                )))
            })
    }

    /// Redis refused this store's credentials or rights: a configuration error, logged at
    /// error level every time, since the hosts share no token until it is fixed.
    fn refused_credentials(&self, refusal: &str) -> StoreError {
        let error = StoreError::InvalidConfig {
            store: self.name.to_string(),
            reason: format!(
                "Redis refused this store's credentials ({refusal}); set the right password in \
                 the URL (`redis://:PASSWORD@host/`, or `redis://USER:PASSWORD@host/` with an ACL \
                 user allowed EVAL, GET, PUBLISH and SUBSCRIBE on the token's keys); until \
                 then the hosts share no token"
            ),
        };
        tracing::error!(target: "freshtoken", %error, "the Redis token store cannot be used");
        error
    }

    /// Writes `new` unless another host stored a different token than `previous` meanwhile,
    /// or logged out; `only_over_previous`: never where nothing is stored. Releases the lease
    /// this store holds, in the same script.
    async fn compare_and_set(
        &self,
        previous: Option<&Token>,
        new: &Token,
        only_over_previous: bool,
    ) -> Result<(), StoreError> {
        self.lease_slot.forget_prefetched();
        let fingerprint = scripts::fingerprint(new);
        let conflict = || StoreError::Conflict {
            store: self.name.to_string(),
        };
        if previous.is_none() && self.refused_after_logout().as_ref() == Some(&fingerprint) {
            return Err(conflict());
        }
        let lease = self.lease_slot.held();
        let script = Script::new(scripts::SAVE);
        let mut invocation = script.key(&self.keys.token);
        invocation
            .key(&self.keys.lease)
            .arg(previous.map(scripts::fingerprint).unwrap_or_default())
            .arg(&fingerprint)
            .arg(&saved::to_json(new)[..])
            .arg(if only_over_previous { "1" } else { "0" })
            .arg(lease.as_ref().map_or("", |(owner, _)| owner.as_str()))
            .arg(&self.keys.events);
        let written: i64 = self
            .call("save", |mut connection| {
                let invocation = &invocation;
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await?;
        match written {
            0 => Err(conflict()),
            3 => {
                *self.refused_after_logout() = Some(fingerprint);
                Err(conflict())
            }
            2 => {
                if let Some((_, released)) = lease {
                    released.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Why a cluster node's URL was refused, from the client's message (which names what did
/// not parse, never the URL or its password).
fn not_a_node_url(error: &redis::RedisError) -> String {
    format!(
        "a node URL is not a usable Redis URL (`redis://host:port/`, `rediss://` for TLS): \
         {error}"
    )
}

/// What Redis said when it refused the credentials or the rights of this store's user
/// (`WRONGPASS`, `NOAUTH`, `NOPERM`), if it did; never the password itself.
fn refused_credentials(error: &redis::RedisError) -> Option<&'static str> {
    if error.kind() == redis::ErrorKind::AuthenticationFailed {
        return Some("wrong password or user");
    }
    match error.code()? {
        "WRONGPASS" => Some("WRONGPASS: wrong password or user"),
        "NOAUTH" => Some("NOAUTH: the server requires a password and the URL has none"),
        "NOPERM" => Some("NOPERM: the user may not run a command the store needs"),
        // A long command sent before any `AUTH`: Redis closes the connection with this.
        _ if error
            .detail()
            .is_some_and(|detail| detail.contains("unauthenticated")) =>
        {
            Some("the server requires a password and the URL has none")
        }
        _ => None,
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("name", &self.name)
            .field("lease", &self.lease)
            .field("command_timeout", &self.command_timeout)
            .field("outage", &self.outage)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// The token a stored JSON holds (none for no key, or a logout).
    fn decode(
        &self,
        json: Option<zeroize::Zeroizing<Vec<u8>>>,
    ) -> Result<Option<Token>, StoreError> {
        let Some(json) = json else { return Ok(None) };
        saved::from_json(&json)
            .map(Some)
            .map_err(|reason| StoreError::Other(format!("{}: {reason}", self.name).into()))
    }
}

impl TokenStore for RedisStore {
    fn name(&self) -> String {
        self.name.to_string()
    }

    async fn load(&self) -> Result<Option<Token>, StoreError> {
        if let Some(prefetched) = self.lease_slot.take_prefetched() {
            return self.decode(prefetched);
        }
        let mut hget = redis::cmd("HGET");
        hget.arg(&self.keys.token).arg("token");
        let json: Option<zeroize::Zeroizing<Vec<u8>>> = self
            .call("load", |mut connection| {
                let hget = &hget;
                async move {
                    hget.query_async::<Option<Vec<u8>>>(&mut connection)
                        .await
                        .map(|json| json.map(zeroize::Zeroizing::new))
                }
            })
            .await?;
        self.decode(json)
    }

    /// A compare-and-set: fails with [`StoreError::Conflict`] when the stored token is
    /// neither `previous` nor `new` (another host saved its own token meanwhile), or when the
    /// fleet logged out since `previous` (see [`clear`](TokenStore::clear)). With no
    /// `previous` (a login), it replaces whatever is stored, except with the very token that
    /// a logout just refused.
    async fn save(&self, previous: Option<&Token>, new: &Token) -> Result<(), StoreError> {
        self.compare_and_set(previous, new, false).await
    }

    async fn refresh_token_rejected(&self, token: &Token) -> Result<(), StoreError> {
        // Keeps the access token while it lasts; a newer token saved meanwhile stays, and
        // nothing is written where nothing (or a logout) is stored.
        match self
            .compare_and_set(Some(token), &token.without_refresh_token(), true)
            .await
        {
            Err(StoreError::Conflict { .. }) => Ok(()),
            done => done,
        }
    }

    /// A logout for the whole fleet: leaves a marker that refuses every save but a login, so
    /// a host that was stopped mid-refresh cannot write its token back.
    async fn clear(&self) -> Result<(), StoreError> {
        self.lease_slot.forget_prefetched();
        let script = Script::new(scripts::CLEAR);
        let mut invocation = script.key(&self.keys.token);
        invocation.arg(&self.keys.events);
        self.call("clear", |mut connection| {
            let invocation = &invocation;
            async move { invocation.invoke_async::<()>(&mut connection).await }
        })
        .await
    }

    fn outage_policy(&self) -> OutagePolicy {
        self.outage
    }

    async fn lock(&self) -> Result<StoreLock, StoreError> {
        lease::acquire(self)
            .await
            .map(lease::Lease::into_store_lock)
    }
}
