// `#[async_trait]` above `#[refresh_token]` runs first and turns the `async fn`s into fns
// returning `Pin<Box<dyn Future>>`, which `#[refresh_token]` cannot wrap.
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
#[refresh_token(cache = self.auth)]
impl TasksApi for Client {
    async fn list(&self, #[token] token: &AccessToken) -> Result<String, ApiError> {
        Ok(token.expose_secret().to_owned())
    }
}

fn main() {}
