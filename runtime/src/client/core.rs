// Input: a method's spec, a closure that adds its arguments to a request, a decoder.
// Output: the decoded answer, or an error. In between: the token from the cache, the request
// built anew for each attempt, and one retry after a 401 (or what the method's `unauthorized`
// option names) by the same policy as `#[refresh_token]` (`__private::Call`), so there is one
// retry policy in the crate for refused tokens. A method with a `retry` option makes more
// attempts after transient failures (`transient.rs`), each with that policy inside.

use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::Url;
use tracing::Instrument;

use super::Error;
use super::call_options::CallOptions;
use super::decode::Decode;
use super::error_body;
use super::redirect::other_origin;
use super::refused::Refusal;
use super::request::{Request, call};
use super::spec::Spec;
use crate::__private::Call;
use crate::authorization::{Sent, answered, authorize};
use crate::error::MAX_RETRY_AFTER;
use crate::oauth::endpoint::retry_after::retry_after;
use crate::oauth::redaction::Redactions;
use crate::oauth::resource::Challenge;
use crate::{NonceDemand, Token, TokenCache, TokenSource};

/// A generated client: what [`Builder`](super::Builder) builds.
pub trait Generated: Sized {
    /// The token source of the client's cache ([`NoAuth`](super::NoAuth) when no method is
    /// authenticated).
    type Source: TokenSource;

    /// Wraps the core the generated methods call through.
    fn from_core(core: ClientCore<Self::Source>) -> Self;
}

/// What every method of a generated client calls through: the HTTP client, the base URL, the
/// cache and the defaults.
pub struct ClientCore<S> {
    inner: Arc<Inner<S>>,
    /// The per-call options of a client made by `with(options)`; `None` on a plain client.
    options: Option<Arc<CallOptions>>,
}

struct Inner<S> {
    http: Transport,
    base_url: Url,
    cache: TokenCache<S>,
    headers: HeaderMap,
    timeout: Option<Duration>,
}

impl<S> Clone for ClientCore<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            options: self.options.clone(),
        }
    }
}

