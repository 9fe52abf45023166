use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn list(&self, #[token] _a: &AccessToken, #[token] _b: &AccessToken) -> Result<(), ApiError> {
        Ok(())
    }
}

fn main() {}
