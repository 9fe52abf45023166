// Input: a method returning `Result<Events<T>>`: its spec, the closure that builds its
// request, and how to decode an event's `data`.
// Output: a stream of events that outlives the connection and the token: when the body ends
// or breaks, it reconnects with `Last-Event-ID`, after the server's `retry:` delay (capped)
// and a doubling backoff between failed attempts, through `ClientCore::send`, so each
// reconnection takes the cache's current token and resends once after a refusal of it.
// SSE parsing is sse-stream's (the parser rmcp uses), not ours.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use http::StatusCode;
use http::header::{ACCEPT, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use sse_stream::{Sse, SseStream};
use tracing::Instrument;

use super::Error;
use super::core::ClientCore;
use super::json_error;
use super::request::{Request, call};
use super::spec::Spec;
use crate::TokenSource;

const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// One server-sent event, its `data` decoded: what an [`Events`] stream yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<T> {
    /// The event's `id:` line, if it had one. The stream resumes after the last id it saw
    /// (`Last-Event-ID`) when it reconnects.
    pub id: Option<String>,
    /// The event's `event:` line (its type), if it had one.
    pub event: Option<String>,
    /// The `data:` lines (joined by newlines), as text for `Events<String>`, else decoded
    /// as JSON.
    pub data: T,
    /// The event's `retry:` line: how long the server asks the client to wait before it
    /// reconnects.
    pub retry: Option<Duration>,
}

type EventStream<T> = Pin<Box<dyn Stream<Item = Result<Event<T>, Error>> + Send>>;
type Start<T> = Box<dyn FnOnce(Reconnect) -> EventStream<T> + Send>;

/// A stream of server-sent events (`text/event-stream`): return `Result<Events<T>>` from a
/// method, and each event's `data` is decoded as JSON into `T` (`Events<String>`, or plain
/// `Events`, gives the text).
///
/// It is a [`Stream`] of `Result<Event<T>, Error>` (or call [`Events::next_event`]). An
/// event whose data does not decode is one [`Error::Decode`] item; the stream goes on.
///
/// The stream lasts until you drop it. When the connection drops (the body ends or breaks),
/// it reconnects: after the server's `retry:` delay (or [`reconnect_delay`], capped by
/// [`max_reconnect_delay`]), doubling after each failed attempt, with `Last-Event-ID` set to
/// the last id seen and the cache's current token (a 401 costs one resend with a new one, as
/// for any call), so it outlives its token. A reconnection counts as failed when it is
/// refused or closes before an event; after [`max_reconnects`] in a row the stream yields
/// [`Error::Disconnected`] and ends. A refusal that will not change (a 4xx other than 408
/// and 429, a token that needs a new login) ends it at once with that error. The server
/// ends the stream on purpose by answering a reconnection with 204 No Content.
///
/// A method or client timeout bounds each connection: the stream reconnects after it.
///
/// ```
/// use freshtoken::client::Events;
/// use serde::Deserialize;
///
/// #[derive(Debug, Deserialize)]
/// pub struct Progress {
///     pub done: u32,
/// }
///
/// #[freshtoken::client]
/// pub trait Jobs {
///     #[get("/jobs/{id}/progress")]
///     async fn progress(&self, id: u64) -> Result<Events<Progress>>;
/// }
///
/// async fn wait(client: &impl Jobs) -> Result<(), freshtoken::client::Error> {
///     let mut events = client.progress(7).await?;
///     while let Some(event) = events.next_event().await {
///         if event?.data.done == 100 {
///             break;
///         }
///     }
///     Ok(())
/// }
/// ```
///
/// [`reconnect_delay`]: Events::reconnect_delay
/// [`max_reconnect_delay`]: Events::max_reconnect_delay
/// [`max_reconnects`]: Events::max_reconnects
pub struct Events<T = String> {
    reconnect: Reconnect,
    /// What starts the stream at the first poll, with the reconnect settings as then set.
    start: Option<Start<T>>,
    stream: Option<EventStream<T>>,
}

