// The blocking expansion checks the return type where it is written, as the async one does.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::Cache;

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    fn list(&self, #[token] _token: &AccessToken) -> Option<u32> {
        Some(1)
    }
}

fn main() {}
