use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::Cache;

#[derive(Debug)]
struct MyError;

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth, retry = false)]
    async fn list(&self, #[token] _token: &AccessToken) -> Result<(), MyError> {
        Ok(())
    }
}

fn main() {}
