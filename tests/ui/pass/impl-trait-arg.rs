// `impl Trait` arguments stay as they are.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn search(&self, terms: impl IntoIterator<Item = &str> + Clone, #[token] _token: &AccessToken) -> Result<String, ApiError> {
        Ok(terms.clone().into_iter().collect::<Vec<_>>().join("+"))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Client { auth: cache() };
    assert_eq!(client.search(["a", "b"]).await.unwrap(), "a+b");
}
