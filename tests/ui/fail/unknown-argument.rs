use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth, retries = 3)]
    async fn list(&self, #[token] _token: &AccessToken) -> Result<(), ApiError> {
        Ok(())
    }
}

fn main() {}
