//! One host of the fleet test (`tests/tests/redis/fleet.rs`): two caches, each with its own
//! `RedisStore` connection to the shared Redis, calling the API in a loop until the deadline.
//! A call that gets a 401 invalidates the token and is tried once more; a call that still
//! fails counts as failed. Prints `calls=N failed=M` and exits.
//!
//! Environment: `FRESHTOKEN_TOKEN_URL`, `FRESHTOKEN_API_URL`, `FRESHTOKEN_REDIS_URL`,
//! `FRESHTOKEN_PREFIX` (the shared token's key prefix), `FRESHTOKEN_RUN_MS` (how long to run).

use std::process::ExitCode;
use std::time::Duration;

use freshtoken::oauth::{ClientAuth, RefreshTokenGrant, Url};
use freshtoken::store::RedisStore;
use freshtoken::{AuthError, TokenCache};

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
    let store = RedisStore::open(&config.redis_url, &config.prefix)
        .map_err(|error| error.to_string())?
        .lease(Duration::from_secs(2));
    let source = RefreshTokenGrant::new(config.token_url.clone(), ClientAuth::public("fleet"));
    Ok(TokenCache::builder(source)
        .store(store)
        // Tokens live a second in this test: rotations come every half second.
        .min_refresh_interval(Duration::from_millis(100))
        .build())
}

/// Calls the API until `until`; returns the calls made and those that failed.
async fn call_until(
    cache: TokenCache<RefreshTokenGrant>,
    http: reqwest::Client,
    api_url: String,
    until: tokio::time::Instant,
) -> (u32, u32) {
    let (mut calls, mut failed) = (0, 0);
    while tokio::time::Instant::now() < until {
        calls += 1;
        if let Err(error) = call(&cache, &http, &api_url).await {
            eprintln!("call failed: {error}");
            failed += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (calls, failed)
}

async fn call(
    cache: &TokenCache<RefreshTokenGrant>,
    http: &reqwest::Client,
    api_url: &str,
) -> Result<(), String> {
    for _attempt in 0..2 {
        let token = cache
            .token()
            .await
            .map_err(|error: AuthError| error.to_string())?;
        let status = http
            .get(api_url)
            .bearer_auth(token.access_token().expose_secret())
            .send()
            .await
            .map_err(|error| error.to_string())?
            .status();
        if status.is_success() {
            return Ok(());
        }
        if status != reqwest::StatusCode::UNAUTHORIZED {
            return Err(format!("the API answered {status}"));
        }
        cache.invalidate(&token);
    }
    Err("the API answered 401 twice".to_owned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
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
    let (mut calls, mut failed) = (0, 0);
    for caller in callers {
        let (c, f) = caller.await.unwrap_or((0, 1));
        calls += c;
        failed += f;
    }
    println!("calls={calls} failed={failed}");
    ExitCode::SUCCESS
}
