use freshtoken::refresh_token;
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn list(&self, #[token] token: &str) -> Result<usize, ApiError> {
        Ok(token.len())
    }
}

fn main() {}
