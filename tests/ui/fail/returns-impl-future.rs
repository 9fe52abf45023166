// A non-async fn is wrapped as blocking code; one that returns a future it builds by hand is
// async code, and is told to be written as `async fn`.
use std::future::Future;

use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

struct Client {
    auth: Cache,
}

impl Client {
    #[refresh_token(cache = self.auth)]
    fn list(&self, #[token] _token: &AccessToken) -> impl Future<Output = Result<(), ApiError>> {
        async { Ok(()) }
    }
}

fn main() {}
