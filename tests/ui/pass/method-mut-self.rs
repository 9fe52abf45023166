// `&mut self` method that changes a field while the cache is borrowed from another.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};

struct Client {
    auth: Cache,
    calls: u32,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn count(&mut self, #[token] _token: &AccessToken) -> Result<u32, ApiError> {
        self.calls += 1;
        Ok(self.calls)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut client = Client { auth: cache(), calls: 0 };
    client.count().await.unwrap();
    assert_eq!(client.count().await.unwrap(), 2);
}
