//! The code `#[freshtoken::client]` generates is lint-neutral.
//!
//! This module is user-like code under the strictest lints, with a trait that uses every
//! parameter kind, answer kind and option, and CI builds it with `clippy -D warnings`.

#![deny(
    warnings,
    unused,
    unused_qualifications,
    unused_results,
    unreachable_pub,
    clippy::all,
    clippy::pedantic,
    clippy::nursery
)]
#![allow(clippy::missing_errors_doc)] // the subject is generated code, not these docs

use std::collections::BTreeMap;

use bytes::Bytes;
use freshtoken::client::{
    Answer, ByteStream, CallOptions, Events, Json, Multipart, Pages, Streamed,
};
use freshtoken_ui_tests::cache;
use httpmock::Method::GET;
use httpmock::MockServer;

/// A streamed body's opener.
pub type OpenBody = fn() -> Result<reqwest::Body, String>;

/// The SDK's error.
#[derive(Debug)]
pub enum SdkError {
    /// A failed call.
    Client(freshtoken::client::Error),
}

impl From<freshtoken::client::Error> for SdkError {
    fn from(error: freshtoken::client::Error) -> Self {
        Self::Client(error)
    }
}

/// Whether the API refused the token: a 422 that says so.
fn token_refused(error: &freshtoken::client::Error) -> bool {
    error.status().is_some_and(|status| status == 422)
        && error.body().is_some_and(|body| body.contains("token"))
}

/// A Tasks API, in every form the attribute accepts.
#[freshtoken::client(error = SdkError, name = TasksSdk, unauthorized = [401, 498])]
pub trait Tasks {
    /// One task of a project.
    #[get("/projects/{project}/tasks/{id}")]
    #[header("accept", "application/json")]
    async fn task(
        &self,
        project: &str,
        id: u64,
        #[query] fields: &[&str],
        #[query("v")] version: Option<u32>,
        #[header("x-request-id")] request_id: u64,
        #[header("x-trace")] trace: Option<&str>,
    ) -> Result<serde_json::Value>;

    /// Tasks matching `filters`.
    #[get("/tasks", timeout = "2s")]
    async fn search(
        &self,
        #[query(flatten)] filters: &BTreeMap<&str, String>,
    ) -> Result<Vec<serde_json::Value>>;

    /// Adds a task.
    #[post("/tasks")]
    async fn create(&self, #[json] task: &serde_json::Value) -> Result<Answer<serde_json::Value>>;

    /// Replaces a task's fields.
    #[put("/tasks/{id}")]
    async fn replace(&self, id: u64, #[form] fields: &[(&str, &str)]) -> Result<()>;

    /// Sets a task's note.
    #[patch("/tasks/{id}/note")]
    async fn note(&self, id: u64, #[body] text: String) -> Result<String>;

    /// Uploads bytes.
    #[put("/files/{name}")]
    async fn upload(&self, name: &str, #[body] data: Bytes) -> Result<Bytes>;

    /// Uploads a stream.
    #[put("/streams/{name}")]
    async fn upload_stream(&self, name: &str, #[body] data: &Streamed<OpenBody>) -> Result<()>;

    /// Uploads a form.
    #[post("/forms")]
    async fn upload_form(&self, #[multipart] form: &Multipart) -> Result<()>;

    /// Downloads a file.
    #[get("/files/{name}")]
    async fn download(&self, name: &str) -> Result<ByteStream>;

    /// Whether a file exists.
    #[head("/files/{name}", auth = none)]
    async fn exists(&self, name: &str) -> Result<Answer<()>>;

    /// Items of a type.
    #[get("/items/{type}", auth = bearer, timeout = "500ms")]
    async fn items(&self, r#type: &str, #[query] r#match: &str) -> Result<String>;

    /// A task's title, a JSON string, from an endpoint that refuses a token its own way.
    #[get("/tasks/{id}/title", unauthorized = token_refused)]
    async fn title(&self, id: u64) -> Result<Json<String>>;

    /// A task's changes, as JSON events.
    #[get("/tasks/{id}/changes")]
    async fn changes(&self, id: u64) -> Result<Events<serde_json::Value>>;

    /// The server's log, as text events.
    #[get("/log", timeout = "1m")]
    async fn log(&self, #[query] since: Option<&str>) -> Result<Events>;

    /// The server's health, with the client's own error.
    #[delete("/health", auth = none)]
    async fn health(&self) -> Result<(), freshtoken::client::Error>;

    /// Every task, page by page, after a cursor.
    #[get(
        "/tasks",
        paginate = cursor(field = "/next", param = "after", items = "/tasks", max_pages = 50)
    )]
    async fn all(&self, #[query] limit: u32) -> Result<Pages<serde_json::Value>>;

    /// Every file, by page number.
    #[get("/files", auth = none, paginate = page(param = "p", start = 0, limit = "n"))]
    async fn files(&self, #[query] n: u32) -> Result<Pages<String>, freshtoken::client::Error>;
}

/// A client with no authenticated method.
#[freshtoken::client]
pub trait Status {
    /// The server's version.
    #[get("/version", auth = none)]
    async fn version(&self) -> Result<String>;
}

#[tokio::test]
async fn a_generated_client_calls_with_every_parameter_kind() {
    let server = MockServer::start_async().await;
    let task = server
        .mock_async(|when, then| {
            _ = when
                .method(GET)
                .path("/v2/projects/a%20b/tasks/7")
                .query_param("fields", "title")
                .query_param("fields", "done")
                .query_param("v", "3")
                .header("authorization", "Bearer access-1")
                .header("accept", "application/json")
                .header("x-request-id", "42")
                .header("x-trace", "t-1");
            _ = then
                .status(200)
                .header("content-type", "application/json")
                .body(r#"{"id":7}"#);
        })
        .await;
    let client = TasksSdk::builder(server.url("/v2"), cache())
        .build()
        .expect("an http URL on 127.0.0.1 is a base URL");

    let body = client
        .with(CallOptions::new())
        .task("a b", 7, &["title", "done"], Some(3), 42, Some("t-1"))
        .await
        .expect("the mock answers the request it was given");

    assert_eq!(body, serde_json::json!({ "id": 7 }));
    task.assert_async().await;
    let status = StatusClient::builder(server.url("/")).build();
    assert!(status.is_ok(), "{status:?}");
}
