// Input: the stores' pub/sub channels, on which the scripts announce a saved or cleared token
// and a released lease.
// Output: per store a `Notify` that wakes the hosts waiting for the lease when something
// happened on its channel, so they need not poll; one subscription connection shared by a
// store and the stores of its partitions (`Subscriber`), which subscribes each store's channel
// on demand and re-subscribes them all after Redis comes back.
//
// One connection for all partitions: a connection per partition would be a connection per
// user. A message lost (the subscription broken while it was sent) costs latency, not
// correctness: a waiter also tries again when the lease it waits for would expire.

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use futures_core::Stream;
use redis::aio::{PubSubSink, PubSubStream};
use tokio::sync::{Notify, watch};
use tokio::task::AbortHandle;

/// The pause before subscribing again after the subscription broke or could not be made; it
/// doubles up to `MAX_RESUBSCRIBE_PAUSE`.
const FIRST_RESUBSCRIBE_PAUSE: Duration = Duration::from_millis(50);
const MAX_RESUBSCRIBE_PAUSE: Duration = Duration::from_secs(2);

/// The subscription connection shared by the stores made from one `RedisStore::open`: the
/// channels of the stores alive, and a background task that reads their messages.
pub(super) struct Subscriber {
    client: redis::Client,
    state: Mutex<State>,
    /// Whether the connection is up with every registered channel subscribed (but those
    /// registered since, which subscribe themselves).
    up: watch::Sender<bool>,
}

#[derive(Default)]
struct State {
    /// The waiters of each channel: a store and its clones share one entry; a partition made
    /// again while its old store lives adds one.
    channels: HashMap<String, Vec<Weak<Notify>>>,
    sink: Option<PubSubSink>,
    task: Option<AbortHandle>,
    /// The command timeout of the store that started the task, for its connections.
    connect_timeout: Duration,
}

