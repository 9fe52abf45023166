// Input: tokens built from JWTs whose issuer's clock is off.
// Output: tests that the lifetime holds whatever the clocks say (issue 11, item 10).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use tokio::time::advance;

use crate::{Token, TokenCache, source_fn};

fn secs(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// The local wall clock in whole seconds since the Unix epoch.
fn wall_secs() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

/// A JWT issued "now" by an issuer whose clock is `behind` seconds behind ours, valid for
/// `lifetime` seconds on its clock.
fn jwt_from_issuer_behind(behind: i64, lifetime: i64) -> String {
    let iat = wall_secs() - behind;
    jwt(&json!({ "sub": "someone", "iat": iat, "exp": iat + lifetime }))
}

fn jwt(claims: &serde_json::Value) -> String {
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2lnbmF0dXJl")
}

/// A cache whose source mints a JWT with `mint` on every fetch, and the count of fetches.
fn cache_of(
    mint: impl Fn() -> String + Send + Sync + 'static,
) -> (TokenCache<impl crate::TokenSource>, Arc<AtomicU32>) {
    let fetches = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&fetches);
    let mint = Arc::new(mint);
    let source = source_fn(move |_previous| {
        counted.fetch_add(1, Ordering::SeqCst);
        let access_token = mint();
        async move { Token::builder(access_token).build() }
    });
    (TokenCache::new(source), fetches)
}

/// On main the local clock made a 300 s token last 60 s, and the cache renewed it every 30 s.
#[tokio::test(start_paused = true)]
async fn a_jwt_from_an_issuer_240s_behind_lasts_its_full_lifetime() {
    let token = Token::builder(jwt_from_issuer_behind(240, 300))
        .build()
        .unwrap();
    assert_eq!(token.lifetime(), Some(secs(300)));

    let (cache, fetches) = cache_of(|| jwt_from_issuer_behind(240, 300));
    cache.token().await.unwrap();
    advance(secs(100)).await;
    let token = cache.token().await.unwrap();
    assert_eq!(token.lifetime(), Some(secs(300)));
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "no refresh 100 s into 300"
    );
}

/// On main the cache refused every such token: "the token source returned a token that has
/// already expired", an outage although the API accepts them.
#[tokio::test(start_paused = true)]
async fn a_jwt_from_an_issuer_600s_behind_is_not_refused_as_expired() {
    let (cache, fetches) = cache_of(|| jwt_from_issuer_behind(600, 300));
    let token = cache.token().await.expect("the token is served");
    assert!(!token.is_expired());
    assert_eq!(token.lifetime(), Some(secs(300)));
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

/// Without `iat` skew cannot be told from expiry, so the token is used and a 401 decides.
#[tokio::test(start_paused = true)]
async fn a_jwt_without_iat_whose_exp_is_past_by_our_clock_is_served_with_an_unknown_expiry() {
    let (cache, _fetches) = cache_of(|| jwt(&json!({ "exp": wall_secs() - 300 })));
    let token = cache.token().await.expect("the token is served");
    assert_eq!(token.expires_at(), None);
    assert!(!token.is_expired());
}
