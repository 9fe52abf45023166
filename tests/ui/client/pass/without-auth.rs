// No method is authenticated: the client has no token source parameter and its builder
// takes no cache.
use freshtoken_ui_tests::{is_refused, refused_url};

#[freshtoken::client]
pub trait Status {
    #[get("/health", auth = none)]
    async fn health(&self) -> Result<String>;

    #[get("/version", auth = none)]
    async fn version(&self) -> Result<serde_json::Value>;
}

#[tokio::main]
async fn main() {
    let client: StatusClient = StatusClient::builder(refused_url()).build().unwrap();
    let error = client.health().await.unwrap_err();
    assert!(is_refused(&error), "{error:?}");
}