impl Subscriber {
    pub(super) fn new(client: redis::Client) -> Self {
        Self {
            client,
            state: Mutex::default(),
            up: watch::channel(false).0,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `notify` for `channel`, and starts the subscription task unless it runs
    /// already (it ends with the runtime it was started on). Needs a Tokio runtime.
    fn register(self: &Arc<Self>, channel: &str, notify: &Arc<Notify>, connect_timeout: Duration) {
        let mut state = self.state();
        let waiters = state.channels.entry(channel.to_owned()).or_default();
        waiters.retain(|waiter| waiter.strong_count() > 0);
        waiters.push(Arc::downgrade(notify));
        if state.task.as_ref().is_some_and(|task| !task.is_finished()) {
            return;
        }
        // A task that ended with its runtime left no word of it: whatever it had is gone.
        state.sink = None;
        self.up.send_replace(false);
        state.connect_timeout = connect_timeout;
        state.task = Some(tokio::spawn(listen(Arc::downgrade(self))).abort_handle());
    }

    /// Forgets `notify`; unsubscribes its channel once no store waits on it.
    fn unregister(&self, channel: &str, notify: &Arc<Notify>) {
        let mut state = self.state();
        let Some(waiters) = state.channels.get_mut(channel) else {
            return;
        };
        waiters.retain(|waiter| {
            waiter.strong_count() > 0 && !Weak::ptr_eq(waiter, &Arc::downgrade(notify))
        });
        if !waiters.is_empty() {
            return;
        }
        state.channels.remove(channel);
        let (Some(mut sink), Ok(runtime)) =
            (state.sink.clone(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let channel = channel.to_owned();
        // A message of a channel nobody waits on is dropped anyway: the unsubscription only
        // saves Redis the sends.
        runtime.spawn(async move {
            let _ = sink.unsubscribe(channel).await;
        });
    }

    /// Subscribes `channel` on the connection up now, within `patience`.
    async fn subscribe(&self, channel: &str, patience: Duration) -> bool {
        let mut up = self.up.subscribe();
        let wait_up = async {
            if up.wait_for(|up| *up).await.is_err() {
                return false;
            }
            let sink = self.state().sink.clone();
            match sink {
                Some(mut sink) => sink.subscribe(channel).await.is_ok(),
                None => false,
            }
        };
        matches!(tokio::time::timeout(patience, wait_up).await, Ok(true))
    }

    /// Wakes the waiters of `channel`, or of every channel.
    fn wake(&self, channel: Option<&str>) {
        let state = self.state();
        let wake = |waiters: &Vec<Weak<Notify>>| {
            for waiter in waiters.iter().filter_map(Weak::upgrade) {
                waiter.notify_waiters();
            }
        };
        match channel {
            Some(channel) => state.channels.get(channel).into_iter().for_each(wake),
            None => state.channels.values().for_each(wake),
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        if let Some(task) = self
            .state
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .task
            .take()
        {
            task.abort();
        }
    }
}

/// The wake-ups of one store (shared by its clones), on its own channel.
pub(super) struct Wakeups {
    notify: Arc<Notify>,
    subscriber: Option<Arc<Subscriber>>,
    channel: String,
    registered: AtomicBool,
    /// This store's channel was subscribed on a connection that was up (the subscriber
    /// subscribes it again on each new one).
    confirmed: AtomicBool,
}

impl Wakeups {
    /// The wake-ups of `channel`; with no subscriber (a cluster, a connection of the user's),
    /// the store polls.
    pub(super) fn new(subscriber: Option<Arc<Subscriber>>, channel: &str) -> Self {
        Self {
            notify: Arc::default(),
            subscriber,
            channel: channel.to_owned(),
            registered: AtomicBool::new(false),
            confirmed: AtomicBool::new(false),
        }
    }

    /// Woken by every message on the channel, and when the subscription breaks or comes back.
    pub(super) fn notify(&self) -> &Notify {
        &self.notify
    }

    /// Whether the store can be woken rather than poll.
    pub(super) fn can_subscribe(&self) -> bool {
        self.subscriber.is_some()
    }

    /// Registers the channel with the subscriber (once); `connect_timeout` bounds the
    /// subscription's connection, if this starts it. Needs a Tokio runtime.
    pub(super) fn start(&self, connect_timeout: Duration) {
        if let Some(subscriber) = &self.subscriber
            && !self.registered.swap(true, Ordering::SeqCst)
        {
            subscriber.register(&self.channel, &self.notify, connect_timeout);
        }
    }

    /// Whether the channel is subscribed, after waiting for it at most `patience`.
    pub(super) async fn subscribed_within(&self, patience: Duration) -> bool {
        let Some(subscriber) = &self.subscriber else {
            return false;
        };
        if self.subscribed() {
            return true;
        }
        let done = subscriber.subscribe(&self.channel, patience).await;
        if done {
            self.confirmed.store(true, Ordering::SeqCst);
        }
        done
    }

    /// Whether the channel is subscribed now.
    pub(super) fn subscribed(&self) -> bool {
        self.confirmed.load(Ordering::SeqCst)
            && self
                .subscriber
                .as_ref()
                .is_some_and(|subscriber| *subscriber.up.borrow())
    }
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        if let Some(subscriber) = &self.subscriber
            && *self.registered.get_mut()
        {
            subscriber.unregister(&self.channel, &self.notify);
        }
    }
}

/// Keeps the subscription connection for as long as its subscriber lives: subscribes every
/// registered channel, wakes each message's waiters, and starts again, after a pause, whenever
/// the connection breaks.
async fn listen(subscriber: Weak<Subscriber>) {
    let mut pause = FIRST_RESUBSCRIBE_PAUSE;
    loop {
        let Some(connected) = subscriber.upgrade() else {
            return;
        };
        match connect(&connected).await {
            Ok(mut messages) => {
                pause = FIRST_RESUBSCRIBE_PAUSE;
                connected.up.send_replace(true);
                // Waiters that started before the subscription try again now that no message
                // can be missed.
                connected.wake(None);
                drop(connected);
                while let Some(message) = poll_fn(|cx| Pin::new(&mut messages).poll_next(cx)).await
                {
                    let Some(subscriber) = subscriber.upgrade() else {
                        return;
                    };
                    subscriber.wake(Some(message.get_channel_name()));
                }
                tracing::debug!(target: "freshtoken", "the Redis subscription for lease wake-ups broke; subscribing again");
            }
            Err(error) => {
                tracing::debug!(target: "freshtoken", %error, "could not subscribe for lease wake-ups; the hosts waiting for the lease poll meanwhile");
                drop(connected);
            }
        }
        let Some(broken) = subscriber.upgrade() else {
            return;
        };
        broken.up.send_replace(false);
        broken.state().sink = None;
        // Waiters fall back to polling until the subscription is back.
        broken.wake(None);
        drop(broken);
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_RESUBSCRIBE_PAUSE);
    }
}

/// A new subscription connection with every registered channel subscribed; its messages.
async fn connect(subscriber: &Subscriber) -> redis::RedisResult<PubSubStream> {
    let connect_timeout = subscriber.state().connect_timeout;
    let connect = async {
        let (mut sink, messages) = subscriber.client.get_async_pubsub().await?.split();
        // The channels and the sink under one lock: a channel registered later finds the sink
        // and subscribes itself.
        let channels: Vec<String> = {
            let mut state = subscriber.state();
            state.sink = Some(sink.clone());
            state.channels.keys().cloned().collect()
        };
        if !channels.is_empty() {
            sink.subscribe(channels).await?;
        }
        Ok(messages)
    };
    tokio::time::timeout(connect_timeout, connect)
        .await
        .unwrap_or_else(|_| {
            Err(redis::RedisError::from((
                redis::ErrorKind::Io,
                "no answer to SUBSCRIBE within the command timeout",
            )))
        })
}
