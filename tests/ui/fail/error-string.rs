// A foreign error type: `String` cannot get `From<AuthError>` or `Unauthorized` in this crate.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::Cache;

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    async fn list(&self, #[token] _token: &AccessToken) -> Result<(), String> {
        Ok(())
    }
}

fn main() {}
