// The return type is a `Result` under an alias, as SDKs often write it.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};

type ApiResult<T> = Result<T, ApiError>;

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn ping(&self, #[token] _token: &AccessToken) -> ApiResult<&'static str> {
        Ok("pong")
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Client { auth: cache() };
    assert_eq!(client.ping().await.unwrap(), "pong");
}
