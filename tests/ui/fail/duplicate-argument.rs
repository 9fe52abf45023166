use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
    backup: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth, cache = self.backup)]
    async fn list(&self, #[token] _token: &AccessToken) -> Result<(), ApiError> {
        Ok(())
    }
}

fn main() {}
