// `#[refresh_token]` above `#[async_trait]` on an impl block: it expands first, while the
// methods are still `async fn`s, and leaves `#[async_trait]` on the block to box the wrapped
// futures (which must be `Send`).
use async_trait::async_trait;
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};
use http::StatusCode;

#[async_trait]
trait TasksApi {
    async fn list(&self) -> Result<String, ApiError>;
    async fn upload(&self, body: String) -> Result<String, ApiError>;
    async fn name(&self) -> String;
}

struct Client {
    auth: Cache,
}

#[refresh_token(cache = self.auth)]
#[async_trait]
impl TasksApi for Client {
    // Rejects the first token, so the call shows the 401 retry working through the boxing.
    async fn list(&self, #[token] token: &AccessToken) -> Result<String, ApiError> {
        match token.expose_secret() {
            "access-1" => Err(ApiError::Status(StatusCode::UNAUTHORIZED)),
            other => Ok(other.to_owned()),
        }
    }

    #[refresh_token(retry = false)]
    async fn upload(&self, body: String, #[token] _token: &AccessToken) -> Result<String, ApiError> {
        Ok(body)
    }

    async fn name(&self) -> String {
        "tasks".into()
    }
}

#[tokio::main]
async fn main() {
    let client: std::sync::Arc<dyn TasksApi + Send + Sync> =
        std::sync::Arc::new(Client { auth: cache() });
    let list = tokio::spawn({
        let client = client.clone();
        async move { client.list().await }
    });
    assert_eq!(list.await.unwrap().unwrap(), "access-2");
    assert_eq!(client.upload("data".into()).await.unwrap(), "data");
    assert_eq!(client.name().await, "tasks");
}
