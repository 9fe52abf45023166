// A foreign error type: `reqwest::Error` cannot get `From<AuthError>` in this crate.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::Cache;

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn list(&self, #[token] _token: &AccessToken) -> Result<(), reqwest::Error> {
        Ok(())
    }
}

fn main() {}
