//! The code `#[refresh_token]` generates is lint-neutral: this module is user-like code
//! under the strictest lints, and CI builds it with `clippy -D warnings`.

#![deny(
    warnings,
    unused,
    unused_qualifications,
    unused_results,
    unreachable_pub,
    clippy::all,
    clippy::pedantic,
    clippy::nursery
)]
#![allow(clippy::missing_errors_doc)] // the subject is generated code, not these docs

use std::sync::Arc;

use freshtoken::{AccessToken, AuthError, Token, TokenCache, TokenSource, refresh_token};
use freshtoken_ui_tests::{ApiError, Cache, cache};

struct Client {
    auth: Cache,
    calls: u32,
}

#[refresh_token(cache = self.auth)]
impl Client {
    async fn by_ref(&self, id: u32, #[token] token: &AccessToken) -> Result<String, ApiError> {
        Ok(format!("{id}:{}", token.expose_secret()))
    }

    async fn by_value(&mut self, #[token] token: Token) -> Result<usize, ApiError> {
        self.calls += 1;
        Ok(token.token_type().len())
    }

    async fn shared(self: Arc<Self>, #[token] token: Arc<Token>) -> Result<bool, ApiError> {
        Ok(token.expires_at().is_some())
    }

    #[refresh_token(retry = false)]
    async fn once(&self, body: Vec<u8>, #[token] _token: &Token) -> Result<Vec<u8>, AuthError> {
        Ok(body)
    }

    fn blocking(&self, id: u32, #[token] token: &AccessToken) -> Result<String, ApiError> {
        Ok(format!("{id}:{}", token.expose_secret()))
    }

    fn blocking_mut(&mut self, #[token] token: Token) -> Result<usize, ApiError> {
        self.calls += 1;
        Ok(token.token_type().len())
    }

    #[refresh_token(retry = false)]
    fn blocking_once(&self, body: Vec<u8>, #[token] _token: &Token) -> Result<Vec<u8>, AuthError> {
        Ok(body)
    }
}

#[refresh_token(cache = auth)]
async fn free<S: TokenSource>(
    auth: &TokenCache<S>,
    #[token] token: &AccessToken,
) -> Result<usize, ApiError> {
    Ok(token.expose_secret().len())
}

#[refresh_token(cache = auth)]
fn free_blocking<S: TokenSource>(
    auth: &TokenCache<S>,
    #[token] token: &AccessToken,
) -> Result<usize, ApiError> {
    Ok(token.expose_secret().len())
}

#[test]
fn every_blocking_form_compiles_cleanly_and_runs() {
    let mut client = Client {
        auth: TokenCache::builder(freshtoken_ui_tests::HourTokens::default())
            .build_with_own_runtime()
            .unwrap(),
        calls: 0,
    };
    assert_eq!(client.blocking(1).unwrap(), "1:access-1");
    assert_eq!(client.blocking_mut().unwrap(), "Bearer".len());
    assert_eq!(client.blocking_once(vec![1]).unwrap(), [1]);
    assert_eq!(free_blocking(&client.auth).unwrap(), "access-1".len());
    assert_eq!(client.calls, 1);
}

#[tokio::test]
async fn every_form_compiles_cleanly_and_runs() {
    let mut client = Client {
        auth: cache(),
        calls: 0,
    };
    assert_eq!(client.by_ref(1).await.unwrap(), "1:access-1");
    assert_eq!(client.by_value().await.unwrap(), "Bearer".len());
    assert_eq!(client.once(vec![1]).await.unwrap(), [1]);
    assert_eq!(free(&client.auth).await.unwrap(), "access-1".len());
    assert_eq!(client.calls, 1);
    assert!(Arc::new(client).shared().await.unwrap());
}
