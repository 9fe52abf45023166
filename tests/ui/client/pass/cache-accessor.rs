// `client.cache()` gives back the token cache the client was built with: its stats, and
// `expire_now` to force a refresh on the next call.
use freshtoken_ui_tests::{HourTokens, refused_url};

#[freshtoken::client]
pub trait Tasks {
    #[get("/tasks")]
    async fn list(&self) -> Result<String>;
}

#[tokio::main]
async fn main() {
    let source = HourTokens::default();
    let client = TasksClient::builder(refused_url(), freshtoken::TokenCache::new(source.clone()))
        .build()
        .unwrap();
    let cache: &freshtoken::TokenCache<HourTokens> = client.cache();
    cache.token().await.unwrap();
    client.cache().expire_now();
    client.clone().cache().token().await.unwrap();
    assert_eq!(source.calls(), 2, "the client's cache is the one it was built with");
}
