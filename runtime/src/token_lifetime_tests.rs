// Input: tokens built from JWTs whose issuer's clock is off, and tokens received earlier.
// Output: tests that the lifetime holds whatever the clocks say, and that a token rebuilt
// with its receipt time keeps its lifetime and deadline (issue 11, items 10 and 16).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use tokio::time::{Instant, advance};

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

/// Before the fix the local clock made a 300 s token last 60 s, renewed every 30 s.
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

/// Before the fix the cache refused every such token ("the token source returned a token
/// that has already expired"): an outage, although the API accepts them.
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

#[tokio::test(start_paused = true)]
async fn a_token_received_100s_ago_keeps_its_300s_lifetime_and_expires_in_200s() {
    let received = SystemTime::now() - secs(100);
    let now = Instant::now();
    let from_expires_in = Token::builder("opaque")
        .received_at(received)
        .expires_in(secs(300))
        .build()
        .unwrap();
    // exp alone is judged by the local clock, from the receipt.
    let exp = received.duration_since(UNIX_EPOCH).unwrap().as_secs_f64() + 300.0;
    let from_exp = Token::builder(jwt(&json!({ "exp": exp })))
        .received_at(received)
        .build()
        .unwrap();
    let iat = wall_secs() - 1000; // issuer 900 s behind
    let from_iat = Token::builder(jwt(&json!({ "iat": iat, "exp": iat + 300 })))
        .received_at(received)
        .build()
        .unwrap();

    for token in [from_expires_in, from_exp, from_iat] {
        let lifetime = token.lifetime().unwrap();
        // The wall clock runs on while the paused monotonic one stands still.
        assert!(
            lifetime.abs_diff(secs(300)) < Duration::from_millis(100),
            "{lifetime:?}"
        );
        let ago = now - token.received_at();
        assert!(ago.abs_diff(secs(100)) < secs(1), "received {ago:?} ago");
        let left = token.expires_at().unwrap() - now;
        assert!(left.abs_diff(secs(200)) < secs(1), "expires in {left:?}");
    }
}

/// The saving host's clock ahead of ours, or ours set back: the receipt counts as now.
#[tokio::test(start_paused = true)]
async fn a_receipt_time_in_the_future_counts_as_now() {
    let token = Token::builder("opaque")
        .received_at(SystemTime::now() + secs(3600))
        .expires_in(secs(300))
        .build()
        .unwrap();
    assert_eq!(token.received_at(), Instant::now());
    assert_eq!(token.expires_at(), Some(Instant::now() + secs(300)));
}
