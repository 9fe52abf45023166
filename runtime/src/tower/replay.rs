// Input: the frames of a request body read before the first attempt, and the rest of the body
// when it had not ended by then.
// Output: a body of the request's own type for each attempt (`ReplayBody`), so a client that
// accepts only one body type (a tonic `Channel`, a hyper-util `Client<_, B>`) can be wrapped.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::{BoxBody, UnsyncBoxBody};
use http_body_util::{Empty, Full};

/// A request body type that [`BearerService`](super::BearerService) can send again: it builds
/// a body of its own type from a [`PrefixedBody`], the frames read before the first attempt
/// followed, when the body had not ended by then, by the rest of the original body.
///
/// Implemented for `http_body_util::Full<Bytes>`, `Empty<Bytes>`,
/// `combinators::BoxBody<Bytes, E>`, `combinators::UnsyncBoxBody<Bytes, E>` and, with the
/// `tonic` feature, `tonic::body::Body`. For a body type of your own, wrap the
/// `PrefixedBody` (it implements `http_body::Body`, with your body's error type).
pub trait ReplayBody: Body<Data = Bytes> + Unpin + Sized {
    /// A body of this type that yields what `body` yields.
    fn from_prefixed(body: PrefixedBody<Self>) -> Self;
}

/// The frames of a request body read before the first attempt, then the rest of the original
/// body, if it had not ended: the input of [`ReplayBody::from_prefixed`].
pub struct PrefixedBody<B> {
    frames: VecDeque<Frame<Bytes>>,
    rest: Option<B>,
}

impl<B> PrefixedBody<B> {
    pub(super) fn new(frames: VecDeque<Frame<Bytes>>, rest: Option<B>) -> Self {
        Self { frames, rest }
    }

    /// The bytes of the data frames read in advance.
    fn buffered_len(&self) -> usize {
        self.frames
            .iter()
            .filter_map(Frame::data_ref)
            .map(Bytes::len)
            .sum()
    }

    /// The data frames read in advance, as one buffer (no copy for a single frame), and the
    /// rest of the body; trailers are dropped.
    fn into_data(self) -> (Bytes, Option<B>) {
        let mut data = self
            .frames
            .into_iter()
            .filter_map(|frame| frame.into_data().ok());
        let first = data.next().unwrap_or_default();
        let joined = match data.next() {
            None => first,
            Some(second) => {
                let mut all = BytesMut::from(first);
                all.extend_from_slice(&second);
                data.for_each(|more| all.extend_from_slice(&more));
                all.freeze()
            }
        };
        (joined, self.rest)
    }
}

impl<B> fmt::Debug for PrefixedBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Sizes only: a request body may hold secrets.
        f.debug_struct("PrefixedBody")
            .field("buffered_frames", &self.frames.len())
            .field("buffered_bytes", &self.buffered_len())
            .field("has_rest", &self.rest.is_some())
            .finish()
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for PrefixedBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        if let Some(frame) = this.frames.pop_front() {
            return Poll::Ready(Some(Ok(frame)));
        }
        match &mut this.rest {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty() && self.rest.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        let buffered = u64::try_from(self.buffered_len()).unwrap_or(u64::MAX);
        let mut hint = self
            .rest
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint);
        let lower = hint.lower().saturating_add(buffered);
        let upper = hint.upper().map(|upper| upper.saturating_add(buffered));
        // Set the upper bound first: `set_lower` panics when above the upper bound.
        match upper {
            Some(upper) => {
                hint.set_upper(upper);
                hint.set_lower(lower);
            }
            None => hint = with_lower(lower),
        }
        hint
    }
}

fn with_lower(lower: u64) -> SizeHint {
    let mut hint = SizeHint::new();
    hint.set_lower(lower);
    hint
}

/// A complete copy of a body read in advance: the source of each attempt's body.
#[derive(Clone, Debug, Default)]
pub(super) struct Recorded {
    frames: Vec<RecordedFrame>,
    bytes: usize,
}

#[derive(Clone, Debug)]
enum RecordedFrame {
    Data(Bytes),
    Trailers(HeaderMap),
}

impl Recorded {
    /// Keeps `frame`; frames of a kind this crate does not know are dropped.
    pub(super) fn push(&mut self, frame: Frame<Bytes>) {
        match frame.into_data() {
            Ok(data) => {
                self.bytes += data.len();
                self.frames.push(RecordedFrame::Data(data));
            }
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    self.frames.push(RecordedFrame::Trailers(trailers));
                }
            }
        }
    }

    /// The bytes of data kept.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The frames kept.
    pub(super) fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// The frames again, for one more body (the data is shared, not copied).
    pub(super) fn frames(&self) -> VecDeque<Frame<Bytes>> {
        self.frames
            .iter()
            .map(|frame| match frame {
                RecordedFrame::Data(data) => Frame::data(data.clone()),
                RecordedFrame::Trailers(trailers) => Frame::trailers(trailers.clone()),
            })
            .collect()
    }
}

