// Input: a user's cache (and a call of their SDK through it).
// Output: a panic with what went wrong and what to look at, unless the cache refreshed once
// for many callers, or the call got a new token once after a 401.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::{Token, TokenCache, TokenSource};

/// Expires the cache's token (if it has one), lets `callers` tasks ask for a token at the
/// same moment, and checks that they all got the same new token from one call of the source.
/// Returns that token.
///
/// Give the source a delay (a [`ScriptedSource`](super::ScriptedSource) `with_delay`) so the
/// callers find the refresh in flight, as they would over a network.
///
/// ```
/// use std::time::Duration;
///
/// use freshtoken::TokenCache;
/// use freshtoken::testing::{ScriptedSource, assert_one_refresh_for};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let source = ScriptedSource::new()
///     .then_issuing("token-", Duration::from_secs(600))
///     .with_delay(Duration::from_millis(100));
/// let cache = TokenCache::new(source.clone());
/// cache.token().await.unwrap();
///
/// let token = assert_one_refresh_for(&cache, 50).await;
/// assert_eq!(token.access_token().expose_secret(), "token-2");
/// assert_eq!(source.calls(), 2);
/// # }
/// ```
///
/// # Panics
/// If a caller got an error or another token than the others, or the source was called
/// more or less than once; the message says which. Also if `callers` is zero, or a caller's
/// task panicked.
pub async fn assert_one_refresh_for<S: TokenSource>(
    cache: &TokenCache<S>,
    callers: usize,
) -> Arc<Token> {
    assert!(
        callers > 0,
        "assert_one_refresh_for: give at least one caller"
    );
    cache.expire_now();
    let before = cache.stats().refreshes;
    let start = Arc::new(Barrier::new(callers));
    let mut tasks = JoinSet::new();
    for caller in 1..=callers {
        let (cache, start) = (cache.clone(), Arc::clone(&start));
        tasks.spawn(async move {
            start.wait().await;
            (caller, cache.token().await)
        });
    }
    let mut first: Option<Arc<Token>> = None;
    while let Some(joined) = tasks.join_next().await {
        let (caller, result) = joined.expect("a caller's task panicked");
        let token = result.unwrap_or_else(|error| {
            panic!("caller {caller} of {callers} got an error instead of a token: {error}")
        });
        match &first {
            None => first = Some(token),
            Some(first) => assert!(
                first.is_same(&token),
                "caller {caller} of {callers} got another token than the others: more than one refresh ran"
            ),
        }
    }
    let refreshes = cache.stats().refreshes - before;
    assert_eq!(
        refreshes, 1,
        "{callers} callers of an expired cache made {refreshes} calls of the token source, not 1"
    );
    first.expect("at least one caller")
}

/// Runs `call` (a call of your SDK, through a client over `cache`, against a server that
/// refuses the first token with 401 and accepts the next) and checks that it succeeded after
/// exactly one new token: two calls of the source from an empty cache, one from a cache that
/// held a token. Returns the call's value.
///
/// That the new token is the one the server accepted is the mock server's part: have it
/// answer 200 only to `Bearer` and the second token, as in the guide's chapter on testing.
///
/// # Panics
/// If the call failed, or the source was called another number of times; the message says
/// which and what to check.
pub async fn assert_one_retry_after_401<S, T, E, F>(cache: &TokenCache<S>, call: F) -> T
where
    S: TokenSource,
    E: Display,
    F: Future<Output = Result<T, E>>,
{
    let held = cache.cached();
    let before = cache.stats().refreshes;
    let value = match call.await {
        Ok(value) => value,
        Err(error) => panic!(
            "the call failed, where one retry with a new token should have succeeded: {error}"
        ),
    };
    let expected = if held.is_some() { 1 } else { 2 };
    let refreshes = cache.stats().refreshes - before;
    assert!(
        refreshes == expected,
        "the call made {refreshes} calls of the token source, not {expected} ({}): {}",
        if held.is_some() {
            "the cache held a token, so one new token after the 401"
        } else {
            "the cache was empty, so a first token and a new one after the 401"
        },
        if refreshes < expected {
            "no new token after the 401: does the server answer 401 (or what the client treats as a refused token) to the first token?"
        } else {
            "more than one new token: is the second token refused too?"
        }
    );
    if let (Some(held), Some(now)) = (held, cache.cached()) {
        assert!(
            !held.is_same(&now),
            "the cache still serves the token the server refused"
        );
    }
    value
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::testing::ScriptedSource;

    #[tokio::test(start_paused = true)]
    async fn one_refresh_for_many_callers_passes_and_returns_the_token() {
        let source = ScriptedSource::new()
            .then_token("t1", Duration::from_secs(60))
            .with_delay(Duration::from_millis(50));
        let cache = TokenCache::new(source.clone());
        let token = assert_one_refresh_for(&cache, 20).await;
        assert_eq!(token.access_token().expose_secret(), "t1");
        assert_eq!(source.calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "got an error instead of a token")]
    async fn a_failed_refresh_fails_the_assertion() {
        let source = ScriptedSource::new().then_error(crate::AuthError::refresh_failed("down"));
        assert_one_refresh_for(&TokenCache::new(source), 3).await;
    }

    #[tokio::test(start_paused = true)]
    async fn one_retry_after_401_counts_the_first_token_of_an_empty_cache() {
        let cache =
            TokenCache::builder(ScriptedSource::new().then_issuing("t", Duration::from_secs(60)))
                .min_refresh_interval(Duration::ZERO)
                .build();
        // What a client does on a 401: the first token refused, a new one asked for.
        let value = assert_one_retry_after_401(&cache, async {
            let first = cache.token().await?;
            cache.invalidate(&first);
            let second = cache.token().await?;
            Ok::<_, crate::AuthError>(second.access_token().expose_secret().to_owned())
        })
        .await;
        assert_eq!(value, "t2");
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "no new token after the 401")]
    async fn a_call_without_a_retry_fails_the_assertion() {
        let cache =
            TokenCache::new(ScriptedSource::new().then_issuing("t", Duration::from_secs(60)));
        assert_one_retry_after_401(&cache, async { cache.token().await.map(|_| ()) }).await;
    }
}
