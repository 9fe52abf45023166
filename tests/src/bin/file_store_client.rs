//! One process of the two-process file store test (`tests/tests/file_store_processes.rs`):
//! a client whose cache keeps its token in a shared `FileStore` and refreshes it with a
//! `RefreshTokenGrant`. Prints the access token it got, or the error, and exits.
//!
//! Environment: `FRESHTOKEN_TOKEN_URL` (the token endpoint), `FRESHTOKEN_STORE` (the file).

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
    match cache.token().await {
        Ok(token) => {
            // The test's tokens are fakes; printing one is how this process reports.
            println!("{}", token.access_token().expose_secret());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
