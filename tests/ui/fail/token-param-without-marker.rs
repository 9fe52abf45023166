// On an `impl` block, an `async fn` with a token-typed parameter but no `#[token]` would be
// left unwrapped, and its callers would have to pass the token.
use std::sync::Arc;

use freshtoken::{AccessToken, Token, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

#[refresh_token(cache = self.auth)]
impl Client {
    async fn list(&self, page: u32, token: &AccessToken) -> Result<String, ApiError> {
        Ok(format!("{page}:{}", token.expose_secret()))
    }

    async fn shared(&self, token: Arc<Token>) -> Result<bool, ApiError> {
        Ok(token.expires_at().is_some())
    }

    async fn owned(&self, token: freshtoken::Token) -> Result<bool, ApiError> {
        Ok(token.expires_at().is_some())
    }

    // Wrapped: not reported.
    async fn marked(&self, #[token] token: &Token) -> Result<bool, ApiError> {
        Ok(token.expires_at().is_some())
    }

    // A sync helper cannot be wrapped, so taking the token from its caller is intended.
    fn header(&self, token: &Token) -> String {
        token.token_type().to_owned()
    }
}

fn main() {}
