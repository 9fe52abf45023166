// `self` by value: the body borrows it, so it can run twice.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};

struct Client {
    auth: Cache,
    name: String,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn into_greeting(self, #[token] _token: &AccessToken) -> Result<String, ApiError> {
        Ok(format!("hello {}", self.name))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Client { auth: cache(), name: "tasks".into() };
    assert_eq!(client.into_greeting().await.unwrap(), "hello tasks");
}
