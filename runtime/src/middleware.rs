//! A [reqwest-middleware](reqwest_middleware) middleware that keeps the bearer token of every
//! request fresh: [`BearerAuth`].
//!
//! For a stack that already exists (`reqwest_middleware::ClientWithMiddleware`): the
//! middleware sets `Authorization` from a [`TokenCache`], and after a 401 invalidates the
//! token it sent and sends the request once more with a new one, by the same policy as
//! [`refresh_token`](crate::refresh_token) and the generated clients.

// Input: a request on its way down a reqwest-middleware stack.
// Output: the response to it, sent with a token from the cache; after a 401, the response to
// one more attempt with a new token, when the request could be copied before the first.

use std::fmt;
use std::ops::ControlFlow;

use http::{Extensions, StatusCode, header::AUTHORIZATION};
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

use crate::__private::Call;
use crate::attempt_failure::AttemptFailure;
use crate::{TokenCache, TokenSource};

/// Sets `Authorization: Bearer <token>` on each request from a [`TokenCache`], and after a
/// 401 invalidates that token and sends the request once more with a new one.
///
/// An `Authorization` header already on the request is replaced.
///
/// # Place in the stack: inside the retry middleware
///
/// Add `BearerAuth` **after** (inside) a retry middleware such as reqwest-retry's
/// `RetryTransientMiddleware`. Each attempt the retry middleware makes then passes through
/// `BearerAuth` and gets a fresh token (a token can expire during a backoff), and a 401 is
/// handled here, with a new token, rather than blindly resent by the retry policy with the
/// token that was just rejected.
///
/// ```
/// use freshtoken::middleware::BearerAuth;
/// use freshtoken::{Token, TokenCache, source_fn};
/// use reqwest_middleware::ClientBuilder;
/// use reqwest_retry::{RetryTransientMiddleware, policies::ExponentialBackoff};
///
/// let cache = TokenCache::new(source_fn(|_previous| async {
///     Token::builder("issued-access-token").build() // a real source calls the token endpoint
/// }));
/// let retry = ExponentialBackoff::builder().build_with_max_retries(3);
/// let http = ClientBuilder::new(reqwest::Client::new())
///     .with(RetryTransientMiddleware::new_with_policy(retry)) // outside: first
///     .with(BearerAuth::new(cache)) // inside: each attempt gets a fresh token
///     .build();
/// # async fn call(http: reqwest_middleware::ClientWithMiddleware) -> reqwest_middleware::Result<()> {
/// let tasks = http.get("https://tasks.example/tasks").send().await?;
/// # let _ = tasks; Ok(()) }
/// # let _ = call(http);
/// ```
///
/// # Streaming bodies are not retried
///
/// The retry after a 401 sends a copy of the request taken before the first attempt. A
/// request whose body is a stream (`reqwest::Body::wrap_stream`) cannot be copied: after a
/// 401 its token is still invalidated (the next request gets a new one), but the 401 is
/// returned to the caller, who must make the body again to retry.
///
/// # Errors
///
/// When no token can be had, the request is not sent and the middleware returns
/// `reqwest_middleware::Error::Middleware` wrapping the [`AuthError`](crate::AuthError) (find it with
/// `anyhow::Error::downcast_ref::<freshtoken::AuthError>()`); its text never holds a secret.
///
/// # With a generated client
///
/// A client of [`#[freshtoken::client]`](macro@crate::client) already sets the token and
/// retries after a 401: give its [`Builder::middleware_client`](crate::client::Builder) a
/// stack **without** `BearerAuth`.
pub struct BearerAuth<S> {
    cache: TokenCache<S>,
}

impl<S> BearerAuth<S> {
    /// A middleware that takes its tokens from `cache` (a cheap clone of a cache shared with
    /// the rest of the program is fine: they refresh together).
    #[must_use]
    pub fn new(cache: TokenCache<S>) -> Self {
        Self { cache }
    }

    /// The token cache.
    #[must_use]
    pub fn cache(&self) -> &TokenCache<S> {
        &self.cache
    }
}

impl<S> fmt::Debug for BearerAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth").finish_non_exhaustive()
    }
}

type Failure = AttemptFailure<reqwest_middleware::Error>;

#[async_trait::async_trait]
impl<S: TokenSource> Middleware for BearerAuth<S> {
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let mut policy = Call::new(&self.cache);
        // The request of the next attempt: a copy taken before each send, since sending
        // consumes it; `None` once a streaming body could not be copied.
        let mut request = Some(request);
        let mut rejected: Option<Response> = None;
        loop {
            let attempt = match policy.token().await {
                Err(error) => Err(error),
                Ok(token) => {
                    let Some(mut this) = request.take() else {
                        return Err(lost("the request"));
                    };
                    request = this.try_clone();
                    this.headers_mut()
                        .insert(AUTHORIZATION, token.authorization().clone());
                    let result = match next.clone().run(this, extensions).await {
                        Ok(response) if response.status() == StatusCode::UNAUTHORIZED => {
                            rejected = Some(response);
                            Err(Failure::Rejected)
                        }
                        Ok(response) => Ok(response),
                        Err(error) => Err(Failure::Below(error)),
                    };
                    Ok((token, result))
                }
            };
            match policy.finish(attempt) {
                // The policy has invalidated the rejected token and asks for one more
                // attempt; without a copy of the request, the caller gets the 401 instead.
                ControlFlow::Continue(()) if request.is_some() => {}
                ControlFlow::Continue(()) | ControlFlow::Break(Err(Failure::Rejected)) => {
                    return rejected.take().ok_or_else(|| lost("the 401 response"));
                }
                ControlFlow::Break(Ok(response)) => return Ok(response),
                ControlFlow::Break(Err(Failure::Below(error))) => return Err(error),
                ControlFlow::Break(Err(Failure::NoToken(error))) => {
                    return Err(reqwest_middleware::Error::Middleware(
                        anyhow::Error::new(error).context("no bearer token for the request"),
                    ));
                }
            }
        }
    }
}

/// An error for a state the loop above never reaches, rather than a panic in a caller's
/// request.
fn lost(what: &str) -> reqwest_middleware::Error {
    reqwest_middleware::Error::Middleware(anyhow::anyhow!(
        "freshtoken's BearerAuth lost {what} between attempts; this is a bug, please report it"
    ))
}
