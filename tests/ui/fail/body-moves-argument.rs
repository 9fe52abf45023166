// With retry on, the body may run twice, so it cannot consume an argument.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn upload(&self, body: Vec<u8>, #[token] _token: &AccessToken) -> Result<Vec<u8>, ApiError> {
        Ok(body)
    }
}

fn main() {}
