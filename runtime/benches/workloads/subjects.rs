// Input: nothing but the choice of what to read.
// Output: things that hand out a fresh token (the floor, freshtoken's cache, two baselines
// written the simple ways, a method with and without `#[refresh_token]`), behind one trait.

use std::future::{Future, poll_fn, ready};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use freshtoken::{AuthError, Token, TokenCache, TokenSource, Unauthorized, refresh_token};
use tokio::sync::{Mutex, RwLock};
use tokio::time::Instant;

/// The lifetime of every token issued here: long enough that no fast-path run sees it age.
pub(crate) const LIFETIME: Duration = Duration::from_secs(3600);

/// The margin before expiry at which the baselines refresh (freshtoken's default margin).
pub(crate) const MARGIN: Duration = Duration::from_secs(60);

/// How long the floor's token counts as fresh: `LIFETIME` less `MARGIN`.
const FRESH_FOR: Duration = Duration::from_secs(3600 - 60);

/// Hands out a fresh token, the way a client method would ask for one.
pub(crate) trait Subject: Clone + Send + Sync + 'static {
    /// What one read gives back; kept alive until the read is over, then dropped.
    type Output: Send;

    /// One read of a fresh token.
    fn read(&self) -> impl Future<Output = Self::Output> + Send;
}

/// A token source that counts its calls and takes `latency` to answer.
#[derive(Clone, Default)]
pub(crate) struct Issuer {
    latency: Duration,
    calls: Arc<AtomicUsize>,
    last_fetch_nanos: Arc<AtomicU64>,
}

impl Issuer {
    /// A source that answers after `latency` (at once for `Duration::ZERO`).
    pub(crate) fn new(latency: Duration) -> Self {
        Self {
            latency,
            ..Self::default()
        }
    }

    /// How many times the source was called.
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// How long the last call took, from its start to its answer.
    pub(crate) fn last_fetch(&self) -> Duration {
        Duration::from_nanos(self.last_fetch_nanos.load(Ordering::SeqCst))
    }
}

/// A token named `access`, living `lifetime` from now.
pub(crate) fn token(access: &str, lifetime: Duration) -> Token {
    Token::builder(access)
        .expires_in(lifetime)
        .build()
        .expect("a non-empty access token makes a valid token")
}

impl TokenSource for Issuer {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let started = Instant::now();
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last_fetch_nanos.store(took, Ordering::SeqCst);
        Ok(token("issued", LIFETIME))
    }
}

/// The floor: `std::time::Instant::now()`, one compare and an `Arc` clone.
#[derive(Clone)]
pub(crate) struct Floor {
    token: Arc<Token>,
    stale_at: std::time::Instant,
}

impl Floor {
    /// A floor over a token that stays fresh for the whole run.
    pub(crate) fn new() -> Self {
        Self {
            token: Arc::new(token("floor", LIFETIME)),
            stale_at: std::time::Instant::now() + FRESH_FOR,
        }
    }
}

impl Subject for Floor {
    type Output = Option<Arc<Token>>;

    fn read(&self) -> impl Future<Output = Self::Output> + Send {
        let fresh = std::time::Instant::now() < self.stale_at;
        ready(fresh.then(|| Arc::clone(&self.token)))
    }
}

/// The floor with tokio's `Instant::now()`, the clock freshtoken reads (with tokio's
/// `test-util` feature it first checks whether a runtime paused the clock).
#[derive(Clone)]
pub(crate) struct TokioFloor {
    token: Arc<Token>,
    stale_at: Instant,
}

impl TokioFloor {
    /// A floor over a token that stays fresh for the whole run.
    pub(crate) fn new() -> Self {
        Self {
            token: Arc::new(token("floor", LIFETIME)),
            stale_at: Instant::now() + FRESH_FOR,
        }
    }
}

impl Subject for TokioFloor {
    type Output = Option<Arc<Token>>;

    fn read(&self) -> impl Future<Output = Self::Output> + Send {
        let fresh = Instant::now() < self.stale_at;
        ready(fresh.then(|| Arc::clone(&self.token)))
    }
}

/// A freshtoken cache holding a fresh token (default settings).
/// (`set_token`: a token given to the builder would be put in service by the first
/// `token()` call only, and `fresh_token()` alone would never see it.)
pub(crate) fn fresh_cache() -> TokenCache<Issuer> {
    let cache = TokenCache::new(Issuer::default());
    cache.set_token(token("cached", LIFETIME));
    cache
}

