// A blocking body may run twice too, so it cannot move an argument out.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    fn upload(&self, body: Vec<u8>, #[token] _token: &AccessToken) -> Result<Vec<u8>, ApiError> {
        Ok(body)
    }
}

fn main() {}
