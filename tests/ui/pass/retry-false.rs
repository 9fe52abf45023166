// `retry = false`: the body runs once, so it may consume its arguments, and the error type
// need not implement `Unauthorized`.
use freshtoken::{AccessToken, AuthError, refresh_token};
use freshtoken_ui_tests::{Cache, cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth, retry = false)]
    async fn upload(&self, body: Vec<u8>, #[token] _token: &AccessToken) -> Result<Vec<u8>, AuthError> {
        Ok(body)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Client { auth: cache() };
    assert_eq!(client.upload(vec![1, 2]).await.unwrap(), [1, 2]);
}
