//! What the fault tests (`tests/tests/integration/faults/`, `faults_crash.rs`) share: an SDK client
//! whose method is wrapped by `#[refresh_token]`, a token source that records when it was asked, a
//! way to run a thousand callers at once, and a capture of every log line and error that must never
//! contain a secret.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use freshtoken::oauth::{ClientAuth, RefreshTokenGrant};
use freshtoken::{AuthError, Token, TokenCache, TokenCacheBuilder, TokenSource, refresh_token};
use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;
use tokio::time::Instant;
use tracing::subscriber::DefaultGuard;

use crate::scripted::{ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX, ScriptedServer};
use crate::{ApiError, lock};

/// How many callers every fault test runs at once.
pub const CALLERS: usize = 1_000;

/// The client id and secret the client authenticates with (HTTP Basic).
pub const CLIENT_ID: &str = "fault-client";
/// The client secret; no log line or error may contain it.
pub const CLIENT_SECRET: &str = "CS-SECRET-fault-client";

/// The token request's own timeout in every fault test.
pub const SOURCE_TIMEOUT: Duration = Duration::from_secs(5);

/// A token source that records the instant of each call before passing it on.
#[derive(Debug, Clone)]
pub struct Recorded<S> {
    inner: S,
    calls: Arc<Mutex<Vec<Instant>>>,
}

impl<S> Recorded<S> {
    /// The instants at which the cache asked this source, in order.
    #[must_use]
    pub fn calls(&self) -> Vec<Instant> {
        lock(&self.calls).clone()
    }
}

impl<S: TokenSource> TokenSource for Recorded<S> {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        lock(&self.calls).push(Instant::now());
        self.inner.fetch(previous).await
    }
}

/// The source of every fault test: the refresh-token grant against the scripted server.
pub type FaultSource = Recorded<RefreshTokenGrant>;

/// An SDK client of the scripted server's API.
#[derive(Debug, Clone)]
pub struct FaultClient {
    http: reqwest::Client,
    api_url: String,
    /// The client's token cache.
    pub auth: TokenCache<FaultSource>,
    /// The cache's source, to read when it was asked.
    pub source: FaultSource,
}

impl FaultClient {
    /// A client of `server` whose cache starts with an expired token and the server's first
    /// refresh token; `configure` adjusts the cache (backoff, margins...).
    #[must_use]
    pub fn new(
        server: &ScriptedServer,
        configure: impl FnOnce(TokenCacheBuilder<FaultSource>) -> TokenCacheBuilder<FaultSource>,
    ) -> Self {
        Self::with_token(server, expired_token(), configure)
    }

    /// A client whose cache starts with `token`.
    ///
    /// # Panics
    /// If the server's URL does not parse (it always does).
    #[must_use]
    pub fn with_token(
        server: &ScriptedServer,
        token: Token,
        configure: impl FnOnce(TokenCacheBuilder<FaultSource>) -> TokenCacheBuilder<FaultSource>,
    ) -> Self {
        let url = server.token_url().parse().expect("the server's URL parses");
        let grant = RefreshTokenGrant::new(url, ClientAuth::basic(CLIENT_ID, CLIENT_SECRET))
            .timeout(SOURCE_TIMEOUT);
        let source = Recorded {
            inner: grant,
            calls: Arc::default(),
        };
        let auth = configure(TokenCache::builder(source.clone()).token(token)).build();
        Self {
            http: reqwest::Client::new(),
            api_url: server.api_url(),
            auth,
            source,
        }
    }

    /// One call of the API; `attempts` counts how often the body ran.
    ///
    /// # Errors
    /// The refresh's error, or the API's status.
    #[refresh_token(cache = self.auth)]
    pub async fn list(&self, attempts: &AtomicU32, #[token] token: &Token) -> Result<(), ApiError> {
        attempts.fetch_add(1, Ordering::SeqCst);
        let response = self
            .http
            .get(&self.api_url)
            .header(AUTHORIZATION, token.authorization())
            .send()
            .await
            .map_err(ApiError::Http)?;
        match response.status() {
            StatusCode::OK => Ok(()),
            status => Err(ApiError::Status(status)),
        }
    }
}

/// An expired token holding the scripted server's first refresh token: the first call must
/// refresh.
///
/// # Panics
/// Never: the token is valid.
#[must_use]
pub fn expired_token() -> Token {
    Token::builder(format!("{ACCESS_TOKEN_PREFIX}seed"))
        .expires_in(Duration::ZERO)
        .refresh_token(ScriptedServer::first_refresh_token())
        .build()
        .expect("a valid seed token")
}

/// What one caller of a burst saw.
#[derive(Debug)]
pub struct Outcome {
    /// The method's result.
    pub result: Result<(), ApiError>,
    /// How often the method's body ran (one more after a 401).
    pub attempts: u32,
    /// From the call to its result, on tokio's clock.
    pub took: Duration,
}

/// Asserts that every caller of a burst got its answer.
///
/// # Panics
/// If one did not.
pub fn assert_all_succeeded(outcomes: &[Outcome]) {
    for outcome in outcomes {
        assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    }
}

/// Runs [`CALLERS`] calls of [`FaultClient::list`] at once and returns what each saw.
///
/// Under tokio's paused clock, the clock stands still meanwhile (see [`ClockHold`]): only the
/// test moves it, with `advance`. For a burst that must let time run (a request that hangs
/// until its timeout), use [`burst_letting_time_run`].
///
/// # Panics
/// If a caller panics.
pub async fn burst(client: &FaultClient) -> Vec<Outcome> {
    burst_of(client, CALLERS).await
}

