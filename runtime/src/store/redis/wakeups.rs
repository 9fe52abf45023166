// Input: the store's pub/sub channel, on which the scripts announce a saved or cleared token
// and a released lease.
// Output: a `Notify` that wakes the hosts waiting for the lease when something happened, so
// they need not poll; a background task that keeps one subscription per store, and re-makes
// it after Redis comes back.
//
// A message lost (the subscription broken while it was sent) costs latency, not correctness:
// a waiter also tries again when the lease it waits for would expire.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_core::Stream;
use tokio::sync::{Notify, watch};
use tokio::task::AbortHandle;

/// The pause before subscribing again after the subscription broke or could not be made; it
/// doubles up to `MAX_RESUBSCRIBE_PAUSE`.
const FIRST_RESUBSCRIBE_PAUSE: Duration = Duration::from_millis(50);
const MAX_RESUBSCRIBE_PAUSE: Duration = Duration::from_secs(2);

/// The wake-ups of one store (shared by its clones); the subscription ends with the last one.
#[derive(Default)]
pub(super) struct Wakeups {
    notify: Arc<Notify>,
    subscribed: Mutex<Option<watch::Receiver<bool>>>,
    task: Mutex<Option<AbortHandle>>,
}

impl Wakeups {
    /// Woken by every message on the channel, and when the subscription breaks.
    pub(super) fn notify(&self) -> &Notify {
        &self.notify
    }

    /// Starts the subscription, unless it runs already (it ends with the runtime it was
    /// started on). Needs a Tokio runtime.
    pub(super) fn start(&self, client: &redis::Client, channel: &str, connect_timeout: Duration) {
        let mut task = self.task.lock().unwrap_or_else(PoisonError::into_inner);
        if task.as_ref().is_some_and(|task| !task.is_finished()) {
            return;
        }
        let (subscribed_tx, subscribed_rx) = watch::channel(false);
        *self
            .subscribed
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(subscribed_rx);
        let listen = listen(
            client.clone(),
            channel.to_owned(),
            Arc::clone(&self.notify),
            subscribed_tx,
            connect_timeout,
        );
        *task = Some(tokio::spawn(listen).abort_handle());
    }

    /// Whether the subscription is up, after waiting for it at most `patience`.
    pub(super) async fn subscribed_within(&self, patience: Duration) -> bool {
        let receiver = self
            .subscribed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(mut receiver) = receiver else {
            return false;
        };
        matches!(
            tokio::time::timeout(patience, receiver.wait_for(|up| *up)).await,
            Ok(Ok(_))
        )
    }

    /// Whether the subscription is up now.
    pub(super) fn subscribed(&self) -> bool {
        self.subscribed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|receiver| *receiver.borrow())
    }
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        if let Some(task) = self
            .task
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }
}

/// Subscribes to `channel` and wakes the waiters at each message, for as long as the store
/// lives; subscribes again, after a pause, whenever the connection breaks.
async fn listen(
    client: redis::Client,
    channel: String,
    notify: Arc<Notify>,
    subscribed: watch::Sender<bool>,
    connect_timeout: Duration,
) {
    let mut pause = FIRST_RESUBSCRIBE_PAUSE;
    loop {
        match subscribe(&client, &channel, connect_timeout).await {
            Ok(pubsub) => {
                pause = FIRST_RESUBSCRIBE_PAUSE;
                subscribed.send_replace(true);
                // Waiters that started before the subscription try again now that no message
                // can be missed.
                notify.notify_waiters();
                let mut messages = pubsub.into_on_message();
                while poll_fn(|cx| Pin::new(&mut messages).poll_next(cx))
                    .await
                    .is_some()
                {
                    notify.notify_waiters();
                }
                tracing::debug!(target: "freshtoken", "the Redis subscription for lease wake-ups broke; subscribing again");
            }
            Err(error) => {
                tracing::debug!(target: "freshtoken", %error, "could not subscribe for lease wake-ups; the hosts waiting for the lease poll meanwhile");
            }
        }
        subscribed.send_replace(false);
        // Waiters fall back to polling until the subscription is back.
        notify.notify_waiters();
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_RESUBSCRIBE_PAUSE);
    }
}

async fn subscribe(
    client: &redis::Client,
    channel: &str,
    connect_timeout: Duration,
) -> redis::RedisResult<redis::aio::PubSub> {
    let subscribe = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok(pubsub)
    };
    tokio::time::timeout(connect_timeout, subscribe)
        .await
        .unwrap_or_else(|_| {
            Err(redis::RedisError::from((
                redis::ErrorKind::Io,
                "no answer to SUBSCRIBE within the command timeout",
            )))
        })
}
