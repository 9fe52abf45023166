// `&self` method; the `#[token]` parameter sits between others and vanishes for callers.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn get(&self, id: u32, #[token] token: &AccessToken, suffix: &str) -> Result<String, ApiError> {
        Ok(format!("{id}{suffix} with {}", token.expose_secret()))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Client { auth: cache() };
    assert_eq!(client.get(7, "!").await.unwrap(), "7! with access-1");
}
