// Input: what a user sets for one call of a generated client (`client.with(options)`).
// Output: the call's timeout, its extra headers and request id on the request, and a debug
// span naming the method and the request id. A plain client has no options, so its calls pay
// one branch on `None` for all of this.

use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};

use super::Error;
use super::request::call;
use super::spec::Spec;

/// The header a request id goes in unless [`CallOptions::request_id_header`] names another.
const REQUEST_ID_HEADER: &str = "x-request-id";

/// Options for the calls made through `client.with(options)`: a timeout, headers and a
/// request id, without changing the trait or the client.
///
/// `with` gives a clone of the client (one `Arc` each) that applies the options to every call
/// made through it; the client itself is unchanged.
///
/// ```
/// use std::time::Duration;
/// use freshtoken::client::CallOptions;
///
/// #[freshtoken::client]
/// pub trait Tasks {
///     #[get("/tasks/{id}")]
///     async fn get_task(&self, id: u64) -> Result<String>;
/// }
///
/// # async fn demo<S: freshtoken::TokenSource>(client: TasksClient<S>) -> Result<(), freshtoken::client::Error> {
/// let options = CallOptions::new()
///     .timeout(Duration::from_millis(500))
///     .header("x-tenant", "acme")
///     .request_id("req-42"); // sent as `x-request-id: req-42`, and logged
/// let task = client.with(options).get_task(7).await?;
/// let again = client.get_task(7).await?; // no options
/// # let _ = (task, again); Ok(()) }
/// ```
///
/// A header name or value that cannot be sent fails each call made with the options as
/// [`Error::InvalidArgument`], which names the header (never its value); nothing is sent.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    timeout: Option<Duration>,
    /// Values marked sensitive: `Debug` shows none.
    headers: HeaderMap,
    request_id: Option<String>,
    request_id_header: Option<HeaderName>,
    /// The first header that could not be taken: its name and why.
    invalid: Option<(String, String)>,
}

impl CallOptions {
    /// No options: calls as the plain client makes them.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The timeout of each call, over the method's `timeout = ".."` and the client's.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends header `name` with `value`, over a header of the same name that the method or
    /// the client's defaults send. The bearer token's `authorization` is set after it.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::try_from(name),
            HeaderValue::try_from(value),
        ) {
            (Ok(header), Ok(mut value)) => {
                value.set_sensitive(true);
                self.headers.append(header, value);
            }
            (Err(_), _) => self.reject(
                name,
                "it is not a valid header name (letters, digits and `-`, no spaces or `:`)",
            ),
            (_, Err(_)) => self.reject(
                name,
                "its value has a character a header cannot carry (a newline or a control character)",
            ),
        }
        self
    }

    /// Sends `id` as the request's id, in `x-request-id` (or the header
    /// [`request_id_header`](Self::request_id_header) names), and records it in the call's
    /// debug span (`freshtoken::client::call`, fields `method` and `request_id`).
    #[must_use]
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// The header the request id goes in (default `x-request-id`).
    #[must_use]
    pub fn request_id_header(mut self, name: &str) -> Self {
        match HeaderName::try_from(name) {
            Ok(header) => self.request_id_header = Some(header),
            Err(_) => self.reject(
                name,
                "it is not a valid header name for the request id (letters, digits and `-`, no spaces or `:`)",
            ),
        }
        self
    }

    fn reject(&mut self, name: &str, reason: &str) {
        if self.invalid.is_none() {
            self.invalid = Some((name.to_owned(), reason.to_owned()));
        }
    }

    /// The timeout for this call, from these options or else `fallback`.
    pub(super) fn timeout_or(&self, fallback: Option<Duration>) -> Option<Duration> {
        self.timeout.or(fallback)
    }

    /// The options' headers and request id set on `request`.
    pub(super) fn apply(
        &self,
        spec: &'static Spec,
        mut request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let invalid = |name: &str, reason: &str| Error::InvalidArgument {
            call: call(spec),
            param: "CallOptions",
            reason: format!("header `{name}` cannot be sent: {reason}"),
        };
        if let Some((name, reason)) = &self.invalid {
            return Err(invalid(name, reason));
        }
        if !self.headers.is_empty() {
            request = request.headers(self.headers.clone());
        }
        if let Some(id) = &self.request_id {
            let header = self
                .request_id_header
                .clone()
                .unwrap_or(HeaderName::from_static(REQUEST_ID_HEADER));
            let value = HeaderValue::try_from(id.as_str()).map_err(|_| {
                invalid(
                    header.as_str(),
                    "the request id has a character a header cannot carry (a newline or a control character)",
                )
            })?;
            request = request.header(header, value);
        }
        Ok(request)
    }

    /// The debug span of one call made with these options: the method and the request id,
    /// never a header's value.
    pub(super) fn span(&self, spec: &'static Spec) -> tracing::Span {
        tracing::debug_span!(
            "freshtoken::client::call",
            method = spec.name,
            request_id = self.request_id.as_deref(),
        )
    }

    /// The debug event that opens a call made with these options.
    pub(super) fn trace_start(&self, spec: &'static Spec) {
        tracing::debug!(
            method = spec.name,
            request_id = self.request_id.as_deref(),
            timeout_ms = self.timeout.map(|timeout| timeout.as_millis()),
            "calling with per-call options"
        );
    }
}
