// Generics, lifetimes and a `where` clause on the method and on the impl are kept.
use std::fmt::Display;

use freshtoken::{AccessToken, TokenCache, TokenSource, refresh_token};
use freshtoken_ui_tests::{ApiError, cache};

struct Client<S> {
    auth: TokenCache<S>,
}

impl<S> Client<S>
where
    S: TokenSource,
{
    #[refresh_token(cache = self.auth)]
    async fn describe<'a, T>(&self, item: &'a T, #[token] _token: &AccessToken) -> Result<&'a T, ApiError>
    where
        T: Display + Sync,
    {
        let _shown = item.to_string();
        Ok(item)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = Client { auth: cache() };
    assert_eq!(*client.describe(&42).await.unwrap(), 42);
}
