use freshtoken::{Token, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn list(&self, #[token] Token { .. }: Token) -> Result<(), ApiError> {
        Ok(())
    }
}

fn main() {}
