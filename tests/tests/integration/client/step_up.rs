//! A generated client after a 403 `insufficient_scope` (httpmock on 127.0.0.1): one step-up
//! through the cache and one resend with the wider token; one step-up for a hundred callers;
//! a resource that keeps refusing costs one step-up, not one per call; other 403s are
//! returned as they are; a method whose `unauthorized` statuses include 403 still steps up
//! after an `insufficient_scope` one.

use freshtoken::Unauthorized;
use freshtoken_tests::client::cache_over;
use freshtoken_tests::scoped::{INSUFFICIENT_SCOPE, ScopedSource, WRITE};
use httpmock::Method::DELETE;
use httpmock::MockServer;

/// An API with one route that needs more scope than a first login gives.
#[freshtoken::client]
pub trait Scoped {
    /// Needs `tasks:write`.
    #[delete("/tasks/{id}")]
    async fn delete_task(&self, id: u32) -> Result<(), freshtoken::client::Error>;

    /// Needs `tasks:write`; a 403 otherwise means a refused token.
    #[delete("/tasks/{id}", unauthorized = [401, 403])]
    async fn delete_task_refusing_with_403(&self, id: u32)
    -> Result<(), freshtoken::client::Error>;
}

async fn server() -> MockServer {
    tokio::task::unconstrained(MockServer::start_async()).await
}

fn client(server: &MockServer, source: &ScopedSource) -> ScopedClient<ScopedSource> {
    ScopedClient::builder(server.base_url(), cache_over(source.clone()))
        .build()
        .expect("a valid base URL")
}

#[tokio::test]
async fn a_403_insufficient_scope_steps_up_once_and_resends_with_the_wider_token() {
    let server = server().await;
    let refused = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/tasks/7")
                .header("authorization", "Bearer narrow");
            then.status(403)
                .header("www-authenticate", INSUFFICIENT_SCOPE);
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/tasks/7")
                .header("authorization", "Bearer wide-1");
            then.status(204);
        })
        .await;
    let source = ScopedSource::default();
    let client = client(&server, &source);

    client.delete_task(7).await.expect("the resend is accepted");

    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
    assert_eq!(source.step_ups(), [["tasks:read", WRITE]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_calls_refused_for_scope_make_one_step_up() {
    let server = server().await;
    let refused = server
        .mock_async(|when, then| {
            when.header("authorization", "Bearer narrow");
            then.status(403)
                .header("www-authenticate", INSUFFICIENT_SCOPE);
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.header("authorization", "Bearer wide-1");
            then.status(204);
        })
        .await;
    let source = ScopedSource::default();
    let client = client(&server, &source);
    client.cache().token().await.expect("the first login");

    let calls = (0..100).map(|id| {
        let client = client.clone();
        tokio::spawn(async move { client.delete_task(id).await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap()
            .expect("every call succeeds after the step-up");
    }

    assert_eq!(source.step_ups().len(), 1, "one authorization for all");
    assert_eq!(accepted.calls_async().await, 100);
    assert!(refused.calls_async().await <= 100);
}

#[tokio::test]
async fn a_resource_that_keeps_refusing_costs_one_step_up_and_returns_its_403() {
    let server = server().await;
    let refused = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(403)
                .header("www-authenticate", INSUFFICIENT_SCOPE)
                .body("no");
        })
        .await;
    let source = ScopedSource::default();
    let client = client(&server, &source);

    for _ in 0..3 {
        let error = client.delete_task(1).await.unwrap_err();
        assert_eq!(error.status(), Some(http::StatusCode::FORBIDDEN), "{error}");
        assert_eq!(error.insufficient_scope(), Some(vec![WRITE.to_owned()]));
        let challenge = error.challenge().expect("the 403's challenge is kept");
        assert_eq!(challenge.error_description(), Some("needs write"));
    }

    assert_eq!(
        source.step_ups().len(),
        1,
        "no step-up once the scope was asked for"
    );
    assert_eq!(
        refused.calls_async().await,
        4,
        "two attempts, then one per call"
    );
}

#[tokio::test]
async fn a_403_without_insufficient_scope_is_returned_without_a_step_up() {
    let server = server().await;
    let refused = server
        .mock_async(|when, then| {
            when.method(DELETE);
            then.status(403)
                .header("www-authenticate", r#"Bearer error="invalid_token""#);
        })
        .await;
    let source = ScopedSource::default();
    let client = client(&server, &source);

    let error = client.delete_task(1).await.unwrap_err();

    assert_eq!(error.status(), Some(http::StatusCode::FORBIDDEN));
    assert_eq!(error.insufficient_scope(), None);
    assert!(source.step_ups().is_empty());
    assert_eq!(refused.calls_async().await, 1);
}

#[tokio::test]
async fn a_403_insufficient_scope_steps_up_where_403_also_means_a_refused_token() {
    let server = server().await;
    let refused = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/tasks/7")
                .header("authorization", "Bearer narrow");
            then.status(403)
                .header("www-authenticate", INSUFFICIENT_SCOPE);
        })
        .await;
    let accepted = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/tasks/7")
                .header("authorization", "Bearer wide-1");
            then.status(204);
        })
        .await;
    let source = ScopedSource::default();
    let client = client(&server, &source);

    client
        .delete_task_refusing_with_403(7)
        .await
        .expect("the resend with the wider token is accepted");

    assert_eq!(refused.calls_async().await, 1);
    assert_eq!(accepted.calls_async().await, 1);
    assert_eq!(
        source.step_ups(),
        [["tasks:read", WRITE]],
        "a step-up, not a new token of the same scopes"
    );
}