/// freshtoken's `TokenCache::token()`.
#[derive(Clone)]
pub(crate) struct Cache(pub(crate) TokenCache<Issuer>);

impl Subject for Cache {
    type Output = Result<Arc<Token>, AuthError>;

    fn read(&self) -> impl Future<Output = Self::Output> + Send {
        self.0.token()
    }
}

/// freshtoken's `TokenCache::token()` on a token in its refresh-ahead window, while the
/// background refresh it started runs (against a source that never answers).
///
/// A token only ages after half its lifetime, and its `received_at` cannot be set back, so
/// the subject is made `wait` ahead: its token starts ageing `wait` after [`Ageing::new`] and
/// ages for `wait` more, until it expires (no refresh margin). Call [`Ageing::start`] first.
#[derive(Clone)]
pub(crate) struct Ageing {
    cache: TokenCache<Issuer>,
    ageing_at: Instant,
    expires_at: Instant,
}

impl Ageing {
    /// A cache whose token starts ageing `wait` from now and expires `2 * wait` from now.
    pub(crate) fn new(wait: Duration) -> Self {
        let never = Duration::from_secs(86_400);
        let initial = token("ageing", wait * 2);
        let expires_at = initial.expires_at().expect("the token has an expiry");
        let cache = TokenCache::builder(Issuer::new(never))
            .refresh_margin(Duration::ZERO)
            .refresh_ahead(wait)
            .refresh_timeout(never)
            .build();
        cache.set_token(initial);
        Self {
            cache,
            ageing_at: expires_at - wait,
            expires_at,
        }
    }

    /// Blocks the thread until the token is ageing, then starts its background refresh on
    /// `runtime`, where it runs until the runtime is dropped.
    pub(crate) fn start(&self, runtime: &tokio::runtime::Handle) {
        std::thread::sleep(self.ageing_at.saturating_duration_since(Instant::now()));
        let _runtime = runtime.enter();
        assert!(self.is_ageing(), "started after the token stopped ageing");
        assert!(
            self.cache.fresh_token().is_some(),
            "an ageing token is served"
        );
    }

    /// Whether the token is still in its refresh-ahead window: checked after a measurement,
    /// which is void otherwise.
    pub(crate) fn is_ageing(&self) -> bool {
        let now = Instant::now();
        self.ageing_at <= now && now < self.expires_at
    }

    /// How long the token ages from now on.
    pub(crate) fn ageing_left(&self) -> Duration {
        self.expires_at.saturating_duration_since(Instant::now())
    }
}

impl Subject for Ageing {
    type Output = Result<Arc<Token>, AuthError>;

    fn read(&self) -> impl Future<Output = Self::Output> + Send {
        self.cache.token()
    }
}

/// freshtoken's `TokenCache::fresh_token()`, the synchronous read under `token()`.
#[derive(Clone)]
pub(crate) struct CacheSync(pub(crate) TokenCache<Issuer>);

impl Subject for CacheSync {
    type Output = Option<Arc<Token>>;

    fn read(&self) -> impl Future<Output = Self::Output> + Send {
        ready(self.0.fresh_token())
    }
}

fn usable(token: &Token) -> bool {
    token
        .expires_at()
        .is_none_or(|at| Instant::now() + MARGIN < at)
}

/// The simple way with a lock held across the refresh (Go's `ReuseTokenSource` style):
/// `tokio::sync::Mutex<Option<_>>` and an expiry check.
#[derive(Clone)]
pub(crate) struct MutexBaseline {
    slot: Arc<Mutex<Option<Arc<Token>>>>,
    source: Issuer,
}

impl MutexBaseline {
    /// A baseline holding a fresh token.
    pub(crate) fn new() -> Self {
        Self {
            slot: Arc::new(Mutex::new(Some(Arc::new(token("mutex", LIFETIME))))),
            source: Issuer::default(),
        }
    }
}

impl Subject for MutexBaseline {
    type Output = Result<Arc<Token>, AuthError>;

    async fn read(&self) -> Self::Output {
        let mut slot = self.slot.lock().await;
        if let Some(token) = slot.as_ref().filter(|token| usable(token)) {
            return Ok(Arc::clone(token));
        }
        let token = Arc::new(self.source.fetch(slot.as_deref()).await?);
        *slot = Some(Arc::clone(&token));
        Ok(token)
    }
}

