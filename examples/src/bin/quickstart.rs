//! The smallest tour of `freshtoken`: a token source that stands in for a login endpoint, a
//! cache in front of it, and what the cache does for the calls of an API client.
//!
//! Run it with `cargo run -p freshtoken-examples --bin quickstart`.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use freshtoken::{AuthError, Token, TokenCache, TokenSource};

/// Stands in for a token endpoint: every call issues a token that lives two seconds.
#[derive(Default)]
struct DemoLogin {
    issued: AtomicU32,
}

impl TokenSource for DemoLogin {
    async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let how = if previous.and_then(Token::refresh_token).is_some() {
            "refresh token"
        } else {
            "password"
        };
        println!("    (token endpoint: issued token #{n} for a {how})");
        tokio::time::sleep(Duration::from_millis(50)).await; // the network
        Token::builder(format!("access-{n}"))
            .expires_in(Duration::from_secs(2))
            .refresh_token(format!("refresh-{n}"))
            .build()
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("quickstart failed: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let cache = TokenCache::new(DemoLogin::default());
    let refreshes = |cache: &TokenCache<DemoLogin>| cache.stats().refreshes;

    println!("1. The first call logs in:");
    let first = cache.token().await.map_err(|e| e.to_string())?;
    println!("   got {first:?}");
    check(refreshes(&cache) == 1, "the first call should log in once")?;

    println!("2. The next call reuses the cached token:");
    let again = cache.token().await.map_err(|e| e.to_string())?;
    check(Arc::ptr_eq(&first, &again), "the token should be reused")?;
    println!("   same token, still {} refresh", refreshes(&cache));

    println!("3. After it expires, 100 concurrent calls share one refresh:");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    for call in calls {
        call.await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    check(
        refreshes(&cache) == 2,
        "100 callers should cause one refresh",
    )?;
    println!("   100 calls, {} refreshes in all", refreshes(&cache));

    println!("4. The server rejects the token (401): invalidate it, and the next call refreshes:");
    let used = cache.token().await.map_err(|e| e.to_string())?;
    cache.invalidate(&used);
    let fresh = cache.token().await.map_err(|e| e.to_string())?;
    check(
        !Arc::ptr_eq(&used, &fresh),
        "a new token should replace the rejected one",
    )?;
    check(
        !cache.invalidate(&used),
        "a late 401 for the old token must keep the new one",
    )?;
    println!("   {} refreshes in all", refreshes(&cache));

    println!("\nStats: {:?}", cache.stats());
    Ok(())
}

fn check(holds: bool, what: &str) -> Result<(), String> {
    if holds { Ok(()) } else { Err(what.to_owned()) }
}
