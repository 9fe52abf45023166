use freshtoken::{AccessToken, refresh_token};
use freshtoken_tests::ui::{ApiError, Cache};

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
