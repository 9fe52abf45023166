//! `freshtoken::testing` used as a user would, against a small generated client over a real
//! HTTP server (httpmock on 127.0.0.1): the scripted source's tokens reach the server, one
//! retry after a 401 is asserted, and one refresh for many concurrent calls.

use std::time::Duration;

use freshtoken::TokenCache;
use freshtoken::testing::{ScriptedSource, assert_one_refresh_for, assert_one_retry_after_401};
use httpmock::Method::GET;
use httpmock::MockServer;

/// The user's SDK.
#[freshtoken::client]
pub trait Profile {
    /// The caller's name.
    #[get("/me")]
    async fn me(&self) -> Result<String>;
}

async fn server() -> MockServer {
    // httpmock (0.7 did) may spin in this poll on a spent coop budget; unconstrained, it does not.
    tokio::task::unconstrained(MockServer::start_async()).await
}

#[tokio::test]
async fn the_kit_asserts_one_retry_after_a_401_against_a_generated_client() {
    let server = server().await;
    let refused = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/me")
                .header("authorization", "Bearer old");
            then.status(401);
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/me")
                .header("authorization", "Bearer new");
            then.status(200).body("ada");
        })
        .await;
    let source = ScriptedSource::new()
        .then_token("old", Duration::from_secs(300))
        .then_token("new", Duration::from_secs(300));
    let cache = TokenCache::builder(source.clone())
        .min_refresh_interval(Duration::ZERO)
        .build();
    let client = ProfileClient::builder(server.base_url(), cache.clone())
        .build()
        .expect("a valid base URL");

    let name = assert_one_retry_after_401(&cache, client.me()).await;
    assert_eq!(name, "ada");
    assert_eq!(source.calls(), 2);
    assert_eq!(
        (refused.calls_async().await, accepted.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn the_kit_fails_a_call_whose_second_token_is_refused_too() {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/me");
            then.status(401);
        })
        .await;
    let source = ScriptedSource::new().then_issuing("token-", Duration::from_secs(300));
    let cache = TokenCache::builder(source)
        .min_refresh_interval(Duration::ZERO)
        .build();
    let client = ProfileClient::builder(server.base_url(), cache.clone())
        .build()
        .expect("a valid base URL");
    // Every token refused: the assertion must fail, and say the call failed.
    let outcome = tokio::spawn(async move {
        assert_one_retry_after_401(&cache, client.me()).await;
    })
    .await;
    let panic = outcome.expect_err("the assertion fails").into_panic();
    let message = panic
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.contains("the call failed") && message.contains("401"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_kit_asserts_one_refresh_for_concurrent_callers_of_a_clients_cache() {
    let source = ScriptedSource::new()
        .then_issuing("token-", Duration::from_secs(300))
        .with_delay(Duration::from_millis(20));
    let cache = TokenCache::new(source.clone());
    let client = ProfileClient::builder("http://127.0.0.1:9", cache)
        .build()
        .expect("a valid base URL");
    let token = assert_one_refresh_for(client.cache(), 64).await;
    assert_eq!(token.access_token().expose_secret(), "token-1");
    assert_eq!(source.calls(), 1);
}
