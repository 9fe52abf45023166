//! One process of the two-process file store test
//! (`tests/tests/integration/file_store_processes.rs`): a client whose cache keeps its token in a
//! shared `FileStore` and refreshes it with a `RefreshTokenGrant`. Prints the access token it got,
//! or the error, and exits. Also the process of the crash test
//! (`tests/tests/integration/faults_crash.rs`).
//!
//! Environment: `FRESHTOKEN_TOKEN_URL` (the token endpoint), `FRESHTOKEN_STORE` (the file),
//! and `FRESHTOKEN_THEN`: unset to exit after printing; `wait` to wait, after printing, to be
//! killed; `rejected` to treat the token as rejected by the API (a 401) and print the token
//! of the refresh that follows.

use std::process::ExitCode;

use freshtoken::oauth::{ClientAuth, RefreshTokenGrant, Url};
use freshtoken::{FileStore, TokenCache};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let (Ok(url), Ok(store)) = (
        std::env::var("FRESHTOKEN_TOKEN_URL"),
        std::env::var("FRESHTOKEN_STORE"),
    ) else {
        eprintln!("set FRESHTOKEN_TOKEN_URL and FRESHTOKEN_STORE");
        return ExitCode::from(2);
    };
    let url: Url = match url.parse() {
        Ok(url) => url,
        Err(error) => {
            eprintln!("FRESHTOKEN_TOKEN_URL is not a URL: {error}");
            return ExitCode::from(2);
        }
    };
    let cache = TokenCache::builder(RefreshTokenGrant::new(url, ClientAuth::public("cli")))
        .store(FileStore::new(store))
        .build();
    let then = std::env::var("FRESHTOKEN_THEN").unwrap_or_default();
    let mut token = cache.token().await;
    if let (Ok(rejected), "rejected") = (&token, then.as_str()) {
        cache.invalidate(rejected);
        token = cache.token().await;
    }
    match token {
        Ok(token) => {
            // The test's tokens are fakes; printing one is how this process reports.
            println!("{}", token.access_token().expose_secret());
            if then == "wait" {
                // Killed here by the test, right after the refresh.
                std::future::pending::<()>().await;
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
