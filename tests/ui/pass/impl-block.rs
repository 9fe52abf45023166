// On an `impl` block: async fns with a `#[token]` parameter are wrapped, the rest are left
// alone, and a method's own attribute overrides the block's.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};

struct Client {
    auth: Cache,
}

#[refresh_token(cache = self.auth)]
impl Client {
    async fn list(&self, #[token] token: &AccessToken) -> Result<String, ApiError> {
        Ok(token.expose_secret().to_owned())
    }

    async fn unwrapped(&self) -> u32 {
        1
    }

    fn sync_helper(&self) -> u32 {
        2
    }

    #[refresh_token(retry = false)]
    async fn upload(&self, body: String, #[token] _token: &AccessToken) -> Result<String, ApiError> {
        Ok(body)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Client { auth: cache() };
    assert_eq!(client.list().await.unwrap(), "access-1");
    assert_eq!(client.unwrapped().await + client.sync_helper(), 3);
    assert_eq!(client.upload("data".into()).await.unwrap(), "data");
}
