// Input: the base URL, the token cache and the options a user sets on a generated client's
// builder.
// Output: the `ClientCore` every generated method calls through, or an error that says which
// option was wrong. The cache is an argument of `builder`, not an option, so a client whose
// methods need a token cannot be built without one.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;

use super::BuildError;
use super::core::{ClientCore, Generated, Transport};
use super::redirect_policy;
use crate::{TokenCache, TokenSource};

/// The builder of a generated client `C`: `TasksClient::builder(base_url, cache)`, then
/// options, then [`build`](Builder::build).
///
/// ```
/// # use freshtoken::{TokenCache, source_fn, Token};
/// #[freshtoken::client]
/// pub trait Health {
///     #[get("/health", auth = none)]
///     async fn health(&self) -> Result<String>;
/// }
///
/// let http = reqwest::Client::builder()
///     .redirect(freshtoken::client::redirect_policy()) // redirects stay within the API's origin
///     .pool_max_idle_per_host(4)
///     .build()
///     .unwrap();
/// let client = HealthClient::builder("https://api.example/v2")
///     .http_client(http)
///     .timeout(std::time::Duration::from_secs(10))
///     .default_header("user-agent", "tasks-sdk/1.0")
///     .build()
///     .unwrap();
/// # let _ = client;
/// ```
pub struct Builder<C: Generated> {
    base_url: String,
    cache: TokenCache<C::Source>,
    http: Option<Transport>,
    timeout: Option<Duration>,
    headers: Vec<(String, String)>,
    client: PhantomData<fn() -> C>,
}

impl<C: Generated> Builder<C> {
    /// A builder for a client of the API at `base_url` whose authenticated methods take
    /// their tokens from `cache`.
    pub fn new(base_url: impl Into<String>, cache: TokenCache<C::Source>) -> Self {
        Self {
            base_url: base_url.into(),
            cache,
            http: None,
            timeout: None,
            headers: Vec::new(),
            client: PhantomData,
        }
    }

    /// Sends requests through `http`, with its pool, TLS, proxies, timeouts and redirect
    /// policy. By default the client makes its own `reqwest::Client`, which follows redirects
    /// within the base URL's origin only. Build `http` with
    /// `.redirect(`[`redirect_policy()`](super::redirect_policy)`)` to keep that: reqwest's
    /// default policy follows a redirect to another origin with the method's headers and body
    /// (an answer from there is then [`Error::OtherOrigin`](super::Error::OtherOrigin)).
    /// Replaces a `middleware_client` (feature `reqwest-middleware`) given before.
    #[must_use]
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(Transport::Reqwest(http));
        self
    }

    /// Sends requests through a reqwest-middleware stack (retries, tracing, caching...).
    /// Replaces an [`http_client`](Builder::http_client) given before.
    ///
    /// Requests are built with the stack's inner `reqwest::Client` and sent through its
    /// middlewares. The client still sets the token and retries once after a 401 itself, so
    /// the stack must **not** contain [`BearerAuth`](crate::middleware::BearerAuth): it would
    /// replace the client's token and retry a second time. A middleware's failure is
    /// [`Error::Middleware`](super::Error::Middleware). A retry middleware cannot resend a
    /// [`Streamed`](super::Streamed) body (a stream cannot be copied): reqwest-retry fails
    /// such a request at once. Redirects are the inner client's: build it with
    /// `.redirect(`[`redirect_policy()`](super::redirect_policy)`)`, as for
    /// [`http_client`](Builder::http_client).
    ///
    /// ```
    /// # use freshtoken::{TokenCache, source_fn, Token};
    /// use reqwest_retry::{RetryTransientMiddleware, policies::ExponentialBackoff};
    ///
    /// #[freshtoken::client]
    /// pub trait Tasks {
    ///     #[get("/tasks")]
    ///     async fn list(&self) -> Result<Vec<String>>;
    /// }
    ///
    /// let cache = TokenCache::new(source_fn(|_previous| async { Token::builder("t").build() }));
    /// let retry = ExponentialBackoff::builder().build_with_max_retries(3);
    /// let http = reqwest::Client::builder()
    ///     .redirect(freshtoken::client::redirect_policy())
    ///     .build()
    ///     .unwrap();
    /// let stack = reqwest_middleware::ClientBuilder::new(http)
    ///     .with(RetryTransientMiddleware::new_with_policy(retry)) // no BearerAuth here
    ///     .build();
    /// let client = TasksClient::builder("https://tasks.example/v1", cache)
    ///     .middleware_client(stack)
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    #[cfg(feature = "reqwest-middleware")]
    #[cfg_attr(docsrs, doc(cfg(feature = "reqwest-middleware")))]
    #[must_use]
    pub fn middleware_client(mut self, stack: reqwest_middleware::ClientWithMiddleware) -> Self {
        self.http = Some(Transport::Middleware(stack));
        self
    }

    /// Bounds every call (connect, send, the whole body) by `timeout`, unless the method
    /// sets its own with `timeout = "..."`. No bound by default, as in reqwest.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends header `name: value` with every request (a method's own header of the same name
    /// replaces it). Values are marked sensitive, so no `Debug` output shows them.
    #[must_use]
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`BuildError::InvalidBaseUrl`] for a base URL that is not absolute `http(s)` or that
    /// carries credentials, a query or a fragment; [`BuildError::InvalidHeader`] for a bad
    /// default header; [`BuildError::HttpClient`] when reqwest cannot make its client.
    pub fn build(self) -> Result<C, BuildError> {
        let base_url = parse_base_url(&self.base_url)?;
        let headers = default_headers(self.headers)?;
        let http = match self.http {
            Some(http) => http,
            None => Transport::Reqwest(
                reqwest::Client::builder()
                    .redirect(redirect_policy())
                    .build()
                    .map_err(|error| BuildError::HttpClient {
                        reason: error.to_string(),
                    })?,
            ),
        };
        Ok(C::from_core(ClientCore::new(
            http,
            base_url,
            self.cache,
            headers,
            self.timeout,
        )))
    }
}

