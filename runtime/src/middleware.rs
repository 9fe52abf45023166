//! A [reqwest-middleware](reqwest_middleware) middleware that keeps the bearer token of every
//! request fresh: [`BearerAuth`].
//!
//! For a stack that already exists (`reqwest_middleware::ClientWithMiddleware`): the
//! middleware sets `Authorization` from a [`TokenCache`] on requests to the API's origin, and
//! after a 401 from there invalidates the token it sent and sends the request once more with
//! a new one, by the same policy as [`refresh_token`](crate::refresh_token) and the generated
//! clients. After a 403 whose `WWW-Authenticate: Bearer` challenge says `insufficient_scope`,
//! it steps up once ([`TokenCache::step_up_for`]: one new authorization with wider scopes for
//! every caller) and sends the request once more. Requests to any other origin pass through
//! untouched.

// Input: a request on its way down a reqwest-middleware stack.
// Output: for a request to a bound origin, the response to it sent with a token from the
// cache; after a 401, the response to one more attempt with a new token, when the request
// could be copied before the first. For a request to another origin, the response of the
// stack below, as it is.

use std::fmt;
use std::ops::ControlFlow;

use http::{Extensions, StatusCode};
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};
use tracing::Instrument;

use crate::__private::Call;
use crate::attempt_failure::{AttemptFailure, insufficient_scope};
use crate::authorization::{answered, authorize};
use crate::origin::Origins;
use crate::{OriginError, TokenCache, TokenSource};

/// Sets `Authorization: Bearer <token>` from a [`TokenCache`] on each request to the API's
/// origin, and after a 401 from there invalidates that token and sends the request once more
/// with a new one.
///
/// # Bound to its origins
///
/// The middleware is made for one API: [`new`](BearerAuth::new) takes its URL, and
/// [`also_for`](BearerAuth::also_for) adds more. Only the origin counts (scheme, host and
/// port, compared after normalisation: `https://API.example.com:443/v1` is
/// `https://api.example.com`), so a base URL with a path will do.
///
/// - A request to one of those origins gets the token; an `Authorization` header already on
///   it is replaced.
/// - A request to **any other origin** passes through untouched: no token is added, and an
///   `Authorization` header the caller set is left as it is. Its 401 is returned as it is:
///   the token is not invalidated and nothing is retried, since another server's refusal says
///   nothing about the API's token. The same holds for a 401 from another origin that a
///   request to the API was redirected to (reqwest follows redirects below the middleware,
///   and drops `Authorization` when one leaves the origin).
///
/// ```
/// use freshtoken::middleware::BearerAuth;
/// use freshtoken::{Token, TokenCache, source_fn};
///
/// let cache = TokenCache::new(source_fn(|_previous| async { Token::builder("t").build() }));
/// let auth = BearerAuth::new(cache, "https://api.example.com/v1")?
///     .also_for("https://uploads.example.com")?;
/// # let _ = auth;
/// # Ok::<(), freshtoken::OriginError>(())
/// ```
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
///     .with(BearerAuth::new(cache, "https://tasks.example")?) // inside: each attempt gets a fresh token
///     .build();
/// # async fn call(http: reqwest_middleware::ClientWithMiddleware) -> reqwest_middleware::Result<()> {
/// let tasks = http.get("https://tasks.example/tasks").send().await?;
/// # let _ = tasks; Ok(()) }
/// # let _ = call(http);
/// # Ok::<(), freshtoken::OriginError>(())
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
/// `anyhow::Error::downcast_ref::<freshtoken::AuthError>()`). Its text, even plain `{}`,
/// says why: `no bearer token for the request: ` and the `AuthError`'s message, which never
/// holds a secret.
///
/// # With a generated client
///
/// A client of [`#[freshtoken::client]`](macro@crate::client) already sets the token and
/// retries after a 401, so its [`Builder::middleware_client`](crate::client::Builder) needs a
/// stack without `BearerAuth`. One that has it anyway (a stack shared with other code) does
/// no harm: the client marks the requests it sends, and `BearerAuth` passes them through
/// untouched, so a call still makes one token request and at most one retry after a 401.
pub struct BearerAuth<S> {
    cache: TokenCache<S>,
    origins: Origins,
}

/// Put in the extensions of every request a generated client sends through a middleware
/// stack: the client has set the token and applies the retry policy itself, and a
/// `BearerAuth` below doing both again would double the retries and the token requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenSetByClient;

