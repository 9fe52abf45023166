// `#[refresh_token]` on a method that takes a token but did not mark it: the error names the
// parameter to mark, rather than asking for a new one.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn list(&self, page: u32, token: &AccessToken) -> Result<String, ApiError> {
        Ok(format!("{page} {}", token.expose_secret()))
    }
}

fn main() {}
