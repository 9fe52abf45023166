//! `#[refresh_token]` methods against real HTTP: a token endpoint and an API, both httpmock
//! servers on 127.0.0.1, counting every request they get.

use std::time::Duration;

use freshtoken::{
    AuthError, AuthErrorKind, Token, TokenCache, Unauthorized, refresh_token, source_fn,
};
use freshtoken_tests::scoped::KeptError;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use reqwest::header::AUTHORIZATION;

#[derive(Debug)]
enum ApiError {
    Auth(AuthError),
    Http(reqwest::Error),
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        Self::Auth(error)
    }
}

impl From<reqwest::Error> for ApiError {
    fn from(error: reqwest::Error) -> Self {
        Self::Http(error)
    }
}

impl Unauthorized for ApiError {
    fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Http(error) if error.is_unauthorized())
    }
}

/// A token source that POSTs to the mock token endpoint and reads `access_token`.
fn token_endpoint(url: String) -> impl freshtoken::TokenSource {
    let http = reqwest::Client::new();
    source_fn(move |_previous: Option<Token>| {
        let request = http.post(url.clone()).send();
        async move {
            let response = request
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(AuthError::refresh_failed)?;
            let body = response.bytes().await.map_err(AuthError::refresh_failed)?;
            let body: serde_json::Value =
                serde_json::from_slice(&body).map_err(AuthError::refresh_failed)?;
            let access = body["access_token"].as_str().unwrap_or_default().to_owned();
            Token::builder(access)
                .expires_in(Duration::from_secs(3600))
                .build()
        }
    })
}

struct TasksClient<S> {
    http: reqwest::Client,
    base_url: String,
    auth: TokenCache<S>,
}

// By hand: `derive(Clone)` would require `S: Clone`, which a `TokenCache` does not need.
impl<S> Clone for TasksClient<S> {
    fn clone(&self) -> Self {
        Self {
            http: self.http.clone(),
            base_url: self.base_url.clone(),
            auth: self.auth.clone(),
        }
    }
}

impl<S: freshtoken::TokenSource> TasksClient<S> {
    #[refresh_token(cache = self.auth)]
    async fn list_tasks(&self, #[token] token: &Token, page: u32) -> Result<String, ApiError> {
        let response = self
            .http
            .get(format!("{}/tasks?page={page}", self.base_url))
            .header(AUTHORIZATION, token.authorization().clone())
            .send()
            .await?
            .error_for_status()?;
        Ok(response.text().await?)
    }
}

/// A mock token endpoint that issues `access`, and a client whose cache starts with
/// `initial` (if any).
async fn setup<'s>(
    server: &'s MockServer,
    access: &str,
    initial: Option<Token>,
) -> (
    httpmock::Mock<'s>,
    TasksClient<impl freshtoken::TokenSource>,
) {
    let issue = server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(200)
                .json_body(serde_json::json!({ "access_token": access, "token_type": "Bearer" }));
        })
        .await;
    let mut cache = TokenCache::builder(token_endpoint(server.url("/token")));
    if let Some(token) = initial {
        cache = cache.token(token);
    }
    let client = TasksClient {
        http: reqwest::Client::new(),
        base_url: server.base_url(),
        auth: cache.build(),
    };
    (issue, client)
}

fn token(access: &str, expires_in: Duration) -> Token {
    Token::builder(access)
        .expires_in(expires_in)
        .build()
        .unwrap()
}

/// The API's `GET /tasks`, answering `status` and `body` to requests that carry `bearer`
/// (to every request when `None`).
async fn tasks_api<'s>(
    server: &'s MockServer,
    bearer: Option<&str>,
    status: u16,
    body: &str,
) -> httpmock::Mock<'s> {
    server
        .mock_async(|when, then| {
            let when = when.method(GET).path("/tasks");
            if let Some(bearer) = bearer {
                when.header("authorization", format!("Bearer {bearer}"));
            }
            then.status(status).body(body);
        })
        .await
}

#[tokio::test]
async fn sends_the_token_as_a_bearer_header() {
    let server = MockServer::start_async().await;
    let api = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/tasks")
                .query_param("page", "2")
                .header("authorization", "Bearer first");
            then.status(200).body("[]");
        })
        .await;
    let (issue, client) = setup(&server, "first", None).await;
    assert_eq!(client.list_tasks(2).await.unwrap(), "[]");
    assert_eq!(client.list_tasks(2).await.unwrap(), "[]");
    assert_eq!((issue.calls_async().await, api.calls_async().await), (1, 2));
}

#[tokio::test]
async fn expired_token_is_refreshed_before_the_call() {
    let server = MockServer::start_async().await;
    let api = tasks_api(&server, Some("fresh"), 200, "[]").await;
    let expired = token("expired", Duration::ZERO);
    let (issue, client) = setup(&server, "fresh", Some(expired)).await;
    client.list_tasks(1).await.unwrap();
    assert_eq!((issue.calls_async().await, api.calls_async().await), (1, 1));
}

