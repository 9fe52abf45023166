use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = )]
    async fn list(&self, #[token] _token: &AccessToken) -> Result<(), ApiError> {
        Ok(())
    }

    #[refresh_token(cache)]
    async fn get(&self, #[token] _token: &AccessToken) -> Result<(), ApiError> {
        Ok(())
    }
}

fn main() {}