/// [`burst`] with `callers` calls instead of [`CALLERS`], for a test that makes many bursts.
///
/// # Panics
/// If a caller panics.
pub async fn burst_of(client: &FaultClient, callers: usize) -> Vec<Outcome> {
    let _hold = ClockHold::new();
    run_callers(client, callers).await
}

/// [`burst`] with the paused clock free to auto-advance to the next timer whenever the
/// runtime has nothing to do.
///
/// # Panics
/// If a caller panics.
pub async fn burst_letting_time_run(client: &FaultClient) -> Vec<Outcome> {
    run_callers(client, CALLERS).await
}

/// `callers` calls of [`FaultClient::list`] at once, and what each saw.
async fn run_callers(client: &FaultClient, count: usize) -> Vec<Outcome> {
    let callers: Vec<_> = (0..count)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let attempts = AtomicU32::new(0);
                let started = Instant::now();
                let result = client.list(&attempts).await;
                Outcome {
                    result,
                    attempts: attempts.load(Ordering::SeqCst),
                    took: started.elapsed(),
                }
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(count);
    for caller in callers {
        outcomes.push(caller.await.expect("a caller does not panic"));
    }
    outcomes
}

/// Keeps tokio's paused clock from auto-advancing while it lives.
///
/// A paused clock jumps to the next timer whenever the runtime has nothing to do, and a
/// loopback connection can take a moment of real time to become ready: the jump would fire a
/// request's timeout that real time never reaches. A blocking task that is running stops the
/// jumps (tokio documents this under "Preventing auto-advance" in `tokio::time::pause`); this
/// runs one until it is dropped.
#[derive(Debug)]
pub struct ClockHold {
    _release: std::sync::mpsc::Sender<()>,
}

impl ClockHold {
    /// Holds the clock until the value is dropped.
    #[must_use]
    pub fn new() -> Self {
        let (release, released) = std::sync::mpsc::channel::<()>();
        // Ends when `release` is dropped: `recv` then fails.
        drop(tokio::task::spawn_blocking(move || released.recv()));
        Self { _release: release }
    }
}

impl Default for ClockHold {
    fn default() -> Self {
        Self::new()
    }
}

/// Every log line at TRACE level (`tracing` events and `log` records) and every error shown,
/// for the current thread (a `current_thread` test runtime runs all its tasks there).
#[derive(Debug)]
pub struct SecretWatch {
    logs: Arc<Mutex<Vec<u8>>>,
    shown: Vec<String>,
    _guard: DefaultGuard,
    _anchor: tracing::Dispatch,
}

#[derive(Clone)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        lock(&self.0).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SecretWatch {
    /// Starts capturing every `tracing` event on this thread, and every `log` record (reqwest
    /// logs through `log`).
    #[must_use]
    pub fn start() -> Self {
        // Global, once per process: a later call fails harmlessly, the first bridge serves
        // every test, each record reaching the subscriber of the thread that logged it.
        let _ = tracing_log::LogTracer::init();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let writer = Buffer(Arc::clone(&logs));
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        // tracing caches whether a callsite is enabled once per process, asking only the
        // registering thread while one dispatcher is registered: a second one kept alive
        // makes it ask this thread's too, so no event watched here is lost to a sibling test.
        let anchor = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
        let guard = tracing::subscriber::set_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
        Self {
            logs,
            shown: Vec::new(),
            _guard: guard,
            _anchor: anchor,
        }
    }

    /// Records how `outcomes`' errors display and debug-print.
    pub fn show(&mut self, outcomes: &[Outcome]) {
        for error in outcomes
            .iter()
            .filter_map(|outcome| outcome.result.as_ref().err())
        {
            self.show_error(error);
        }
    }

    /// Records how `error` displays and debug-prints.
    pub fn show_error(&mut self, error: &(impl std::fmt::Display + std::fmt::Debug)) {
        self.shown.push(format!("{error} / {error:?} / {error:#?}"));
    }

    /// Records how `value` debug-prints (a client, a cache, a token).
    pub fn show_debug(&mut self, value: &impl std::fmt::Debug) {
        self.shown.push(format!("{value:?} / {value:#?}"));
    }

    /// The captured log text.
    #[must_use]
    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&lock(&self.logs)).into_owned()
    }

    /// Asserts that no log line and no error shown contains any of `forms`: a test's own
    /// secrets, in every spelling it checks.
    ///
    /// # Panics
    /// If one of them is there.
    pub fn assert_none_of(&self, forms: &[String]) {
        let logs = self.logs();
        for text in std::iter::once(&logs).chain(&self.shown) {
            for form in forms {
                assert!(
                    !text.contains(form.as_str()),
                    "{form:?} leaked into: {text}"
                );
            }
        }
    }

    /// Asserts that no log line and no error shown contains a token or the client secret
    /// (raw, or in the Basic header's base64), and that the capture saw the cache at work.
    ///
    /// # Panics
    /// If a secret leaked, or nothing was captured.
    pub fn assert_no_secret(&self) {
        let logs = self.logs();
        assert!(
            logs.contains("freshtoken"),
            "the capture saw no freshtoken event; is it installed?"
        );
        let basic = STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
        let secrets = [
            ACCESS_TOKEN_PREFIX,
            REFRESH_TOKEN_PREFIX,
            CLIENT_SECRET,
            &basic,
        ];
        for text in std::iter::once(&logs).chain(&self.shown) {
            for secret in secrets {
                assert!(!text.contains(secret), "{secret:?} leaked into: {text}");
            }
        }
    }
}