#[tokio::test]
async fn a_401_is_answered_by_one_refresh_and_one_retry() {
    let server = MockServer::start_async().await;
    let rejected = tasks_api(&server, Some("revoked"), 401, "").await;
    let accepted = tasks_api(&server, Some("fresh"), 200, "[\"task\"]").await;
    // Revoked on the server while its expiry says it is good for an hour.
    let revoked = token("revoked", Duration::from_secs(3600));
    let (issue, client) = setup(&server, "fresh", Some(revoked)).await;
    assert_eq!(client.list_tasks(1).await.unwrap(), "[\"task\"]");
    assert_eq!(rejected.calls_async().await, 1);
    assert_eq!(issue.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
}

#[tokio::test]
async fn the_retry_after_a_401_runs_in_a_resend_span_with_its_count() {
    let watch = freshtoken_tests::faults::SecretWatch::start();
    let server = MockServer::start_async().await;
    tasks_api(&server, Some("revoked-SPAN-SECRET"), 401, "").await;
    tasks_api(&server, Some("fresh-SPAN-SECRET"), 200, "[]").await;
    let revoked = token("revoked-SPAN-SECRET", Duration::from_secs(3600));
    let (_issue, client) = setup(&server, "fresh-SPAN-SECRET", Some(revoked)).await;

    assert_eq!(client.list_tasks(1).await.unwrap(), "[]");

    let logs = watch.logs();
    // The refresh after the 401 logs inside the resend's span, which names its count; the
    // first attempt's refresh (the given token installed) in no resend span.
    let refreshed = logs
        .lines()
        .filter(|line| line.contains("token refreshed"))
        .collect::<Vec<_>>();
    let resent = refreshed
        .iter()
        .filter(|line| line.contains("freshtoken.resend{"))
        .collect::<Vec<_>>();
    assert_eq!(resent.len(), 1, "{logs}");
    assert!(
        resent[0].contains("freshtoken.resend{http.request.resend_count=1")
            && resent[0].contains("freshtoken.reason=\"unauthorized\"")
            && resent[0].contains("}:freshtoken.refresh{"),
        "{logs}"
    );
    assert!(refreshed.len() > resent.len(), "{logs}");
    watch.assert_none_of(&["SPAN-SECRET".to_owned()]);
}

#[tokio::test]
async fn a_second_401_is_returned_after_exactly_one_retry() {
    let server = MockServer::start_async().await;
    let api = tasks_api(&server, None, 401, "").await;
    let (issue, client) = setup(
        &server,
        "also-rejected",
        Some(token("rejected", Duration::from_secs(3600))),
    )
    .await;
    let error = client.list_tasks(1).await.unwrap_err();
    assert!(error.is_unauthorized(), "{error:?}");
    assert_eq!(api.calls_async().await, 2, "one call, one retry");
    assert_eq!(issue.calls_async().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_on_an_expired_token_make_one_refresh() {
    let server = MockServer::start_async().await;
    let api = tasks_api(&server, Some("fresh"), 200, "[]").await;
    let (issue, client) = setup(&server, "fresh", Some(token("expired", Duration::ZERO))).await;
    let calls: Vec<_> = (0..50)
        .map(|page| {
            let client = client.clone();
            tokio::spawn(async move { client.list_tasks(page).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(issue.calls_async().await, 1);
    assert_eq!(api.calls_async().await, 50);
}

#[tokio::test]
async fn token_endpoint_failure_is_the_methods_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/token");
            then.status(503);
        })
        .await;
    let client = TasksClient {
        http: reqwest::Client::new(),
        base_url: server.base_url(),
        auth: TokenCache::new(token_endpoint(server.url("/token"))),
    };
    let error = client.list_tasks(1).await.unwrap_err();
    assert!(
        matches!(&error, ApiError::Auth(e) if matches!(e.kind(), AuthErrorKind::RefreshFailed { .. })),
        "{error:?}"
    );
}

#[refresh_token(cache = cache)]
async fn delete_task<S: freshtoken::TokenSource>(
    cache: &TokenCache<S>,
    http: &reqwest::Client,
    url: &str,
    #[token] token: &Token,
) -> Result<(), KeptError> {
    let response = http
        .delete(url)
        .header(AUTHORIZATION, token.authorization().clone())
        .send()
        .await
        .expect("the mock server answers");
    if response.status().is_success() {
        return Ok(());
    }
    Err(KeptError::answer(response.status(), response.headers()))
}

#[tokio::test]
async fn a_403_insufficient_scope_steps_up_once_and_runs_the_body_again() {
    use freshtoken_tests::scoped::{INSUFFICIENT_SCOPE, ScopedSource, WRITE};

    let api = MockServer::start_async().await;
    let refused = api
        .mock_async(|when, then| {
            when.header("authorization", "Bearer narrow");
            then.status(403)
                .header("www-authenticate", INSUFFICIENT_SCOPE);
        })
        .await;
    let accepted = api
        .mock_async(|when, then| {
            when.header("authorization", "Bearer wide-1");
            then.status(204);
        })
        .await;
    let source = ScopedSource::default();
    let cache = TokenCache::new(source.clone());
    let http = reqwest::Client::new();

    delete_task(&cache, &http, &api.url("/tasks/1"))
        .await
        .expect("the body's second run has the wider token");

    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
    assert_eq!(source.step_ups(), [["tasks:read", WRITE]]);

    // Refused again with the wider token: the 403 is returned, no second step-up.
    let stubborn = MockServer::start_async().await;
    stubborn
        .mock_async(|_, then| {
            then.status(403)
                .header("www-authenticate", INSUFFICIENT_SCOPE);
        })
        .await;
    let error = delete_task(&cache, &http, &stubborn.url("/tasks/1"))
        .await
        .unwrap_err();
    match error {
        KeptError::Answer(answer) => assert_eq!(answer.status(), 403),
        KeptError::Auth(error) => panic!("the 403 is returned, not {error}"),
    }
    assert_eq!(source.step_ups().len(), 1);
}
