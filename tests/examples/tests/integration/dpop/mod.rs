//! DPoP-bound tokens (RFC 9449) through every way freshtoken sends a token, against the
//! reference server's real checks: proofs verified (signature, method, URL, `iat`, `jti`
//! replay, `ath`, the key's thumbprint against the token's `cnf.jkt`), nonces required and
//! rotated, refresh tokens of public clients bound.

mod grants;
mod integrations;
mod nonces;
mod tokens;

use freshtoken::TokenCache;
use freshtoken::dpop::DpopKey;
use freshtoken::oauth::{ClientAuth, PasswordGrant, Url};
use freshtoken_examples::server::{
    self, DEMO_PUBLIC_CLIENT_ID, DpopConfig, RunningServer, ServerConfig,
};
use freshtoken_examples::trait_sdk::TasksClient;

/// A server with `dpop` as its DPoP settings (its clock the system's: proofs carry the
/// real time).
async fn server_with(dpop: DpopConfig) -> RunningServer {
    server::start(ServerConfig {
        dpop,
        ..ServerConfig::default()
    })
    .await
    .expect("the reference server starts")
}

/// alice's password login at `server` as the public demo client, proving possession of
/// `key`.
fn login(server: &RunningServer, key: &DpopKey) -> PasswordGrant {
    let token_url: Url = format!("{}/oauth/token", server.base_url())
        .parse()
        .unwrap();
    PasswordGrant::new(
        token_url,
        ClientAuth::public(DEMO_PUBLIC_CLIENT_ID),
        "alice",
        "wonderland",
    )
    .dpop(key.clone())
}

/// A cache of alice's tokens at `server`, bound to `key`.
fn cache(server: &RunningServer, key: &DpopKey) -> TokenCache<PasswordGrant> {
    TokenCache::builder(login(server, key)).build()
}

/// The generated Tasks client at `server` over `cache`.
fn tasks_client(
    server: &RunningServer,
    cache: &TokenCache<PasswordGrant>,
) -> TasksClient<PasswordGrant> {
    TasksClient::builder(server.base_url(), cache.clone())
        .build()
        .expect("the base URL is valid")
}
