// A free function whose cache is one of its parameters, generic over the source.
use freshtoken::{AccessToken, TokenCache, TokenSource, refresh_token};
use freshtoken_ui_tests::{ApiError, cache};

#[refresh_token(cache = auth)]
async fn fetch<S: TokenSource>(auth: &TokenCache<S>, #[token] token: &AccessToken) -> Result<String, ApiError> {
    Ok(token.expose_secret().to_owned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let auth = cache();
    assert_eq!(fetch(&auth).await.unwrap(), "access-1");
}
