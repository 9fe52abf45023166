// Parameters and methods named by keywords, written as raw identifiers: `{type}` in the path
// is `r#type`, and a query parameter `r#match` is sent as `match`.
use freshtoken_ui_tests::{cache, is_refused, refused_url};

#[freshtoken::client]
pub trait Search {
    #[get("/items/{type}")]
    async fn items(
        &self,
        r#type: &str,
        #[query] r#match: &str,
        #[header("x-ref")] r#ref: u32,
    ) -> Result<serde_json::Value>;

    #[post("/kinds/{in}")]
    async fn r#move(&self, r#in: u32, #[json] r#struct: &serde_json::Value) -> Result<String>;
}

#[tokio::main]
async fn main() {
    let client = SearchClient::builder(refused_url(), cache()).build().unwrap();
    let error = client.items("task", "exact", 1).await.unwrap_err();
    assert!(is_refused(&error), "{error:?}");
    let error = client.r#move(1, &serde_json::json!({})).await.unwrap_err();
    assert!(is_refused(&error), "{error:?}");
}
