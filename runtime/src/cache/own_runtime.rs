// Input: a cache built for a program with no tokio runtime of its own.
// Output: a current-thread runtime on a thread of the cache's, running its refreshes until the
// last clone of the cache is dropped.
//
// A current-thread runtime runs tasks only inside `block_on`, so the thread sits in `block_on`
// until the stop signal: the sender's drop, with the cache. The cache may be dropped on that
// very thread (by the refresh task that held its last clone), where joining the thread or
// dropping the runtime would panic; so nothing waits for the thread, which drops the runtime
// itself once `block_on` has returned.

use std::io;

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// The name of the thread, as tools such as `top -H` show it.
pub(super) const THREAD_NAME: &str = "freshtoken-refresh";

/// A runtime owned by one cache; dropping it stops the runtime's thread.
pub(super) struct OwnRuntime {
    handle: Handle,
    /// Dropped with the cache: the thread's `block_on` then returns.
    _stop: oneshot::Sender<()>,
}

impl OwnRuntime {
    /// Starts the runtime and its thread.
    pub(super) fn start() -> io::Result<Self> {
        // `enable_all`: the time driver the cache needs, and the I/O driver when a source's
        // HTTP client (reqwest) has brought tokio's `net` feature into the build.
        let runtime = Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                // An error here is the signal itself: the sender is gone with the cache.
                let _ = runtime.block_on(stopped);
            })?;
        Ok(Self {
            handle,
            _stop: stop,
        })
    }

    /// Where the cache spawns its refreshes.
    pub(super) fn handle(&self) -> Handle {
        self.handle.clone()
    }
}
