// Input: the body of a response the layer returns, and how to invalidate the token the
// request was sent with.
// Output: the same body; when it is a gRPC response whose trailers carry `grpc-status: 16`
// (UNAUTHENTICATED after the response began, as a streaming server may answer), the token is
// invalidated as the trailers are read, so the next request gets a new one. No retry then:
// the response is already the caller's.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http_body::{Body, Frame, SizeHint};

use super::unauthenticated::grpc_unauthenticated;

/// What the body calls when the trailers reject the token: invalidates the token used.
pub(super) type Invalidate = Box<dyn FnOnce() + Send + Sync>;

pin_project_lite::pin_project! {
    /// The body of a response returned by [`BearerService`](super::BearerService): the inner
    /// service's body, unchanged.
    ///
    /// When the response is a gRPC one and its trailers carry `grpc-status: 16`
    /// (`UNAUTHENTICATED`), the token the request was sent with is invalidated as the
    /// trailers are read, so the next request gets a new token (this response is not retried).
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        on_unauthenticated: Option<Invalidate>,
    }
}

impl<B> ResponseBody<B> {
    pub(super) fn new(inner: B, on_unauthenticated: Option<Invalidate>) -> Self {
        Self {
            inner,
            on_unauthenticated,
        }
    }

    /// The inner service's body (its trailers are then no longer watched).
    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<B: fmt::Debug> fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("inner", &self.inner)
            .field("watching_trailers", &self.on_unauthenticated.is_some())
            .finish()
    }
}

impl<B: Body> Body for ResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        if let Some(Ok(frame)) = &frame
            && frame.trailers_ref().is_some_and(grpc_unauthenticated)
            && let Some(invalidate) = this.on_unauthenticated.take()
        {
            tracing::debug!(
                target: "freshtoken",
                "gRPC UNAUTHENTICATED in the trailers: token invalidated, the response returned"
            );
            invalidate();
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue};
    use http_body_util::{BodyExt, StreamBody};

    use super::*;

    fn grpc_body(
        status: &'static str,
    ) -> impl Body<Data = Bytes, Error = std::convert::Infallible> {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", HeaderValue::from_static(status));
        StreamBody::new(futures_util::stream::iter([
            Ok(Frame::data(Bytes::from_static(b"message"))),
            Ok(Frame::trailers(trailers)),
        ]))
    }

    fn counter() -> (Arc<AtomicU32>, Invalidate) {
        let calls = Arc::new(AtomicU32::new(0));
        let counted = Arc::clone(&calls);
        (
            calls,
            Box::new(move || {
                counted.fetch_add(1, Ordering::SeqCst);
            }),
        )
    }

    #[tokio::test]
    async fn unauthenticated_trailers_invalidate_once_and_pass_through() {
        let (calls, invalidate) = counter();
        let body = ResponseBody::new(grpc_body("16"), Some(invalidate));
        let collected = body.collect().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(collected.trailers().unwrap()["grpc-status"], "16");
        assert_eq!(collected.to_bytes(), "message");
    }

    #[tokio::test]
    async fn other_trailers_leave_the_token_alone() {
        let (calls, invalidate) = counter();
        ResponseBody::new(grpc_body("0"), Some(invalidate))
            .collect()
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}
