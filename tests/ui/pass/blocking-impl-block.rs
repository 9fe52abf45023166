// On an `impl` block, non-async methods with a `#[token]` parameter are wrapped as blocking
// code beside the async ones; methods without one are left alone.
use std::sync::Arc;

use freshtoken::{AccessToken, Token, TokenCache, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, HourTokens};

struct Client {
    auth: Cache,
    sent: u32,
}

#[refresh_token(cache = self.auth)]
impl Client {
    fn list(&self, #[token] token: &AccessToken) -> Result<String, ApiError> {
        Ok(token.expose_secret().to_owned())
    }

    fn send(&mut self, #[token] token: Arc<Token>) -> Result<u32, ApiError> {
        self.sent += 1;
        Ok(self.sent + u32::from(token.expires_at().is_some()))
    }

    fn header(&self, token: &Token) -> String {
        token.token_type().to_owned()
    }

    #[refresh_token(retry = false)]
    fn upload(&self, body: Vec<u8>, #[token] _token: &AccessToken) -> Result<Vec<u8>, ApiError> {
        Ok(body) // runs once: it may move its argument
    }

    async fn list_async(&self, #[token] token: &AccessToken) -> Result<String, ApiError> {
        Ok(token.expose_secret().to_owned())
    }
}

fn main() {
    let mut client = Client {
        auth: TokenCache::builder(HourTokens::default()).build_with_own_runtime().unwrap(),
        sent: 0,
    };
    assert_eq!(client.list().unwrap(), "access-1");
    assert_eq!(client.send().unwrap(), 2);
    assert_eq!(client.upload(vec![1, 2]).unwrap(), [1, 2]);
    let token = client.auth.blocking_token().unwrap();
    assert_eq!(client.header(&token), "Bearer");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(runtime.block_on(client.list_async()).unwrap(), "access-1");
}
