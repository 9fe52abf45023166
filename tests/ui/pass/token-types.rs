// The `#[token]` parameter by reference and by value: `&AccessToken`, `AccessToken`,
// `&Token`, `Token`, `Arc<Token>`; `mut` is allowed.
use std::sync::Arc;

use freshtoken::{AccessToken, Token, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};

struct Client {
    auth: Cache,
}

#[refresh_token(cache = self.auth)]
impl Client {
    async fn by_ref(&self, #[token] token: &AccessToken) -> Result<String, ApiError> {
        Ok(token.expose_secret().to_owned())
    }

    async fn by_value(&self, #[token] token: AccessToken) -> Result<String, ApiError> {
        Ok(token.expose_secret().to_owned())
    }

    async fn whole(&self, #[token] token: &Token) -> Result<String, ApiError> {
        Ok(token.authorization().to_str().unwrap().to_owned())
    }

    async fn owned(&self, #[token] mut token: Token) -> Result<String, ApiError> {
        token = token.clone();
        Ok(token.token_type().to_owned())
    }

    async fn shared(&self, #[token] token: Arc<Token>) -> Result<usize, ApiError> {
        Ok(Arc::strong_count(&token))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Client { auth: cache() };
    assert_eq!(client.by_ref().await.unwrap(), "access-1");
    assert_eq!(client.by_value().await.unwrap(), "access-1");
    assert_eq!(client.whole().await.unwrap(), "Bearer access-1");
    assert_eq!(client.owned().await.unwrap(), "Bearer");
    assert!(client.shared().await.unwrap() >= 2);
}