impl<T> Events<T> {
    /// A stream of the events `stream` yields, which never reconnects: for a fake of the trait
    /// in your tests.
    ///
    /// ```
    /// use freshtoken::client::{Event, Events};
    ///
    /// let events: Events<String> = Events::from_stream(futures_util::stream::iter([Ok(Event {
    ///     id: Some("1".to_owned()),
    ///     event: None,
    ///     data: "hello".to_owned(),
    ///     retry: None,
    /// })]));
    /// # let _ = events;
    /// ```
    pub fn from_stream(
        stream: impl Stream<Item = Result<Event<T>, Error>> + Send + 'static,
    ) -> Self {
        Self {
            reconnect: Reconnect::default(),
            start: None,
            stream: Some(Box::pin(stream)),
        }
    }

    /// How long to wait before reconnecting when the server has not said (`retry:`); 3 s by
    /// default. It doubles after each failed attempt. Set before the first event.
    #[must_use]
    pub fn reconnect_delay(mut self, delay: Duration) -> Self {
        self.reconnect.delay = delay;
        self
    }

    /// The longest wait before a reconnection, whatever the server's `retry:` or the
    /// doubling says; 60 s by default. Set before the first event.
    #[must_use]
    pub fn max_reconnect_delay(mut self, delay: Duration) -> Self {
        self.reconnect.max_delay = delay;
        self
    }

    /// How many reconnections in a row may fail before the stream ends with
    /// [`Error::Disconnected`]; 8 by default. Set before the first event.
    #[must_use]
    pub fn max_reconnects(mut self, attempts: u32) -> Self {
        self.reconnect.max_attempts = attempts;
        self
    }

    /// The next event, or `None` when the stream has ended.
    ///
    /// # Errors
    /// [`Error::Decode`] for an event that does not decode (the stream goes on);
    /// [`Error::Disconnected`] or the refusal of a reconnection, after which it ends.
    pub async fn next_event(&mut self) -> Option<Result<Event<T>, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    fn ended() -> Self {
        Self {
            reconnect: Reconnect::default(),
            start: None,
            stream: None,
        }
    }
}

impl<T> Stream for Events<T> {
    type Item = Result<Event<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(start) = self.start.take() {
            let reconnect = self.reconnect;
            self.stream = Some(start(reconnect));
        }
        match &mut self.stream {
            Some(stream) => stream.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

impl<T> fmt::Debug for Events<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("reconnect", &self.reconnect)
            .finish_non_exhaustive()
    }
}

/// When and how often a stream reconnects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reconnect {
    delay: Duration,
    max_delay: Duration,
    max_attempts: u32,
}

impl Default for Reconnect {
    fn default() -> Self {
        Self {
            delay: Duration::from_secs(3),
            max_delay: Duration::from_secs(60),
            max_attempts: 8,
        }
    }
}

/// The wait before a reconnection: `base` doubled for each failed attempt before it, at most
/// `max`.
fn backoff(base: Duration, failures: u32, max: Duration) -> Duration {
    base.checked_mul(1 << failures.min(16))
        .unwrap_or(max)
        .min(max)
}

/// An event's `data` as its text.
///
/// # Errors
/// Never: the signature is the one every `data` decoder has.
#[allow(clippy::unnecessary_wraps)]
pub fn event_text(data: String) -> Result<String, String> {
    Ok(data)
}

/// An event's `data` decoded as JSON, with a reason that never quotes it.
///
/// # Errors
/// Why the data does not fit `T`.
#[allow(clippy::needless_pass_by_value)] // the signature every `data` decoder has
pub fn event_json<T: DeserializeOwned>(data: String) -> Result<T, String> {
    serde_json::from_str(&data).map_err(|error| json_error::reason(&error))
}

