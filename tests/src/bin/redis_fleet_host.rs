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
//!
//! With `FRESHTOKEN_ROLE=partitions` the host is one `TokenCaches` whose partitions keep their
//! tokens in Redis (`RedisStore` as `PartitionStores`), with one caller per user key: user `i`
//! (key `user-i@example.com`) gets its tokens from the `i`-th of the comma-separated
//! `FRESHTOKEN_TOKEN_URLS` and calls the `i`-th of `FRESHTOKEN_API_URLS`.
//! `FRESHTOKEN_REDIS_URL` is then a comma-separated list of cluster nodes when
//! `FRESHTOKEN_CLUSTER=1`. It prints the same line, added up over the users.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use freshtoken::oauth::{ClientAuth, RefreshTokenGrant, Url};
use freshtoken::store::RedisStore;
use freshtoken::{AuthError, AuthErrorKind, TokenCache, TokenCaches, TokenStore};

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

/// The key of user `i` in the partitions test.
fn user(i: usize) -> String {
    format!("user-{i}@example.com")
}

/// The store the partitions of this host are kept in.
fn partition_stores(redis: &str, prefix: &str) -> Result<RedisStore, String> {
    let store = if std::env::var("FRESHTOKEN_CLUSTER").as_deref() == Ok("1") {
        let nodes: Vec<&str> = redis.split(',').collect();
        RedisStore::open_cluster(&nodes, prefix)
    } else {
        RedisStore::open(redis, prefix)
    };
    store.map_err(|error| error.to_string())
}

/// One `TokenCaches` for every user, a caller per user.
async fn partitions() -> Result<Counts, String> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let token_urls = var("FRESHTOKEN_TOKEN_URLS")?
        .split(',')
        .map(|url| {
            url.parse::<Url>()
                .map_err(|error| format!("FRESHTOKEN_TOKEN_URLS: {error}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let api_urls: Vec<String> = var("FRESHTOKEN_API_URLS")?
        .split(',')
        .map(str::to_owned)
        .collect();
    let run = Duration::from_millis(
        var("FRESHTOKEN_RUN_MS")?
            .parse()
            .map_err(|error| format!("FRESHTOKEN_RUN_MS: {error}"))?,
    );
    let stores = partition_stores(&var("FRESHTOKEN_REDIS_URL")?, &var("FRESHTOKEN_PREFIX")?)?;
    let users: Vec<String> = (0..token_urls.len()).map(user).collect();
    let sources = users.clone();
    let caches = TokenCaches::builder(move |key: &String| {
        let i = sources.iter().position(|user| user == key).unwrap_or(0);
        RefreshTokenGrant::new(token_urls[i].clone(), ClientAuth::public("fleet"))
    })
    .stores(stores)
    .configure(|builder| builder.min_refresh_interval(Duration::from_millis(100)))
    .build();
    let until = tokio::time::Instant::now() + run;
    let http = reqwest::Client::new();
    let callers: Vec<_> = users
        .iter()
        .zip(api_urls)
        .map(|(user, api_url)| {
            tokio::spawn(call_until(caches.cache(user), http.clone(), api_url, until))
        })
        .collect();
    let mut counts = Counts::default();
    for caller in callers {
        counts.add(&caller.await.unwrap_or(Counts {
            failed: 1,
            ..Counts::default()
        }));
    }
    Ok(counts)
}

fn print(counts: &Counts) {
    println!(
        "calls={} failed={} store_errors={} reauth={} max_wait_ms={}",
        counts.calls,
        counts.failed,
        counts.store_errors,
        counts.reauth,
        counts.max_wait.as_millis()
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match std::env::var("FRESHTOKEN_ROLE").as_deref() {
        Ok("hold-lease") => return hold_lease().await,
        Ok("partitions") => {
            return match partitions().await {
                Ok(counts) => {
                    print(&counts);
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("{error}");
                    ExitCode::from(2)
                }
            };
        }
        _ => {}
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
    print(&counts);
    ExitCode::SUCCESS
}
