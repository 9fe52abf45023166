// Input: a 2xx response.
// Output: what a method returns besides plain values: the status and headers with the
// decoded body (`Answer<T>`), or the body as a stream of chunks (`ByteStream`).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::{HeaderMap, StatusCode};

use super::Error;
use super::error::Call;

/// A method's answer with its status and headers: return `Result<Answer<T>>` to read them.
///
/// ```
/// use freshtoken::client::Answer;
///
/// fn etag(answer: &Answer<Vec<String>>) -> Option<&str> {
///     answer.headers().get("etag")?.to_str().ok()
/// }
/// # let _ = etag;
/// ```
#[derive(Debug, Clone)]
pub struct Answer<T> {
    status: StatusCode,
    headers: HeaderMap,
    body: T,
}

impl<T> Answer<T> {
    pub(super) fn new(status: StatusCode, headers: HeaderMap, body: T) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// The status (2xx).
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The decoded body.
    #[must_use]
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The decoded body, taken out.
    #[must_use]
    pub fn into_body(self) -> T {
        self.body
    }
}

/// The body of a large answer, chunk by chunk, as it arrives: return
/// `Result<ByteStream>` from a download method. It is a [`Stream`] of `Result<Bytes, Error>`
/// (use `futures::StreamExt::next`, or [`ByteStream::chunk`] without the `futures` crate).
pub struct ByteStream {
    call: Call,
    inner: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>,
}

impl ByteStream {
    pub(super) fn new(call: Call, response: reqwest::Response) -> Self {
        Self {
            call,
            inner: Box::pin(response.bytes_stream()),
        }
    }

    /// The next chunk, or `None` at the end of the body.
    ///
    /// # Errors
    /// [`Error::Transport`] when the connection fails or the timeout passes mid-body.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let call = self.call.clone();
        self.inner.as_mut().poll_next(cx).map(|item| {
            item.map(|chunk| {
                chunk.map_err(|source| Error::Transport {
                    call,
                    source: source.without_url(),
                })
            })
        })
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("call", &self.call)
            .finish_non_exhaustive()
    }
}