/// The simple way with a reader-writer lock: `tokio::sync::RwLock`, a read lock to check,
/// then the write lock and a second check before refreshing.
#[derive(Clone)]
pub(crate) struct RwLockBaseline {
    slot: Arc<RwLock<Option<Arc<Token>>>>,
    source: Issuer,
}

impl RwLockBaseline {
    /// A baseline holding a fresh token.
    pub(crate) fn new() -> Self {
        Self {
            slot: Arc::new(RwLock::new(Some(Arc::new(token("rwlock", LIFETIME))))),
            source: Issuer::default(),
        }
    }
}

impl Subject for RwLockBaseline {
    type Output = Result<Arc<Token>, AuthError>;

    async fn read(&self) -> Self::Output {
        if let Some(token) = self.slot.read().await.as_ref().filter(|t| usable(t)) {
            return Ok(Arc::clone(token));
        }
        let mut slot = self.slot.write().await;
        if let Some(token) = slot.as_ref().filter(|token| usable(token)) {
            return Ok(Arc::clone(token));
        }
        let token = Arc::new(self.source.fetch(slot.as_deref()).await?);
        *slot = Some(Arc::clone(&token));
        Ok(token)
    }
}

/// An SDK's error: a failed refresh, or what the API answered.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// No token could be had (read only through `Debug`, when a run fails).
    #[allow(dead_code)]
    Auth(AuthError),
    /// The API answered with this status.
    Status(u16),
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        Self::Auth(error)
    }
}

impl Unauthorized for ApiError {
    fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Status(401))
    }
}

/// An SDK client with one trivial method, written with and without `#[refresh_token]`.
pub(crate) struct Client {
    auth: TokenCache<Issuer>,
}

impl Client {
    /// A client whose cache holds a fresh token.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            auth: fresh_cache(),
        })
    }

    /// The method with the attribute: a token, the body, one retry after a 401.
    #[refresh_token(cache = self.auth)]
    pub(crate) async fn wrapped(&self, #[token] token: &Token) -> Result<usize, ApiError> {
        body(token)
    }

    /// The same method written by hand: a token, the body, one retry after a 401.
    pub(crate) async fn by_hand(&self) -> Result<usize, ApiError> {
        let mut retried = false;
        loop {
            let token = self.auth.token().await?;
            let result = body(&token);
            match result {
                Err(error) if ApiError::is_unauthorized(&error) => {
                    self.auth.invalidate(&token);
                    if retried {
                        return Err(error);
                    }
                    retried = true;
                }
                result => return result,
            }
        }
    }
}

/// The methods' body: what a request would answer, from the header it would send.
fn body(token: &Token) -> Result<usize, ApiError> {
    match token.authorization().len() {
        0 => Err(ApiError::Status(401)),
        len => Ok(len),
    }
}

/// Calls [`Client::wrapped`].
#[derive(Clone)]
pub(crate) struct Wrapped(pub(crate) Arc<Client>);

impl Subject for Wrapped {
    type Output = Result<usize, ApiError>;

    fn read(&self) -> impl Future<Output = Self::Output> + Send {
        self.0.wrapped()
    }
}

/// Calls [`Client::by_hand`].
#[derive(Clone)]
pub(crate) struct ByHand(pub(crate) Arc<Client>);

impl Subject for ByHand {
    type Output = Result<usize, ApiError>;

    fn read(&self) -> impl Future<Output = Self::Output> + Send {
        self.0.by_hand()
    }
}

/// Another subject's future polled through a call that is never inlined, as an application
/// polls an SDK method's future when the SDK is another crate. Without it, whether LLVM
/// inlines one method's whole state machine into the benchmark loop, and not the other's,
/// decides the comparison.
#[derive(Clone)]
pub(crate) struct OutOfLine<T>(pub(crate) T);

impl<T: Subject> Subject for OutOfLine<T> {
    type Output = T::Output;

    async fn read(&self) -> Self::Output {
        #[inline(never)]
        fn poll<F: Future>(method: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<F::Output> {
            method.poll(cx)
        }
        let mut method = pin!(self.0.read());
        poll_fn(|cx| poll(method.as_mut(), cx)).await
    }
}
