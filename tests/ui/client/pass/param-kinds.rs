// Every kind of parameter: path, query (plain, renamed, optional, repeated, flattened),
// header (plain, optional), and each body: JSON, form, bytes or text, streamed, multipart.
use std::collections::BTreeMap;

use bytes::Bytes;
use freshtoken::client::{Multipart, Streamed};
use freshtoken_ui_tests::{cache, is_refused, refused_url};

type OpenBody = fn() -> Result<reqwest::Body, String>;

#[freshtoken::client]
pub trait Tasks {
    #[get("/projects/{project}/tasks/{id}")]
    async fn task(&self, project: &str, id: u64) -> Result<serde_json::Value>;

    #[get("/tasks")]
    async fn search(
        &self,
        #[query] text: &str,
        #[query("per_page")] per_page: u32,
        #[query] done: Option<bool>,
        #[query] tags: &[&str],
        #[query(flatten)] filters: &BTreeMap<&str, String>,
        #[header("x-request-id")] request_id: u64,
        #[header("x-trace")] trace: Option<&str>,
    ) -> Result<serde_json::Value>;

    #[post("/tasks")]
    async fn create(&self, #[json] task: &serde_json::Value) -> Result<serde_json::Value>;

    #[put("/tasks/{id}")]
    async fn replace(&self, id: u64, #[form] fields: &[(&str, &str)]) -> Result<()>;

    #[patch("/tasks/{id}/note")]
    async fn note(&self, id: u64, #[body] text: &str) -> Result<()>;

    #[put("/files/a")]
    async fn upload_slice(&self, #[body] data: &[u8]) -> Result<()>;

    #[put("/files/b")]
    async fn upload_vec(&self, #[body] data: Vec<u8>) -> Result<()>;

    #[put("/files/c")]
    async fn upload_bytes(&self, #[body] data: Bytes) -> Result<()>;

    #[put("/files/d")]
    async fn upload_string(&self, #[body] data: String) -> Result<()>;

    #[put("/files/e")]
    async fn upload_stream(&self, #[body] data: &Streamed<OpenBody>) -> Result<()>;

    #[post("/files")]
    async fn upload_form(&self, #[multipart] form: &Multipart) -> Result<()>;
}

#[tokio::main]
async fn main() {
    let client = TasksClient::builder(refused_url(), cache()).build().unwrap();
    let filters = BTreeMap::from([("owner", "ana".to_owned())]);
    let error = client
        .search("report", 20, None, &["a", "b"], &filters, 7, Some("t-1"))
        .await
        .unwrap_err();
    assert!(is_refused(&error), "{error:?}");
    let open: OpenBody = || Ok(reqwest::Body::from("streamed"));
    let error = client.upload_stream(&Streamed::new(open)).await.unwrap_err();
    assert!(is_refused(&error), "{error:?}");
    let form = Multipart::new().text("title", "report");
    let error = client.upload_form(&form).await.unwrap_err();
    assert!(is_refused(&error), "{error:?}");
}