impl<S> BearerAuth<S> {
    /// A middleware for the API at `origin` (its base URL, or just
    /// `scheme://host[:port]`) that takes its tokens from `cache` (a cheap clone of a cache
    /// shared with the rest of the program is fine: they refresh together).
    ///
    /// # Errors
    /// [`OriginError`] when `origin` is not an absolute `http(s)` URL, or has credentials, a
    /// query or a fragment.
    pub fn new(cache: TokenCache<S>, origin: impl AsRef<str>) -> Result<Self, OriginError> {
        Ok(Self {
            cache,
            origins: Origins::parse(origin.as_ref())?,
        })
    }

    /// Sends the token to `origin` too (another host of the same API, such as an upload
    /// host), and acts on its 401s.
    ///
    /// # Errors
    /// As [`new`](BearerAuth::new).
    pub fn also_for(mut self, origin: impl AsRef<str>) -> Result<Self, OriginError> {
        self.origins = self.origins.and(origin.as_ref())?;
        Ok(self)
    }

    /// The token cache.
    #[must_use]
    pub fn cache(&self) -> &TokenCache<S> {
        &self.cache
    }
}

impl<S> fmt::Debug for BearerAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("origins", &self.origins)
            .finish_non_exhaustive()
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
        if !self.origins.contains_url(request.url())
            || extensions.get::<TokenSetByClient>().is_some()
        {
            return next.run(request, extensions).await;
        }
        let mut policy = Call::new(&self.cache);
        // The request of the next attempt: a copy taken before each send, since sending
        // consumes it; `None` once a streaming body could not be copied.
        let mut request = Some(request);
        let mut rejected: Option<Response> = None;
        loop {
            // A resend's span covers its token (the refresh after a 401) and its send.
            let span = policy.span();
            let attempt = match policy.token().instrument(span.clone()).await {
                Err(error) => Err(error),
                Ok(token) => {
                    let Some(mut this) = request.take() else {
                        return Err(lost("the request"));
                    };
                    request = this.try_clone();
                    // A bound token's proof names the method and URL; a bearer token's
                    // request copies neither.
                    let target = token
                        .is_dpop_bound()
                        .then(|| (this.method().clone(), this.url().clone()));
                    let sent = authorize(&token, target, this.headers_mut()).map_err(no_token)?;
                    let result = match next.clone().run(this, extensions).instrument(span).await {
                        // A 401 from where a redirect below led (reqwest follows them) is
                        // not the API's verdict on the token.
                        Ok(response)
                            if response.status() == StatusCode::UNAUTHORIZED
                                && self.origins.contains_url(response.url()) =>
                        {
                            let demand =
                                answered(&token, &sent, response.status(), response.headers());
                            rejected = Some(response);
                            Err(Failure::Rejected(demand))
                        }
                        Ok(response) if self.origins.contains_url(response.url()) => {
                            // Keeps a bound token's next nonce.
                            answered(&token, &sent, response.status(), response.headers());
                            match insufficient_scope(response.status(), response.headers()) {
                                Some(scopes) => {
                                    rejected = Some(response);
                                    Err(Failure::InsufficientScope(scopes))
                                }
                                None => Ok(response),
                            }
                        }
                        Ok(response) => Ok(response),
                        Err(error) => Err(Failure::Below(error)),
                    };
                    Ok((token, result))
                }
            };
            match policy.finish(attempt) {
                // The policy has invalidated the rejected token (or will step up) and asks for
                // one more attempt; without a copy of the request, the caller gets the 401 or
                // 403 instead.
                ControlFlow::Continue(()) if request.is_some() => {}
                ControlFlow::Continue(())
                | ControlFlow::Break(Err(Failure::Rejected(_) | Failure::InsufficientScope(_))) => {
                    return rejected.take().ok_or_else(|| lost("the refused response"));
                }
                ControlFlow::Break(Ok(response)) => return Ok(response),
                ControlFlow::Break(Err(Failure::Below(error))) => return Err(error),
                ControlFlow::Break(Err(Failure::NoToken(error))) => return Err(no_token(error)),
            }
        }
    }
}

/// The middleware's error when no token (or no proof for it) could be had.
fn no_token(error: crate::AuthError) -> reqwest_middleware::Error {
    // The cause goes in the message too: `reqwest_middleware::Error`'s `Display` shows the
    // outermost context alone, whatever the flags.
    let message = format!("no bearer token for the request: {error}");
    reqwest_middleware::Error::Middleware(anyhow::Error::new(error).context(message))
}

/// An error for a state the loop above never reaches, rather than a panic in a caller's
/// request.
fn lost(what: &str) -> reqwest_middleware::Error {
    reqwest_middleware::Error::Middleware(anyhow::anyhow!(
        "freshtoken's BearerAuth lost {what} between attempts; this is a bug, please report it"
    ))
}
