use freshtoken::{AccessToken, AuthError, refresh_token};
use freshtoken_ui_tests::Cache;

#[derive(Debug)]
struct MyError;

impl From<AuthError> for MyError {
    fn from(_: AuthError) -> Self {
        MyError
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
