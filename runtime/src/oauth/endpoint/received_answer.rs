// Input: what `reqwest::RequestBuilder::send` returned for a token request the user's own
// code sent.
// Output: the answer read off the wire (status, headers, at most `MAX_BODY` of the body, in
// memory zeroed on drop), ready for `TokenAnswer`; or, for a request that got no answer, the
// `AuthError` the built-in sources give for the same failure, without the URL's query string.

use std::fmt;
use std::time::Duration;

use http::{HeaderMap, StatusCode};
use zeroize::Zeroizing;

use super::answer::TokenAnswer;
use super::exchange::{read_body, transport_error};
use super::url::Endpoint;
use crate::{AuthError, AuthErrorKind};

/// The limit of a request that timed out, when that limit is the user's client's: reqwest does
/// not report it, and `AuthErrorKind::Timeout` says so for a zero.
const CLIENT_TIMEOUT: Duration = Duration::ZERO;

/// An answer to a token request your own code sent, read by [`TokenAnswer::receive`]: the
/// status, the headers and the body (its first 1 MiB), kept in memory that is zeroed when
/// this is dropped. [`answer`](Self::answer) reads it as a token.
///
/// `Debug` shows the endpoint (without its query string), the status and the body's size,
/// never the body or the headers, which may hold tokens.
pub struct ReceivedAnswer {
    endpoint: Endpoint,
    status: StatusCode,
    headers: HeaderMap,
    body: Zeroizing<Vec<u8>>,
    truncated: bool,
}

impl TokenAnswer<'_> {
    /// Reads the answer to a request your own code sent, straight from what
    /// [`RequestBuilder::send`](reqwest::RequestBuilder::send) returned: the status, the
    /// headers and at most 1 MiB of the body, as the sources read theirs. The endpoint its
    /// messages name is the response's URL, without its query string.
    ///
    /// See [`TokenAnswer`] for a token source written with it.
    ///
    /// # Errors
    /// A request that got no answer, or whose body could not be read, becomes the
    /// [`AuthError`] the built-in sources give for it, naming the endpoint without its query
    /// string (which may carry a key):
    /// - no answer within the HTTP client's timeout:
    ///   [`AuthErrorKind::Timeout`](crate::AuthErrorKind::Timeout), with a zero limit, since
    ///   reqwest does not report the limit it applied; the cache retries after a backoff;
    /// - a connection refused or broken:
    ///   [`AuthErrorKind::RefreshFailed`](crate::AuthErrorKind::RefreshFailed); the cache
    ///   retries after a backoff;
    /// - a request that could not be built, or an `https` URL with no TLS backend in reqwest:
    ///   [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected).
    pub async fn receive(
        sent: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<ReceivedAnswer, AuthError> {
        let mut response = sent.map_err(unanswered)?;
        let endpoint = Endpoint::new(response.url().clone());
        let (status, headers) = (response.status(), response.headers().clone());
        let (body, truncated) = read_body(&mut response)
            .await
            .map_err(|error| transport_error(&endpoint, error, CLIENT_TIMEOUT))?;
        Ok(ReceivedAnswer {
            endpoint,
            status,
            headers,
            body,
            truncated,
        })
    }
}

impl ReceivedAnswer {
    /// The answer as a [`TokenAnswer`], to say the names of its fields, the secrets the
    /// request carried and whether it authenticated the client, and to [`read`](TokenAnswer::read)
    /// the token or the error it means.
    #[must_use]
    pub fn answer(&self) -> TokenAnswer<'_> {
        TokenAnswer::new(self.endpoint.url(), self.status, &self.headers, &self.body)
            .truncated(self.truncated)
    }

    /// The status the endpoint answered with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers of the answer.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body of the answer, or its first 1 MiB.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// The error of a request that got no answer, as a source's own request would get it.
fn unanswered(error: reqwest::Error) -> AuthError {
    match error.url() {
        Some(url) => transport_error(&Endpoint::new(url.clone()), error, CLIENT_TIMEOUT),
        // No URL to leak, and none to name: say what reqwest says.
        None if error.is_timeout() => AuthErrorKind::Timeout(CLIENT_TIMEOUT).into(),
        None if error.is_builder() => AuthError::rejected(error),
        None => AuthError::refresh_failed(error),
    }
}

impl fmt::Debug for ReceivedAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedAnswer")
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .field("truncated", &self.truncated)
            .finish_non_exhaustive()
    }
}
