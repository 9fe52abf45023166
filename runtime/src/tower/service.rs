// Input: a request on its way to an inner `http` service (a hyper-util client, a tonic
// channel).
// Output: the inner service's response to it. A request to a bound origin is sent with a
// token from the cache; after a 401 or a gRPC UNAUTHENTICATED, the response is that of one more
// attempt with a new token, when the request body could be read whole before the first. A
// request to another origin is passed on as it is.

use std::fmt;
use std::future::{Future, poll_fn};
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;
use tracing::Instrument;
use url::Url;

use super::no_token::no_token_error;
use super::prefetch::Attempts;
use super::replay::ReplayBody;
use super::response_body::{Invalidate, ResponseBody};
use super::unauthenticated::{is_grpc, rejects_token};
use super::{BoxError, DEFAULT_REPLAY_LIMIT};
use crate::__private::Call;
use crate::attempt_failure::AttemptFailure;
use crate::authorization::{answered, authorize};
use crate::origin::Origins;
use crate::{NonceDemand, OriginError, Token, TokenCache, TokenSource};

/// A service that sets `Authorization: Bearer <token>` from a [`TokenCache`] on each request
/// to the API's origin, and after a 401 or a gRPC `UNAUTHENTICATED` from there invalidates
/// that token and, when the request body is replayable, sends the request once more with a
/// new one. Requests to other origins pass through untouched.
///
/// Made by [`BearerLayer`](super::BearerLayer); see the [module docs](super) for which
/// requests count as the API's, which are retried, and for examples.
pub struct BearerService<I, S> {
    inner: I,
    cache: TokenCache<S>,
    origins: Origins,
    /// The first origin, `scheme://host:port`: what a bound token's proof names for a
    /// request without an authority (`/pkg.Svc/Call` through a tonic channel).
    base: Arc<str>,
    replay_limit: usize,
}

impl<I, S> BearerService<I, S> {
    /// Wraps `inner`, with tokens from `cache` for the API at `origin`, as
    /// [`BearerLayer::new`](super::BearerLayer::new) does.
    ///
    /// # Errors
    /// [`OriginError`] when `origin` is not an absolute `http(s)` URL, or has credentials, a
    /// query or a fragment.
    pub fn new(
        inner: I,
        cache: TokenCache<S>,
        origin: impl AsRef<str>,
    ) -> Result<Self, OriginError> {
        Ok(Self::with_options(
            inner,
            cache,
            Origins::parse(origin.as_ref())?,
            DEFAULT_REPLAY_LIMIT,
        ))
    }

    pub(super) fn with_options(
        inner: I,
        cache: TokenCache<S>,
        origins: Origins,
        replay_limit: usize,
    ) -> Self {
        Self {
            inner,
            cache,
            base: origins.first().into(),
            origins,
            replay_limit,
        }
    }

    /// The token cache.
    #[must_use]
    pub fn cache(&self) -> &TokenCache<S> {
        &self.cache
    }

    /// The wrapped service.
    #[must_use]
    pub fn get_ref(&self) -> &I {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut I {
        &mut self.inner
    }

    /// The wrapped service, unwrapped.
    #[must_use]
    pub fn into_inner(self) -> I {
        self.inner
    }
}

impl<I: Clone, S> Clone for BearerService<I, S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            cache: self.cache.clone(),
            origins: self.origins.clone(),
            base: Arc::clone(&self.base),
            replay_limit: self.replay_limit,
        }
    }
}

impl<I: fmt::Debug, S> fmt::Debug for BearerService<I, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerService")
            .field("inner", &self.inner)
            .field("origins", &self.origins)
            .field("replay_limit", &self.replay_limit)
            .finish_non_exhaustive()
    }
}

