// A trait whose futures must be `Send`, implemented with wrapped methods, on an `impl` block
// and on a single method.
use std::future::Future;

use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};

trait TasksApi {
    fn count(&self) -> impl Future<Output = Result<usize, ApiError>> + Send;
    fn name(&self) -> impl Future<Output = Result<String, ApiError>> + Send;
}

struct Client {
    auth: Cache,
}

#[refresh_token(cache = self.auth)]
impl TasksApi for Client {
    async fn count(&self, #[token] token: &AccessToken) -> Result<usize, ApiError> {
        Ok(token.expose_secret().len())
    }

    async fn name(&self) -> Result<String, ApiError> {
        Ok("tasks".into())
    }
}

struct Other {
    auth: Cache,
}

impl TasksApi for Other {
    #[refresh_token(cache = self.auth)]
    async fn count(&self, #[token] _token: &AccessToken) -> Result<usize, ApiError> {
        Ok(0)
    }

    async fn name(&self) -> Result<String, ApiError> {
        Ok("other".into())
    }
}

#[tokio::main]
async fn main() {
    let client = std::sync::Arc::new(Client { auth: cache() });
    let count = tokio::spawn({
        let client = client.clone();
        async move { client.count().await }
    });
    assert_eq!(count.await.unwrap().unwrap(), "access-1".len());
    assert_eq!(client.name().await.unwrap(), "tasks");
    assert_eq!(Other { auth: cache() }.count().await.unwrap(), 0);
}