impl<S> fmt::Debug for ClientCore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCore")
            .field("base_url", &self.inner.base_url.as_str())
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl<S: TokenSource> ClientCore<S> {
    pub(super) fn new(
        http: Transport,
        base_url: Url,
        cache: TokenCache<S>,
        headers: HeaderMap,
        timeout: Option<Duration>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                cache,
                headers,
                timeout,
            }),
            options: None,
        }
    }

    /// This core with `options` applied to every call made through it (in place of any
    /// given before): what a generated client's `with(options)` wraps.
    #[must_use]
    pub fn with_options(&self, options: CallOptions) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            options: Some(Arc::new(options)),
        }
    }

    /// The base URL, as the client was built with it.
    #[must_use]
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The token cache (for a client without an authenticated method, one of
    /// [`NoAuth`](super::NoAuth), which never fetches).
    #[must_use]
    pub fn cache(&self) -> &TokenCache<S> {
        &self.inner.cache
    }

    /// The per-call options of a client made by `with(options)`.
    pub(super) fn options(&self) -> Option<&CallOptions> {
        self.options.as_deref()
    }

    /// Calls the method `spec` describes: `build` adds the arguments to a fresh request for
    /// each attempt, `decoder` reads a 2xx answer.
    ///
    /// # Errors
    /// [`Error`]: no token, transport, a non-2xx status (after one retry for a refused
    /// token), an argument that cannot be sent, or an answer that does not decode.
    pub async fn call<B, D>(
        &self,
        spec: &'static Spec,
        build: B,
        decoder: D,
    ) -> Result<D::Output, Error>
    where
        B: Fn(&mut Request) -> Result<(), Error> + Send + Sync,
        D: Decode,
    {
        // One branch for a plain client: the span exists only for a call with options.
        match &self.options {
            None => self.call_plain(spec, build, decoder).await,
            Some(options) => {
                let span = options.span(spec);
                span.in_scope(|| options.trace_start(spec));
                self.call_plain(spec, build, decoder).instrument(span).await
            }
        }
    }

    async fn call_plain<B, D>(
        &self,
        spec: &'static Spec,
        build: B,
        decoder: D,
    ) -> Result<D::Output, Error>
    where
        B: Fn(&mut Request) -> Result<(), Error> + Send + Sync,
        D: Decode,
    {
        let response = if let Some(retry) = &spec.retry {
            // Boxed, so that the pauses and the loop do not grow the future of every call.
            Box::pin(retry.run(spec, || self.send(spec, &build))).await?
        } else {
            self.send(spec, &build).await?
        };
        decoder.decode(call(spec), response).await
    }

    /// Sends the request `build` makes, with a token when the method is authenticated (and
    /// once more after a refusal of it); the answer if 2xx. One attempt of a method with a
    /// `retry` option, and one connection of an event stream.
    pub(super) async fn send<B>(
        &self,
        spec: &'static Spec,
        build: &B,
    ) -> Result<reqwest::Response, Error>
    where
        B: Fn(&mut Request) -> Result<(), Error> + Send + Sync,
    {
        if spec.auth {
            self.send_with_token(&self.inner.cache, spec, build).await
        } else {
            self.attempt(spec, build, None).await
        }
    }

    /// Sends with a token from `cache`; after a refusal of it (a 401, or what
    /// `spec.unauthorized` names), invalidates it and sends once more.
    async fn send_with_token<B>(
        &self,
        cache: &TokenCache<S>,
        spec: &'static Spec,
        build: &B,
    ) -> Result<reqwest::Response, Error>
    where
        B: Fn(&mut Request) -> Result<(), Error> + Send + Sync,
    {
        let mut policy = Call::new(cache);
        loop {
            // A resend's span covers its token (the refresh after a 401) and its send.
            let span = policy.span();
            let attempt = match policy.token().instrument(span.clone()).await {
                Ok(token) => {
                    let result = self
                        .attempt(spec, build, Some(&token))
                        .instrument(span)
                        .await
                        .map_err(|error| Refusal::new(spec.unauthorized, error));
                    Ok((token, result))
                }
                Err(error) => Err(error),
            };
            match policy.finish(attempt) {
                ControlFlow::Continue(()) => {}
                ControlFlow::Break(result) => return result.map_err(|refusal| refusal.error),
            }
        }
    }

    /// One attempt: the request built, sent, and its answer if 2xx.
    async fn attempt<B>(
        &self,
        spec: &'static Spec,
        build: &B,
        token: Option<&Token>,
    ) -> Result<reqwest::Response, Error>
    where
        B: Fn(&mut Request) -> Result<(), Error>,
    {
        let (request, sent) = self.request(spec, build, token)?;
        let response = self.inner.http.execute(spec, request).await?;
        // Before the status: another server's 401 is not the API's verdict on the token.
        if let Some(error) = other_origin(spec, &self.inner.base_url, &response) {
            return Err(error);
        }
        // A bound token's answer may carry the server's next nonce.
        let dpop_nonce = token.map_or(NonceDemand::None, |token| {
            answered(token, &sent, response.status(), response.headers())
        });
        check_status(spec, response, token, dpop_nonce).await
    }

    /// The request of one attempt, built from scratch, with the token (and for a bound
    /// token a new DPoP proof) set last.
    fn request<B>(
        &self,
        spec: &'static Spec,
        build: &B,
        token: Option<&Token>,
    ) -> Result<(reqwest::Request, Sent), Error>
    where
        B: Fn(&mut Request) -> Result<(), Error>,
    {
        let mut parts = Request::new(spec);
        build(&mut parts)?;
        // A paginated method's next page is the URL the previous answer named.
        let url = if let Some(url) = parts.url.take() {
            *url
        } else {
            // The base path keeps its prefix (`/v2`), and the template's leading `/` joins it
            // with exactly one slash, whatever the base URL ends with.
            let path = parts.path(self.inner.base_url.path().trim_end_matches('/'))?;
            let mut url = self.inner.base_url.clone();
            url.set_path(&path);
            // The builder rejects a base URL with a query, so only a method's own query is set.
            if !parts.query.is_empty() {
                url.set_query(Some(&parts.query));
            }
            url
        };

        let mut request = self.inner.http.client().request(spec.method.clone(), url);
        // A method's fixed header replaces a default of the same name, as its header
        // parameters do (`headers` replaces, `header` appends). Likewise the bearer token
        // replaces a default `authorization`, and a body's type a default `content-type`:
        // reqwest appends, and two of either confuse servers. Most clients have no default
        // header: then there is no map to clone and merge on every call.
        if !self.inner.headers.is_empty() {
            let mut defaults = self.inner.headers.clone();
            for (name, _) in spec.headers {
                defaults.remove(*name);
            }
            if token.is_some() {
                defaults.remove(AUTHORIZATION);
            }
            if parts.body.is_some() || parts.multipart.is_some() {
                defaults.remove(CONTENT_TYPE);
            }
            request = request.headers(defaults);
        }
        for (name, value) in spec.headers {
            request = request.header(*name, *value);
        }
        if !parts.headers.is_empty() {
            request = request.headers(parts.headers);
        }
        if let Some(body) = parts.body {
            request = request.body(body);
        }
        if let Some(form) = parts.multipart {
            request = request.multipart(form);
        }
        let mut timeout = spec.timeout.or(self.inner.timeout);
        if let Some(options) = &self.options {
            request = options.apply(spec, request)?;
            timeout = options.timeout_or(timeout);
        }
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let mut request = request.build().map_err(|source| Error::Transport {
            call: call(spec),
            source: source.without_url(),
        })?;
        // Last, so that the method's own `accept`, a header parameter's or a default one
        // wins over what the return type asks for.
        if let Some(accept) = spec.accept {
            request
                .headers_mut()
                .entry(ACCEPT)
                .or_insert(HeaderValue::from_static(accept));
        }
        let sent = match token {
            Some(token) => {
                let target = token
                    .is_dpop_bound()
                    .then(|| (request.method().clone(), request.url().clone()));
                authorize(token, target, request.headers_mut()).map_err(Error::Auth)?
            }
            None => Sent::default(),
        };
        Ok((request, sent))
    }
}

