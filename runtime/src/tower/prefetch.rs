// Input: a request body, before the first attempt, and the Context of the call's future.
// Output: the bodies of the attempts: a new copy of the whole body for each when it could be
// read at once (it is replayable), else one body, the frames read so far followed by the rest.
//
// Reading stops at the first frame that is not ready, so a body that is still being written
// (a client stream, a bidi stream) is never waited on: that would hold the request back until
// the stream ends, which for a bidi stream may be never. Reading also stops at a size limit,
// so a long body that is always ready is not copied into memory whole.

use std::pin::Pin;
use std::task::{Context, Poll};

use super::replay::{PrefixedBody, Recorded, ReplayBody};

/// The most frames read in advance, however small: bounds the loop for a body that is always
/// ready with empty frames.
const MAX_FRAMES: usize = 1024;

/// Where the bodies of the attempts come from.
#[derive(Debug)]
pub(super) enum Attempts<B> {
    /// The whole body, read in advance: a copy for each attempt.
    Replayable(Recorded),
    /// A body that had not ended, for the one attempt it can serve; `None` once taken.
    Once(Option<PrefixedBody<B>>),
}

impl<B: ReplayBody> Attempts<B> {
    /// Reads the frames of `body` that are ready now, up to `limit` bytes of data (a body
    /// that says it has ended is complete whatever its size: it is in memory already).
    ///
    /// # Errors
    /// The body's error, if it failed while being read.
    pub(super) fn read(mut body: B, limit: usize, cx: &mut Context<'_>) -> Result<Self, B::Error> {
        let mut recorded = Recorded::default();
        loop {
            if body.is_end_stream() {
                return Ok(Self::Replayable(recorded));
            }
            if recorded.bytes() >= limit || recorded.frame_count() >= MAX_FRAMES {
                break;
            }
            match Pin::new(&mut body).poll_frame(cx) {
                Poll::Ready(None) => return Ok(Self::Replayable(recorded)),
                Poll::Ready(Some(Ok(frame))) => recorded.push(frame),
                Poll::Ready(Some(Err(error))) => return Err(error),
                // The body has registered `cx`'s waker; a spurious wake of the call's future
                // later is harmless, and whoever polls the body next registers their own.
                Poll::Pending => break,
            }
        }
        Ok(Self::Once(Some(PrefixedBody::new(
            recorded.frames(),
            Some(body),
        ))))
    }

    /// Whether a second attempt can have a body.
    pub(super) fn is_replayable(&self) -> bool {
        matches!(self, Self::Replayable(_))
    }

    /// The body of the next attempt; `None` when the one body there was has been sent.
    pub(super) fn next_body(&mut self) -> Option<B> {
        match self {
            Self::Replayable(recorded) => {
                Some(B::from_prefixed(PrefixedBody::new(recorded.frames(), None)))
            }
            Self::Once(body) => body.take().map(B::from_prefixed),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::sync::{Arc, Mutex};
    use std::task::Waker;

    use bytes::Bytes;
    use http_body::{Body, Frame};
    use http_body_util::BodyExt;
    use http_body_util::combinators::BoxBody;
    use http_body_util::{Empty, Full};

    use super::*;

    type Boxed = BoxBody<Bytes, Infallible>;

    /// A body whose frames the test hands out: `Some` chunks are ready, `None` is a
    /// "not yet" (one `Pending`), and after the script the body ends, or stays pending forever
    /// when `open` is set (a stream whose writer is still there).
    struct Scripted {
        script: Arc<Mutex<VecDeque<Option<&'static str>>>>,
        open: bool,
    }

    impl Scripted {
        fn boxed(script: &[Option<&'static str>], open: bool) -> Boxed {
            BoxBody::new(Self {
                script: Arc::new(Mutex::new(script.iter().copied().collect())),
                open,
            })
        }
    }

    impl Body for Scripted {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            match self.script.lock().unwrap().pop_front() {
                Some(Some(chunk)) => {
                    Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(chunk.as_bytes())))))
                }
                Some(None) => Poll::Pending,
                None if self.open => Poll::Pending,
                None => Poll::Ready(None),
            }
        }
    }

    fn read<B: ReplayBody>(body: B, limit: usize) -> Attempts<B>
    where
        B::Error: std::fmt::Debug,
    {
        let mut cx = Context::from_waker(Waker::noop());
        Attempts::read(body, limit, &mut cx).expect("a body that does not fail")
    }

    async fn text(body: impl Body<Data = Bytes, Error = Infallible>) -> String {
        let bytes = body.collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_body_whose_frames_are_all_ready_is_replayed_whole_for_each_attempt() {
        let mut attempts = read(Scripted::boxed(&[Some("a"), Some("b")], false), 1024);
        assert!(attempts.is_replayable());
        for _ in 0..3 {
            let body = attempts.next_body().expect("a body for every attempt");
            assert_eq!(text(body).await, "ab");
        }
    }

    #[tokio::test]
    async fn a_pending_body_is_stitched_once_and_not_replayed() {
        // "a" is ready, then the writer has nothing yet, then "b" and the end.
        let mut attempts = read(Scripted::boxed(&[Some("a"), None, Some("b")], false), 1024);
        assert!(!attempts.is_replayable());
        let body = attempts.next_body().expect("the one body");
        assert_eq!(text(body).await, "ab", "nothing read in advance is lost");
        assert!(attempts.next_body().is_none(), "no second body");
    }

    #[tokio::test]
    async fn a_stream_that_never_ends_is_not_waited_on() {
        let mut attempts = read(Scripted::boxed(&[Some("first message")], true), 1024);
        assert!(!attempts.is_replayable());
        let mut body = attempts.next_body().unwrap();
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), "first message");
        let mut cx = Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut body).poll_frame(&mut cx).is_pending());
    }

    #[tokio::test]
    async fn reading_stops_at_the_size_limit() {
        let script = [Some("0123"), Some("4567"), Some("89")];
        let mut attempts = read(Scripted::boxed(&script, false), 8);
        assert!(
            !attempts.is_replayable(),
            "reading stops once 8 bytes are in"
        );
        assert_eq!(text(attempts.next_body().unwrap()).await, "0123456789");
        let under = read(Scripted::boxed(&script, false), 11);
        assert!(
            under.is_replayable(),
            "under the limit, the end of the body is seen"
        );
    }

    #[tokio::test]
    async fn an_always_ready_stream_of_empty_frames_stops_at_the_frame_limit() {
        let script = vec![Some(""); MAX_FRAMES + 10];
        let attempts = read(Scripted::boxed(&script, true), 1024);
        assert!(!attempts.is_replayable());
    }

    #[tokio::test]
    async fn bodies_in_memory_are_replayable_whatever_their_size() {
        let big = Bytes::from(vec![b'x'; 4096]);
        let mut attempts = read(Full::new(big.clone()), 16);
        assert!(attempts.is_replayable());
        for _ in 0..2 {
            let again = attempts.next_body().unwrap().collect().await.unwrap();
            assert_eq!(again.to_bytes(), big);
        }
        let mut empty = read(Empty::<Bytes>::new(), 0);
        assert!(empty.is_replayable() && empty.next_body().unwrap().is_end_stream());
    }

    #[test]
    fn a_failing_body_fails_the_read() {
        let failing = BoxBody::new(http_body_util::StreamBody::new(futures_util::stream::iter(
            [Err::<Frame<Bytes>, _>("disk gone")],
        )));
        let mut cx = Context::from_waker(Waker::noop());
        let error = Attempts::read(failing, 1024, &mut cx).unwrap_err();
        assert_eq!(error, "disk gone");
    }
}
