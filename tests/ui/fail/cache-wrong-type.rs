use freshtoken::{AccessToken, refresh_token};
use freshtoken_tests::ui::ApiError;

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
