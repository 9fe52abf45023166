//! `Unauthorized` for `anyhow::Error` against a real HTTP server (httpmock on 127.0.0.1): a
//! generated client's 401 under `.context(..)` layers is unauthorized and a 403 is not, and
//! a `#[refresh_token]` function returning `anyhow::Result` retries a reqwest 401 once with a
//! new token.

use anyhow::Context as _;
use freshtoken::{Token, TokenCache, TokenSource, Unauthorized, refresh_token};
use freshtoken_tests::client::open_cache;
use httpmock::Method::GET;
use httpmock::MockServer;

/// An API with one authenticated method.
#[freshtoken::client]
pub trait Profile {
    /// The caller's profile.
    #[get("/me")]
    async fn me(&self) -> Result<String, freshtoken::client::Error>;
}

async fn server() -> MockServer {
    // httpmock (0.7 did) may spin in this poll on a spent coop budget; unconstrained, it does not.
    tokio::task::unconstrained(MockServer::start_async()).await
}

/// What the generated client returns for `/me` when the server always answers `status`,
/// wrapped the way an application would.
async fn me_failing_with(status: u16) -> anyhow::Error {
    let server = server().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/me");
            then.status(status).body("no");
        })
        .await;
    let (_source, cache) = open_cache();
    let client = ProfileClient::builder(server.base_url(), cache)
        .build()
        .expect("a valid base URL");
    let error = client
        .me()
        .await
        .expect_err("the server refuses every call");
    anyhow::Error::from(error)
        .context("loading the profile")
        .context("starting the session")
}

#[tokio::test]
async fn a_generated_clients_401_under_context_is_unauthorized() {
    let error = me_failing_with(401).await;
    assert!(error.is_unauthorized(), "{error:#}");
}

#[tokio::test]
async fn a_generated_clients_403_is_not_unauthorized() {
    let error = me_failing_with(403).await;
    assert!(!error.is_unauthorized(), "{error:#}");
}

#[refresh_token(cache = auth)]
async fn me_by_hand<S: TokenSource>(
    auth: &TokenCache<S>,
    http: &reqwest::Client,
    base: &str,
    #[token] token: &Token,
) -> anyhow::Result<String> {
    let response = http
        .get(format!("{base}/me"))
        .header(
            reqwest::header::AUTHORIZATION,
            token.authorization().clone(),
        )
        .send()
        .await
        .context("sending /me")?
        .error_for_status()
        .context("loading the profile")?;
    Ok(response.text().await?)
}

#[tokio::test]
async fn refresh_token_retries_a_reqwest_401_inside_anyhow_once() {
    let server = server().await;
    let rejected = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/me")
                .header("authorization", "Bearer access-1");
            then.status(401);
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/me")
                .header("authorization", "Bearer access-2");
            then.status(200).body("me");
        })
        .await;
    let (source, cache) = open_cache();

    let body = me_by_hand(&cache, &reqwest::Client::new(), &server.base_url())
        .await
        .expect("the retry with the new token is accepted");

    assert_eq!(body, "me");
    assert_eq!(rejected.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
    assert_eq!(source.calls(), 2, "one refresh after the 401");
}
