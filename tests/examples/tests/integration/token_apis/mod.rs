//! freshtoken's configured token API sources (`JsonLogin`, `JsonRefresh`; no hand-written
//! `TokenSource`) against the reference server's token APIs in the shapes of real backends,
//! over real HTTP: one module per shape, and the secret watch over all of them.

mod cookie;
mod fastapi;
mod flask;
mod keys;
mod refresh_only;
mod secret_watch;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use freshtoken::oauth::Url;
use freshtoken::{Token, TokenCache, TokenSource};
use freshtoken_examples::server::{Clock, ServerConfig};
use serde_json::Value;

use crate::common::{Answer, Oauth};

/// How many callers ask for a token at once when it has expired.
const HERD: usize = 100;

/// The server, its clock standing still at the present: some shapes answer when the token
/// expires on the wall clock, which the client counts from its own.
async fn start() -> Oauth {
    Oauth::start_with_clock(ServerConfig::default(), Clock::manual(SystemTime::now())).await
}

fn url(oauth: &Oauth, path: &str) -> Url {
    format!("{}{path}", oauth.base_url).parse().unwrap()
}

/// A cache over `source` that may call it again at once: the default spacing of calls
/// (one second) would make each refresh after `expire_now` wait.
fn cache<S: TokenSource>(source: S) -> TokenCache<S> {
    TokenCache::builder(source)
        .min_refresh_interval(Duration::ZERO)
        .build()
}

fn refresh_token_of(token: &Token) -> String {
    token
        .refresh_token()
        .expect("the token has a refresh token")
        .expose_secret()
        .to_owned()
}

/// Expires the cache's token, then asks for one from [`HERD`] callers at once: each gets
/// the same new token, which it answers.
async fn herd_at_expiry<S: TokenSource>(cache: &TokenCache<S>) -> Arc<Token> {
    cache.expire_now();
    let calls = (0..HERD).map(|_| cache.token());
    let tokens: Vec<Arc<Token>> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let first = Arc::clone(&tokens[0]);
    for token in &tokens {
        assert_eq!(
            token.access_token().expose_secret(),
            first.access_token().expose_secret(),
            "the callers got different tokens"
        );
    }
    first
}

/// POSTs `body` as JSON to `path`, with extra `headers`.
async fn post_json(oauth: &Oauth, path: &str, body: &Value, headers: &[(&str, &str)]) -> Answer {
    let mut request = oauth
        .http
        .post(format!("{}{path}", oauth.base_url))
        .json(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Answer::of(request.send().await.unwrap()).await
}

/// GETs `path` with `Authorization: Bearer <access token>`.
async fn get_with_bearer(oauth: &Oauth, path: &str, access_token: &str) -> Answer {
    let request = oauth
        .http
        .get(format!("{}{path}", oauth.base_url))
        .bearer_auth(access_token);
    Answer::of(request.send().await.unwrap()).await
}