/// What requests are sent through: reqwest's client, or a reqwest-middleware stack over one.
/// Requests are built with the inner `reqwest::Client` either way, so a body, multipart form
/// or timeout is set the same way whichever sends it.
#[derive(Debug)]
pub(super) enum Transport {
    Reqwest(reqwest::Client),
    #[cfg(feature = "reqwest-middleware")]
    Middleware(reqwest_middleware::ClientWithMiddleware),
}

impl Transport {
    fn client(&self) -> &reqwest::Client {
        match self {
            Self::Reqwest(client) => client,
            #[cfg(feature = "reqwest-middleware")]
            Self::Middleware(stack) => stack.as_ref(),
        }
    }

    async fn execute(
        &self,
        spec: &'static Spec,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, Error> {
        match self {
            Self::Reqwest(client) => {
                client
                    .execute(request)
                    .await
                    .map_err(|source| Error::Transport {
                        call: call(spec),
                        source: source.without_url(),
                    })
            }
            #[cfg(feature = "reqwest-middleware")]
            Self::Middleware(stack) => {
                let url = request.url().clone();
                // Tells a `BearerAuth` in the stack that this client sets the token and
                // retries a 401 itself.
                let mut extensions = http::Extensions::new();
                extensions.insert(crate::middleware::TokenSetByClient);
                stack
                    .execute_with_extensions(request, &mut extensions)
                    .await
                    .map_err(|error| middleware_error(spec, &url, error))
            }
        }
    }
}

/// The client's error for what a middleware stack returned: a reqwest error as from plain
/// reqwest, anything else as text with the request's URL cut out (a middleware's error may
/// wrap a reqwest error that names it, and a query string may carry an API key).
#[cfg(feature = "reqwest-middleware")]
fn middleware_error(spec: &'static Spec, url: &Url, error: reqwest_middleware::Error) -> Error {
    match error {
        reqwest_middleware::Error::Reqwest(source) => Error::Transport {
            call: call(spec),
            source: source.without_url(),
        },
        reqwest_middleware::Error::Middleware(error) => {
            let text = format!("{error:#}");
            Error::Middleware {
                call: call(spec),
                reason: text.replace(url.as_str(), spec.template),
            }
        }
    }
}

/// The response when it is 2xx, else an error with the status and the start of the body,
/// with the token cut out in case the server echoed it, and that text decoded as the
/// method's `error_body` type (or as a `Problem`) if it fits.
async fn check_status(
    spec: &'static Spec,
    mut response: reqwest::Response,
    token: Option<&Token>,
    dpop_nonce: NonceDemand,
) -> Result<reqwest::Response, Error> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let headers = response.headers();
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| retry_after(value, SystemTime::now()))
        .map(|delay| delay.min(MAX_RETRY_AFTER));
    let challenge = token
        .and_then(|token| Challenge::with_scheme(headers, token.token_type()))
        .or_else(|| Challenge::bearer(headers))
        .map(Box::new);
    let problem = error_body::is_problem(headers);
    let mut body = Vec::new();
    // Read at most MAX_BODY (plus one chunk): an error page can be large, and only its
    // start is worth showing.
    while body.len() < Error::MAX_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&body);
    let secrets: Vec<&str> = token
        .map(|token| token.access_token().expose_secret())
        .into_iter()
        .collect();
    let (mut body, _) = Redactions::new(&secrets).redact(&text, Error::MAX_BODY);
    // `redact` bounds characters; `MAX_BODY` is in bytes.
    let mut end = body.len().min(Error::MAX_BODY);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body.truncate(end);
    let error_body = error_body::decode(spec.error_body, problem, &body);
    Err(Error::Status {
        call: call(spec),
        status,
        body,
        challenge,
        dpop_nonce,
        error_body,
        retry_after,
    })
}