impl<I, S, B, RB> Service<Request<B>> for BearerService<I, S>
where
    I: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    I::Future: Send,
    I::Error: Into<BoxError>,
    S: TokenSource,
    B: ReplayBody + Send + 'static,
    B::Error: Into<BoxError>,
    RB: Send + 'static,
{
    type Response = Response<ResponseBody<RB>>;
    type Error = BoxError;
    type Future = ResponseFuture<RB>;

    /// The inner service's readiness; no token is taken here (the future waits for it).
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> ResponseFuture<RB> {
        // The readied service goes into the future; this one keeps a clone, readied by the
        // next `poll_ready` (tower's usual dance).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if !self.is_bound(request.uri()) {
            let response = inner.call(request);
            return ResponseFuture {
                inner: Box::pin(async move {
                    let response = response.await.map_err(Into::into)?;
                    Ok(response.map(|body| ResponseBody::new(body, None)))
                }),
            };
        }
        ResponseFuture {
            inner: Box::pin(send(
                inner,
                self.cache.clone(),
                self.replay_limit,
                Arc::clone(&self.base),
                request,
            )),
        }
    }
}

impl<I, S> BearerService<I, S> {
    /// Whether a request to `uri` gets the token. A URI without an authority (`/pkg.Svc/Call`,
    /// as tonic's clients send through a channel) goes to the one endpoint the inner service
    /// is connected to, which is the bound origin.
    fn is_bound(&self, uri: &http::Uri) -> bool {
        uri.authority().is_none() || self.origins.contains_uri(uri)
    }
}

/// The future of [`BearerService`]'s response.
///
/// Fails with a [`BoxError`]: the inner service's error as it was, the request body's error,
/// or, when no token could be had (nothing was sent), the [`AuthError`](crate::AuthError)
/// itself (find it with `error.downcast_ref::<freshtoken::AuthError>()`; its text never
/// holds a secret), or for a gRPC call, with the `tonic` feature, a `tonic::Status` coded
/// `UNAVAILABLE` or `UNAUTHENTICATED` whose `source()` is that `AuthError` (see the
/// [module docs](super#errors)).
#[must_use = "futures do nothing unless awaited"]
pub struct ResponseFuture<RB> {
    inner: Pin<Box<dyn Future<Output = Outcome<RB>> + Send>>,
}

/// What a [`ResponseFuture`] resolves to.
type Outcome<RB> = Result<Response<ResponseBody<RB>>, BoxError>;

