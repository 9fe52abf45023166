// `self: Arc<Self>` receiver, and a cache reached through the `Arc`.
use std::sync::Arc;

use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn shared(self: Arc<Self>, #[token] token: &AccessToken) -> Result<usize, ApiError> {
        Ok(token.expose_secret().len() + Arc::strong_count(&self))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Arc::new(Client { auth: cache() });
    assert_eq!(client.shared().await.unwrap(), "access-1".len() + 1);
}
