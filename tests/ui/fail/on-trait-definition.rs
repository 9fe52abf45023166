use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::ApiError;

#[refresh_token(cache = self.auth)]
trait TasksApi {
    async fn list(&self, #[token] token: &AccessToken) -> Result<(), ApiError>;
}

fn main() {}
