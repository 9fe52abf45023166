use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::ApiError;

struct Client {
    auth: String,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn list(&self, #[token] _token: &AccessToken) -> Result<(), ApiError> {
        Ok(())
    }
}

fn main() {}
