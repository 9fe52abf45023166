use freshtoken::{AccessToken, Unauthorized, refresh_token};
use freshtoken_ui_tests::Cache;

#[derive(Debug)]
struct MyError;

impl Unauthorized for MyError {
    fn is_unauthorized(&self) -> bool {
        false
    }
}

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn list(&self, #[token] _token: &AccessToken) -> Result<(), MyError> {
        Ok(())
    }
}

fn main() {}
