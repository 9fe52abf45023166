use freshtoken::refresh_token;
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn list(&self, page: u32) -> Result<u32, ApiError> {
        Ok(page)
    }
}

fn main() {}
