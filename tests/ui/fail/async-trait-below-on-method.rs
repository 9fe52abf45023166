// A method's own `#[refresh_token]` inside an `#[async_trait]` impl always expands after
// `#[async_trait]` has boxed the method.
use async_trait::async_trait;
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

#[async_trait]
trait TasksApi {
    async fn list(&self) -> Result<String, ApiError>;
}

struct Client {
    auth: Cache,
}

#[async_trait]
impl TasksApi for Client {
    #[refresh_token(cache = self.auth)]
    async fn list(&self, #[token] token: &AccessToken) -> Result<String, ApiError> {
        Ok(token.expose_secret().to_owned())
    }
}

fn main() {}
