// Every kind of answer, chosen by the `Ok` type as written: nothing, text, bytes, a stream,
// the status and headers with a body, JSON, and JSON whatever the type (`Json<T>`).
use bytes::Bytes;
use freshtoken::client::{Answer, ByteStream, Json};
use freshtoken_ui_tests::{cache, is_refused, refused_url};

#[freshtoken::client]
pub trait Files {
    #[delete("/files/{id}")]
    async fn delete(&self, id: u64) -> Result<()>;

    #[get("/files/{id}/name")]
    async fn name(&self, id: u64) -> Result<String>;

    #[get("/files/{id}")]
    async fn bytes(&self, id: u64) -> Result<Bytes>;

    #[get("/files/{id}")]
    async fn stream(&self, id: u64) -> Result<ByteStream>;

    #[get("/files/{id}/meta")]
    async fn meta(&self, id: u64) -> Result<Answer<serde_json::Value>>;

    #[head("/files/{id}")]
    async fn exists(&self, id: u64) -> Result<Answer<()>>;

    #[get("/files/{id}/raw")]
    async fn raw(&self, id: u64) -> Result<Answer<Bytes>>;

    #[get("/files")]
    async fn list(&self) -> Result<Vec<serde_json::Value>>;

    #[get("/files/sizes")]
    async fn sizes(&self) -> Result<std::collections::HashMap<String, u64>>;

    #[get("/files/{id}/title")]
    async fn title(&self, id: u64) -> Result<Json<String>>;

    #[get("/files/{id}/octets")]
    async fn octets(&self, id: u64) -> Result<freshtoken::client::Json<Vec<u8>>>;

    #[get("/files/{id}/title")]
    async fn titled(&self, id: u64) -> Result<Answer<Json<String>>>;
}

#[tokio::main]
async fn main() {
    let client = FilesClient::builder(refused_url(), cache()).build().unwrap();
    let error = client.stream(1).await.unwrap_err();
    assert!(is_refused(&error), "{error:?}");
    let error = client.meta(1).await.unwrap_err();
    assert!(is_refused(&error), "{error:?}");
}
