//! One host of the fleet test (`tests/tests/integration/redis_store/fleet.rs`): two caches, each
//! with its own `RedisStore` connection to the shared Redis (default lease and outage policy),
//! calling the API in a loop until the deadline. A call that gets a 401 invalidates the token and
//! is tried once more. Prints `calls=N failed=M store_errors=S reauth=R max_wait_ms=W` and exits:
//! `store_errors` are calls refused with a retryable store error (Redis down), `reauth` calls
//! refused because a login is needed, `failed` any other failure; `max_wait_ms` is the longest
//! call.
//!
//! Environment: `FRESHTOKEN_TOKEN_URL`, `FRESHTOKEN_API_URL`, `FRESHTOKEN_REDIS_URL`,
//! `FRESHTOKEN_PREFIX` (the shared token's key prefix), `FRESHTOKEN_RUN_MS` (how long to run).
//! With `FRESHTOKEN_ROLE=hold-lease` (and only the Redis URL and prefix) the process instead
//! takes the refresh lease, prints `holding`, and keeps renewing it until it is killed: a host
//! that dies in the middle of a refresh.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use freshtoken::oauth::{ClientAuth, RefreshTokenGrant, Url};
use freshtoken::store::RedisStore;
use freshtoken::{AuthError, AuthErrorKind, TokenCache, TokenStore};

struct Config {
    token_url: Url,
    api_url: String,
    redis_url: String,
    prefix: String,
    run: Duration,
}

fn config() -> Result<Config, String> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    Ok(Config {
        token_url: var("FRESHTOKEN_TOKEN_URL")?
            .parse()
            .map_err(|error| format!("FRESHTOKEN_TOKEN_URL: {error}"))?,
        api_url: var("FRESHTOKEN_API_URL")?,
        redis_url: var("FRESHTOKEN_REDIS_URL")?,
        prefix: var("FRESHTOKEN_PREFIX")?,
        run: Duration::from_millis(
            var("FRESHTOKEN_RUN_MS")?
                .parse()
                .map_err(|error| format!("FRESHTOKEN_RUN_MS: {error}"))?,
        ),
    })
}

fn cache(config: &Config) -> Result<TokenCache<RefreshTokenGrant>, String> {
    let store =
        RedisStore::open(&config.redis_url, &config.prefix).map_err(|error| error.to_string())?;
    let source = RefreshTokenGrant::new(config.token_url.clone(), ClientAuth::public("fleet"));
    Ok(TokenCache::builder(source)
        .store(store)
        // Tokens live a second or a few in this test: rotations come every half-life.
        .min_refresh_interval(Duration::from_millis(100))
        .build())
}

/// What one caller saw.
#[derive(Default)]
struct Counts {
    calls: u32,
    failed: u32,
    store_errors: u32,
    reauth: u32,
    max_wait: Duration,
}

impl Counts {
    fn add(&mut self, other: &Self) {
        self.calls += other.calls;
        self.failed += other.failed;
        self.store_errors += other.store_errors;
        self.reauth += other.reauth;
        self.max_wait = self.max_wait.max(other.max_wait);
    }
}

/// Calls the API until `until`.
async fn call_until(
    cache: TokenCache<RefreshTokenGrant>,
    http: reqwest::Client,
    api_url: String,
    until: tokio::time::Instant,
) -> Counts {
    let mut counts = Counts::default();
    while tokio::time::Instant::now() < until {
        counts.calls += 1;
        let started = tokio::time::Instant::now();
        let answer = call(&cache, &http, &api_url).await;
        counts.max_wait = counts.max_wait.max(started.elapsed());
        match answer {
            Ok(()) => {}
            Err(Failure::Auth(error)) if matches!(error.kind(), AuthErrorKind::Store { .. }) => {
                counts.store_errors += 1;
            }
            Err(Failure::Auth(error)) if error.needs_reauthentication() => {
                eprintln!("call failed: {error}");
                counts.reauth += 1;
            }
            Err(failure) => {
                eprintln!("call failed: {failure}");
                counts.failed += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    counts
}

/// Why a call failed.
enum Failure {
    Auth(AuthError),
    Api(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auth(error) => error.fmt(f),
            Self::Api(reason) => f.write_str(reason),
        }
    }
}

async fn call(
    cache: &TokenCache<RefreshTokenGrant>,
    http: &reqwest::Client,
    api_url: &str,
) -> Result<(), Failure> {
    for _attempt in 0..2 {
        let token = cache.token().await.map_err(Failure::Auth)?;
        let status = http
            .get(api_url)
            .bearer_auth(token.access_token().expose_secret())
            .send()
            .await
            .map_err(|error| Failure::Api(error.to_string()))?
            .status();
        if status.is_success() {
            return Ok(());
        }
        if status != reqwest::StatusCode::UNAUTHORIZED {
            return Err(Failure::Api(format!("the API answered {status}")));
        }
        cache.invalidate(&token);
    }
    Err(Failure::Api("the API answered 401 twice".to_owned()))
}

/// Takes the lease and keeps it until killed.
async fn hold_lease() -> ExitCode {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let store = match RedisStore::open(&var("FRESHTOKEN_REDIS_URL"), &var("FRESHTOKEN_PREFIX")) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let lease = loop {
        match store.lock().await {
            Ok(lease) => break lease,
            Err(error) => eprintln!("could not take the lease yet: {error}"),
        }
    };
    println!("holding");
    let _ = std::io::stdout().flush();
    std::future::pending::<()>().await;
    drop(lease);
    ExitCode::SUCCESS
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    if std::env::var("FRESHTOKEN_ROLE").as_deref() == Ok("hold-lease") {
        return hold_lease().await;
    }
    let config = match config() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let until = tokio::time::Instant::now() + config.run;
    let http = reqwest::Client::new();
    let mut callers = Vec::new();
    for _ in 0..2 {
        let cache = match cache(&config) {
            Ok(cache) => cache,
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::from(2);
            }
        };
        callers.push(tokio::spawn(call_until(
            cache,
            http.clone(),
            config.api_url.clone(),
            until,
        )));
    }
    let mut counts = Counts::default();
    for caller in callers {
        counts.add(&caller.await.unwrap_or(Counts {
            failed: 1,
            ..Counts::default()
        }));
    }
    println!(
        "calls={} failed={} store_errors={} reauth={} max_wait_ms={}",
        counts.calls,
        counts.failed,
        counts.store_errors,
        counts.reauth,
        counts.max_wait.as_millis()
    );
    ExitCode::SUCCESS
}