impl<RB> Future for ResponseFuture<RB> {
    type Output = Outcome<RB>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<RB> fmt::Debug for ResponseFuture<RB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

type Failure = AttemptFailure<BoxError>;

/// The attempts of one request: the body read in advance, then at most two sends, decided by
/// the policy every integration shares (`Call`).
async fn send<I, S, B, RB>(
    mut inner: I,
    cache: TokenCache<S>,
    replay_limit: usize,
    base: Arc<str>,
    request: Request<B>,
) -> Outcome<RB>
where
    I: Service<Request<B>, Response = Response<RB>>,
    I::Error: Into<BoxError>,
    S: TokenSource,
    B: ReplayBody,
    B::Error: Into<BoxError>,
{
    let (parts, body) = request.into_parts();
    let grpc = is_grpc(&parts.headers);
    // Read in the call's own Context, without waiting: see `prefetch`.
    let mut body = Some(body);
    let mut attempts = poll_fn(|cx| {
        // Polled once: the closure is ready at once, so the body is always there.
        Poll::Ready(
            body.take()
                .map(|body| Attempts::read(body, replay_limit, cx)),
        )
    })
    .await
    .ok_or_else(|| lost("the request body"))?
    .map_err(Into::into)?;
    // The head of each further attempt: a copy, kept only when there can be one.
    let spare_parts = attempts.is_replayable().then(|| parts.clone());
    let mut parts = Some(parts);

    let mut policy = Call::new(&cache);
    let mut rejected: Option<Response<RB>> = None;
    let mut readied = true;
    loop {
        // A resend's span covers its token (the refresh after a 401) and its send.
        let span = policy.span();
        let attempt = match policy.token().instrument(span.clone()).await {
            Err(error) => Err(error),
            Ok(token) => {
                let result = async {
                    if !readied {
                        poll_fn(|cx| inner.poll_ready(cx))
                            .await
                            .map_err(|error| Failure::Below(error.into()))?;
                    }
                    readied = false;
                    let head = parts.take().or_else(|| spare_parts.clone());
                    let (Some(head), Some(body)) = (head, attempts.next_body()) else {
                        return Err(Failure::Below(lost("the request")));
                    };
                    let mut request = Request::from_parts(head, body);
                    let target = target(&token, &request, &base)?;
                    let sent = authorize(&token, target, request.headers_mut())?;
                    let response = inner.call(request).await;
                    // A bound token's answers carry the server's next nonce, and a 401 may
                    // ask for it.
                    let demand = response.as_ref().map_or(NonceDemand::None, |response| {
                        answered(&token, &sent, response.status(), response.headers())
                    });
                    match response {
                        Ok(response) if rejects_token(response.status(), response.headers()) => {
                            rejected = Some(response);
                            Err(Failure::Rejected(demand))
                        }
                        #[cfg(feature = "reqwest")]
                        Ok(response) => match crate::attempt_failure::insufficient_scope(
                            response.status(),
                            response.headers(),
                        ) {
                            Some(scopes) => {
                                rejected = Some(response);
                                Err(Failure::InsufficientScope(scopes))
                            }
                            None => Ok(response),
                        },
                        #[cfg(not(feature = "reqwest"))]
                        Ok(response) => Ok(response),
                        Err(error) => Err(Failure::Below(error.into())),
                    }
                }
                .instrument(span)
                .await;
                Ok((token, result))
            }
        };
        let used = attempt
            .as_ref()
            .ok()
            .map(|(token, _)| std::sync::Arc::clone(token));
        match policy.finish(attempt) {
            // The policy has invalidated the rejected token (or will step up) and asks for
            // one more attempt; without a copy of the body, the caller gets the rejection.
            ControlFlow::Continue(()) if attempts.is_replayable() => {}
            ControlFlow::Continue(())
            | ControlFlow::Break(Err(Failure::Rejected(_) | Failure::InsufficientScope(_))) => {
                if !attempts.is_replayable() {
                    tracing::debug!(
                        target: "freshtoken",
                        "the request body was not complete before the first attempt; \
                         returning the rejection without a retry"
                    );
                }
                let response = rejected
                    .take()
                    .ok_or_else(|| lost("the rejected response"))?;
                return Ok(response.map(|body| ResponseBody::new(body, None)));
            }
            ControlFlow::Break(Ok(response)) => {
                let watch = used.filter(|_| is_grpc(response.headers()));
                return Ok(with_trailer_watch(response, &cache, watch));
            }
            ControlFlow::Break(Err(Failure::Below(error))) => return Err(error),
            ControlFlow::Break(Err(Failure::NoToken(error))) => {
                return Err(no_token_error(error, grpc));
            }
        }
    }
}

/// The response, its body watching for an UNAUTHENTICATED in the trailers when `used` is
/// given (a gRPC response).
fn with_trailer_watch<S: TokenSource, RB>(
    response: Response<RB>,
    cache: &TokenCache<S>,
    used: Option<std::sync::Arc<Token>>,
) -> Response<ResponseBody<RB>> {
    let invalidate = used.map(|used| {
        let cache = cache.clone();
        Box::new(move || {
            cache.invalidate(&used);
        }) as Invalidate
    });
    response.map(|body| ResponseBody::new(body, invalidate))
}

/// An error for a state the loop above never reaches, rather than a panic in a caller's
/// request.
fn lost(what: &str) -> BoxError {
    format!(
        "freshtoken's BearerService lost {what} between attempts; this is a bug, please report it"
    )
    .into()
}

/// What a bound token's proof names: the request's method and URL (a request without an
/// authority goes to `base`). `None` for a bearer token, whose request needs no proof.
fn target<B>(
    token: &Token,
    request: &Request<B>,
    base: &str,
) -> Result<Option<(http::Method, Url)>, Failure> {
    if !token.is_dpop_bound() {
        return Ok(None);
    }
    let uri = request.uri();
    let url = if uri.authority().is_some() {
        Url::parse(&uri.to_string())
    } else {
        Url::parse(base).and_then(|base| base.join(&uri.to_string()))
    }
    .map_err(|_| Failure::Below(lost("the request's URL for its DPoP proof")))?;
    Ok(Some((request.method().clone(), url)))
}