impl<C: Generated<Source = NoAuth>> Builder<C> {
    /// A builder for a client none of whose methods is authenticated.
    pub fn without_auth(base_url: impl Into<String>) -> Self {
        // A cache that is never asked for a token: every method sends none.
        Self::new(base_url, TokenCache::new(NoAuth))
    }
}

impl<C: Generated> fmt::Debug for Builder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field(
                "default_headers",
                &self
                    .headers
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// The token source of a client none of whose methods is authenticated: its cache is never
/// asked for a token, and would get an error if it were.
#[derive(Debug, Clone, Copy)]
pub struct NoAuth;

impl TokenSource for NoAuth {
    async fn fetch(
        &self,
        _previous: Option<&crate::Token>,
    ) -> Result<crate::Token, crate::AuthError> {
        Err(crate::AuthError::rejected(
            "this client has no authenticated method, and so no token source",
        ))
    }
}

fn parse_base_url(text: &str) -> Result<Url, BuildError> {
    let invalid = |url: &str, reason: &str| BuildError::InvalidBaseUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(text).map_err(|error| {
        // The text may hold credentials (`https://user:secret@...`) that failed to parse.
        let shown = if text.contains('@') {
            "<not shown: it contains `@`>"
        } else {
            text
        };
        invalid(
            shown,
            &format!("{error}; write an absolute URL such as `https://api.example.com/v1`"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(text, "the scheme must be `http` or `https`"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(invalid(
            shown.as_str(),
            "credentials in the URL would be sent to the API and shown in errors: pass them through the token cache",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            text,
            "a base URL cannot have a query or fragment: give query values as `#[query]` parameters",
        ));
    }
    Ok(url)
}

fn default_headers(headers: Vec<(String, String)>) -> Result<HeaderMap, BuildError> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let header =
            HeaderName::try_from(name.as_str()).map_err(|_| BuildError::InvalidHeader {
                name: name.clone(),
                reason: "not a header name: use letters, digits and `-`".to_owned(),
            })?;
        let mut value = HeaderValue::try_from(value).map_err(|_| BuildError::InvalidHeader {
            name: name.clone(),
            reason: "the value must be visible ASCII or spaces, without newlines".to_owned(),
        })?;
        value.set_sensitive(true);
        map.append(header, value);
    }
    Ok(map)
}
