// A type error in the body is reported in the body, not at the attribute.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn list(&self, #[token] _token: &AccessToken) -> Result<u32, ApiError> {
        let count: u32 = "many";
        Ok(count)
    }
}

fn main() {}