type SseBody = Pin<Box<dyn Stream<Item = Result<Sse, sse_stream::Error>> + Send + Sync>>;

fn sse_body(response: reqwest::Response) -> SseBody {
    Box::pin(SseStream::from_bytes_stream(response.bytes_stream()))
}

impl<S: TokenSource> ClientCore<S> {
    /// Opens the event stream of the method `spec` describes: `build` adds the arguments to
    /// the request (again for each reconnection), `parse` decodes each event's data.
    ///
    /// # Errors
    /// As [`call`](Self::call), for the first connection; later failures are the stream's.
    pub async fn events<B, T>(
        &self,
        spec: &'static Spec,
        build: B,
        parse: fn(String) -> Result<T, String>,
    ) -> Result<Events<T>, Error>
    where
        B: Fn(&mut Request) -> Result<(), Error> + Send + Sync,
        T: Send + 'static,
    {
        let build = |request: &mut Request| {
            build(request)?;
            request
                .headers
                .insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
            Ok(())
        };
        let response = send_traced(self, spec, &build).await?;
        if response.status() == StatusCode::NO_CONTENT {
            return Ok(Events::ended());
        }
        // The arguments are borrowed for this call only: a reconnection resends a copy.
        let mut template = Request::new(spec);
        build(&mut template)?;
        let connection = Connection {
            core: self.clone(),
            spec,
            template: template.try_clone(),
            parse,
            body: Some(sse_body(response)),
            last_id: None,
            server_delay: None,
            failures: 0,
            last_error: None,
            done: false,
        };
        Ok(Events {
            reconnect: Reconnect::default(),
            start: Some(Box::new(move |reconnect| {
                Box::pin(futures_util::stream::unfold(
                    (connection, reconnect),
                    |(mut connection, reconnect)| async move {
                        let item = connection.next(reconnect).await?;
                        Some((item, (connection, reconnect)))
                    },
                ))
            })),
            stream: None,
        })
    }
}

/// The state of one event stream across its connections.
struct Connection<S, T> {
    core: ClientCore<S>,
    spec: &'static Spec,
    /// The request to send again; `None` when its body cannot be copied (streamed or
    /// multipart), and the stream cannot reconnect.
    template: Option<Request>,
    parse: fn(String) -> Result<T, String>,
    body: Option<SseBody>,
    last_id: Option<String>,
    /// The server's last `retry:`.
    server_delay: Option<Duration>,
    /// Reconnections since the last event.
    failures: u32,
    last_error: Option<Error>,
    done: bool,
}

impl<S: TokenSource, T> Connection<S, T> {
    async fn next(&mut self, reconnect: Reconnect) -> Option<Result<Event<T>, Error>> {
        loop {
            if self.done {
                return None;
            }
            if let Some(body) = &mut self.body {
                match body.next().await {
                    Some(Ok(sse)) => {
                        if let Some(event) = self.event(sse) {
                            return Some(event);
                        }
                    }
                    // The body ended or broke: the connection dropped.
                    None | Some(Err(sse_stream::Error::Body(_))) => self.body = None,
                    Some(Err(error)) => {
                        return Some(Err(Error::Decode {
                            call: call(self.spec),
                            reason: format!("a line of the event stream is malformed: {error}"),
                        }));
                    }
                }
                continue;
            }
            if self.failures >= reconnect.max_attempts {
                self.done = true;
                return Some(Err(Error::Disconnected {
                    call: call(self.spec),
                    attempts: self.failures,
                    last: self.last_error.take().map(Box::new),
                }));
            }
            let base = self.server_delay.unwrap_or(reconnect.delay);
            tokio::time::sleep(backoff(base, self.failures, reconnect.max_delay)).await;
            self.failures += 1;
            match self.connect().await {
                Ok(Some(body)) => {
                    self.body = Some(body);
                    self.last_error = None;
                }
                // The server ended the stream on purpose.
                Ok(None) => self.done = true,
                Err(error) if is_final(&error) => {
                    self.done = true;
                    return Some(Err(error));
                }
                Err(error) => self.last_error = Some(error),
            }
        }
    }

