// A wrapped function that nothing calls is still reported as dead code.
#![deny(dead_code)]

use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache};

#[refresh_token(cache = auth)]
async fn never_called(auth: &Cache, #[token] _token: &AccessToken) -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
