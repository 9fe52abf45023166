// A non-async free function: the token is blocked on, for code with no runtime
// (`reqwest::blocking`, ureq); here the cache brings a runtime of its own for its refreshes.
use freshtoken::{AccessToken, TokenCache, TokenSource, refresh_token};
use freshtoken_ui_tests::{ApiError, HourTokens};

#[refresh_token(cache = auth)]
fn fetch<S: TokenSource>(auth: &TokenCache<S>, page: u32, #[token] token: &AccessToken) -> Result<String, ApiError> {
    if page == 0 {
        return Ok(String::new()); // `return` ends the attempt, as in an async body
    }
    Ok(format!("{page}:{}", token.expose_secret()))
}

fn main() {
    let auth = TokenCache::builder(HourTokens::default()).build_with_own_runtime().unwrap();
    assert_eq!(fetch(&auth, 2).unwrap(), "2:access-1");
    assert_eq!(fetch(&auth, 0).unwrap(), "");
}