    /// The event to yield for `sse`, after noting its id and retry; `None` for a block
    /// without data (a retry or id alone), which the SSE spec does not dispatch.
    fn event(&mut self, sse: Sse) -> Option<Result<Event<T>, Error>> {
        let retry = sse.retry.map(Duration::from_millis);
        if retry.is_some() {
            self.server_delay = retry;
        }
        if let Some(id) = &sse.id {
            // An empty `id:` resets the last id: a reconnection then sends none.
            self.last_id = (!id.is_empty()).then(|| id.clone());
        }
        let data = sse.data?;
        self.failures = 0;
        Some(match (self.parse)(data) {
            Ok(data) => Ok(Event {
                id: sse.id,
                event: sse.event,
                data,
                retry,
            }),
            Err(reason) => Err(Error::Decode {
                call: call(self.spec),
                reason: format!("an event's data does not fit: {reason}"),
            }),
        })
    }

    /// One reconnection: the body, or `None` for a 204 that ends the stream.
    async fn connect(&self) -> Result<Option<SseBody>, Error> {
        let Some(template) = &self.template else {
            return Err(Error::InvalidArgument {
                call: call(self.spec),
                param: "body",
                reason: "a streamed or multipart body is read once, so the event stream cannot reconnect: send the body as bytes or JSON".to_owned(),
            });
        };
        let last_id = self
            .last_id
            .as_deref()
            .and_then(|id| HeaderValue::from_bytes(id.as_bytes()).ok());
        let spec = self.spec;
        let build = |request: &mut Request| {
            *request = template.try_clone().ok_or_else(|| Error::InvalidArgument {
                call: call(spec),
                param: "body",
                reason: "the body cannot be sent again".to_owned(),
            })?;
            if let Some(id) = &last_id {
                request.headers.insert(LAST_EVENT_ID, id.clone());
            }
            Ok(())
        };
        let response = send_traced(&self.core, self.spec, &build).await?;
        if response.status() == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        Ok(Some(sse_body(response)))
    }
}

/// `core.send`, in the debug span of the per-call options if the client has some: each
/// connection of a stream opened through `with(options)` is logged with its request id.
async fn send_traced<S: TokenSource, B>(
    core: &ClientCore<S>,
    spec: &'static Spec,
    build: &B,
) -> Result<reqwest::Response, Error>
where
    B: Fn(&mut Request) -> Result<(), Error> + Send + Sync,
{
    match core.options() {
        None => core.send(spec, build).await,
        Some(options) => {
            let span = options.span(spec);
            span.in_scope(|| options.trace_start(spec));
            core.send(spec, build).instrument(span).await
        }
    }
}

/// Whether a failed reconnection will fail the same way however often it is tried.
fn is_final(error: &Error) -> bool {
    match error {
        Error::Auth(error) => error.needs_reauthentication(),
        Error::Status { status, .. } => {
            status.is_client_error()
                && *status != StatusCode::REQUEST_TIMEOUT
                && *status != StatusCode::TOO_MANY_REQUESTS
        }
        Error::Transport { .. } => false,
        #[cfg(feature = "reqwest-middleware")]
        Error::Middleware { .. } => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::backoff;

    #[test]
    fn the_reconnect_delay_doubles_per_failure_up_to_the_cap() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        let delays: Vec<_> = (0..6)
            .map(|failures| backoff(base, failures, max))
            .collect();
        assert_eq!(
            delays,
            [100, 200, 400, 800, 1000, 1000].map(Duration::from_millis)
        );
        assert_eq!(
            backoff(Duration::from_secs(3600), 0, max),
            max,
            "a server's long retry is capped"
        );
        assert_eq!(backoff(base, u32::MAX, max), max, "no overflow");
    }
}
