// Input: the spans and events of this thread while a capture lives.
// Output: each span's name, its parent's name and its fields (recorded ones included) as
// text, and each event's fields with the name of the span it happened in, for tests to
// assert on.

use std::fmt::{Debug, Write};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span as captured.
#[derive(Debug, Clone)]
pub(crate) struct CapturedSpan {
    id: u64,
    pub(crate) name: &'static str,
    pub(crate) parent: Option<&'static str>,
    /// `key=value` pairs, space separated.
    pub(crate) fields: String,
}

/// What a capture saw.
#[derive(Clone, Default)]
pub(crate) struct Captured {
    spans: Arc<Mutex<Vec<CapturedSpan>>>,
    /// Each event's span name (`-` outside any) and fields.
    events: Arc<Mutex<Vec<(&'static str, String)>>>,
}

impl Captured {
    /// The spans named `name`.
    pub(crate) fn spans(&self, name: &str) -> Vec<CapturedSpan> {
        let spans = self.spans.lock().unwrap();
        spans.iter().filter(|s| s.name == name).cloned().collect()
    }

    /// The fields of the events that happened in a span named `span`.
    pub(crate) fn events_in(&self, span: &str) -> Vec<String> {
        let events = self.events.lock().unwrap();
        let inside = events.iter().filter(|(name, _)| *name == span);
        inside.map(|(_, fields)| fields.clone()).collect()
    }

    /// Everything seen, as text: what no secret may appear in.
    pub(crate) fn text(&self) -> String {
        format!(
            "{:?} {:?}",
            self.spans.lock().unwrap(),
            self.events.lock().unwrap()
        )
    }
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let _ = write!(self.0, "{}={value:?} ", field.name());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, "{}={value} ", field.name());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Captured {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = String::new();
        attrs.record(&mut Fields(&mut fields));
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .map(|parent| parent.name());
        self.spans.lock().unwrap().push(CapturedSpan {
            id: id.into_u64(),
            name: attrs.metadata().name(),
            parent,
            fields,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut spans = self.spans.lock().unwrap();
        // Ids are reused once a span closes: the open one is the last with this id.
        if let Some(span) = spans.iter_mut().rev().find(|s| s.id == id.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = String::new();
        event.record(&mut Fields(&mut fields));
        let span = ctx.event_span(event).map_or("-", |span| span.name());
        self.events.lock().unwrap().push((span, fields));
    }
}

/// Captures this thread's spans and events, at every level, while the guard lives (a
/// current-thread runtime's tasks included).
pub(crate) fn capture() -> (Captured, CaptureGuard) {
    let captured = Captured::default();
    let guard = watch_this_thread(tracing_subscriber::registry().with(captured.clone()));
    (captured, guard)
}

/// Makes `subscriber` this thread's until the guard drops. A second dispatcher kept alive
/// makes tracing ask every registered subscriber, this thread's included, about every
/// callsite: with one, a sibling test with no subscriber would cache "never" for a callsite
/// this test watches.
pub(crate) fn watch_this_thread(
    subscriber: impl tracing::Subscriber + Send + Sync + 'static,
) -> CaptureGuard {
    let anchor = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let default = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    CaptureGuard {
        _default: default,
        _anchor: anchor,
    }
}

/// Keeps a [`capture`] going.
pub(crate) struct CaptureGuard {
    _default: tracing::subscriber::DefaultGuard,
    _anchor: tracing::Dispatch,
}