/// Whole in memory: the data read in advance and whatever of the `Full` is left.
impl ReplayBody for Full<Bytes> {
    fn from_prefixed(body: PrefixedBody<Self>) -> Self {
        let (buffered, rest) = body.into_data();
        match rest.and_then(Full::into_inner) {
            None => Full::new(buffered),
            Some(rest) if buffered.is_empty() => Full::new(rest),
            Some(rest) => {
                let mut all = BytesMut::from(buffered);
                all.extend_from_slice(&rest);
                Full::new(all.freeze())
            }
        }
    }
}

/// An `Empty` body has no frames to read in advance, so there is nothing to carry over.
impl ReplayBody for Empty<Bytes> {
    fn from_prefixed(_body: PrefixedBody<Self>) -> Self {
        Empty::new()
    }
}

impl<E: 'static> ReplayBody for BoxBody<Bytes, E> {
    fn from_prefixed(body: PrefixedBody<Self>) -> Self {
        BoxBody::new(body)
    }
}

impl<E: 'static> ReplayBody for UnsyncBoxBody<Bytes, E> {
    fn from_prefixed(body: PrefixedBody<Self>) -> Self {
        UnsyncBoxBody::new(body)
    }
}

/// The body of every request a tonic `Channel` sends.
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
impl ReplayBody for tonic::body::Body {
    fn from_prefixed(body: PrefixedBody<Self>) -> Self {
        tonic::body::Body::new(body)
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http_body_util::BodyExt;

    use super::*;

    fn data_frames(chunks: &[&'static str]) -> VecDeque<Frame<Bytes>> {
        chunks
            .iter()
            .map(|chunk| Frame::data(Bytes::from_static(chunk.as_bytes())))
            .collect()
    }

    async fn text<B: Body<Data = Bytes>>(body: B) -> String
    where
        B::Error: fmt::Debug,
    {
        let bytes = body
            .collect()
            .await
            .expect("a body that does not fail")
            .to_bytes();
        String::from_utf8(bytes.to_vec()).expect("UTF-8 test data")
    }

    #[tokio::test]
    async fn a_prefixed_body_yields_the_buffered_frames_then_the_rest() {
        let body = PrefixedBody::new(
            data_frames(&["a", "b"]),
            Some(Full::new(Bytes::from_static(b"c"))),
        );
        assert_eq!(body.size_hint().exact(), Some(3));
        assert!(!body.is_end_stream());
        assert_eq!(text(body).await, "abc");
    }

    #[tokio::test]
    async fn a_prefixed_body_keeps_trailers_in_place() {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
        let mut frames = data_frames(&["x"]);
        frames.push_back(Frame::trailers(trailers.clone()));
        let collected = PrefixedBody::<Empty<Bytes>>::new(frames, None)
            .collect()
            .await
            .unwrap();
        assert_eq!(collected.trailers(), Some(&trailers));
        assert_eq!(collected.to_bytes(), "x");
    }

    #[test]
    fn an_empty_prefixed_body_says_it_has_ended() {
        assert!(PrefixedBody::<Full<Bytes>>::new(VecDeque::new(), None).is_end_stream());
        let ended_rest = PrefixedBody::new(VecDeque::new(), Some(Empty::<Bytes>::new()));
        assert!(ended_rest.is_end_stream());
    }

    #[test]
    fn debug_shows_sizes_not_contents() {
        let body = PrefixedBody::<Empty<Bytes>>::new(data_frames(&["secret-password"]), None);
        let shown = format!("{body:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("buffered_bytes: 15"), "{shown}");
    }

    #[tokio::test]
    async fn each_body_type_rebuilds_the_same_bytes() {
        let frames = || data_frames(&["he", "llo"]);
        assert_eq!(
            text(Full::from_prefixed(PrefixedBody::new(frames(), None))).await,
            "hello"
        );
        let rest = Full::new(Bytes::from_static(b" world"));
        assert_eq!(
            text(Full::from_prefixed(PrefixedBody::new(frames(), Some(rest)))).await,
            "hello world"
        );
        let boxed = BoxBody::<Bytes, Infallible>::from_prefixed(PrefixedBody::new(frames(), None));
        assert_eq!(text(boxed).await, "hello");
        let unsync =
            UnsyncBoxBody::<Bytes, Infallible>::from_prefixed(PrefixedBody::new(frames(), None));
        assert_eq!(text(unsync).await, "hello");
        let empty = Empty::<Bytes>::from_prefixed(PrefixedBody::new(VecDeque::new(), None));
        assert!(empty.is_end_stream());
    }

    #[cfg(feature = "tonic")]
    #[tokio::test]
    async fn a_tonic_body_rebuilds_the_same_bytes() {
        let body =
            tonic::body::Body::from_prefixed(PrefixedBody::new(data_frames(&["a", "b"]), None));
        assert_eq!(text(body).await, "ab");
    }

    #[test]
    fn a_recording_shares_its_data_and_counts_it() {
        let mut recorded = Recorded::default();
        recorded.push(Frame::data(Bytes::from_static(b"abc")));
        recorded.push(Frame::trailers(HeaderMap::new()));
        assert_eq!((recorded.bytes(), recorded.frame_count()), (3, 2));
        let again = recorded.frames();
        assert_eq!(again.len(), 2);
        assert_eq!(again[0].data_ref().map(Bytes::as_ref), Some(&b"abc"[..]));
        assert!(again[1].is_trailers());
    }
}
