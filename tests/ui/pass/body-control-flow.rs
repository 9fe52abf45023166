// `?`, early `return`, and inner attributes in the body behave as in an unwrapped fn.
use freshtoken::{AccessToken, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};

struct Client {
    auth: Cache,
}

fn parse(input: &str) -> Result<u32, ApiError> {
    input.parse().map_err(|_| ApiError::Status(http::StatusCode::BAD_REQUEST))
}

impl Client {
    /// Docs and other attributes stay on the method.
    #[must_use = "the count is the point"]
    #[refresh_token(cache = self.auth)]
    async fn count(&self, input: &str, #[token] _token: &AccessToken) -> Result<u32, ApiError> {
        #![allow(clippy::needless_return)]
        if input.is_empty() {
            return Ok(0);
        }
        let n = parse(input)?;
        return Ok(n + 1);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Client { auth: cache() };
    assert_eq!(client.count("").await.unwrap(), 0);
    assert_eq!(client.count("41").await.unwrap(), 42);
    assert!(matches!(client.count("x").await, Err(ApiError::Status(_))));
}
