//! `TokenCaches` over real HTTP and real files: a token endpoint and an API on 127.0.0.1 that
//! know many users (`freshtoken_tests::user_tokens`), each user's partition logging in and
//! renewing with its own rotating refresh token (`freshtoken_tests::user_source`), the server
//! counting each user's requests.

pub mod eviction;
pub mod handles;
pub mod herd;
pub mod many_users;
pub mod restart;
pub mod scopes;
pub mod unserializable_key;

use std::future::Future;
use std::time::Duration;

use freshtoken::{TokenCaches, TokenCachesBuilder};
use freshtoken_tests::user_source::UserSource;
use freshtoken_tests::user_tokens::UserTokenServer;

/// Every wait of these tests: a failing test fails, never hangs.
const BOUND: Duration = Duration::from_secs(20);

/// Tokens that outlive every test.
const HOUR: Duration = Duration::from_secs(3600);

async fn bounded<T>(work: impl Future<Output = T>) -> T {
    tokio::time::timeout(BOUND, work)
        .await
        .expect("the test finished within its bound")
}

/// The name of user `n`.
fn user(n: usize) -> String {
    format!("user-{n}")
}

/// Caches whose partitions log each user in at `server`, with no minimum interval between
/// refreshes (a retry after a 401 gets its new token at once).
fn caches_at(server: &UserTokenServer) -> TokenCachesBuilder<String, UserSource> {
    let http = reqwest::Client::new();
    let token_url = server.token_url();
    TokenCaches::builder(move |user: &String| UserSource::new(user, &token_url, &http))
        .configure(|cache| cache.min_refresh_interval(Duration::ZERO))
}

/// The access token `caches` gives `user`, as text.
async fn token_of(caches: &TokenCaches<String, UserSource>, user: &str) -> String {
    caches
        .token(&user.to_owned())
        .await
        .unwrap_or_else(|error| panic!("a token for {user}: {error}"))
        .access_token()
        .expose_secret()
        .to_owned()
}

/// The access token the server issued to `user` last.
fn latest_of(server: &UserTokenServer, user: &str) -> String {
    server
        .requests(user)
        .latest_access_token
        .unwrap_or_else(|| panic!("the server issued {user} a token"))
}
