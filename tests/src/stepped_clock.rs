//! Tokio's paused clock for tests that wait minutes of polling while making real requests to
//! 127.0.0.1.
//!
//! On a paused clock tokio jumps straight to the next timer whenever the runtime has nothing
//! ready, even while a request is on its way over a real socket: the request's own timeout is
//! that next timer, so it would fire at once. [`on_stepped_clock`] holds that jump back (a
//! blocking task that runs until the end does, as tokio documents) and moves the clock itself,
//! a little at every turn of the scheduler, so timers fire in order and a request in flight
//! sees the clock move only as far as the scheduler turns while it waits.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

/// How far the clock moves at each turn of the scheduler.
const STEP: Duration = Duration::from_millis(10);

/// Runs `future` to its end on the paused clock, moving the clock `STEP` at a time.
///
/// Call it on a current-thread runtime (`#[tokio::test]`) whose clock is not paused yet; the
/// clock runs normally again afterwards. Give the sources under test a request timeout far
/// longer than the minutes the test waits (an hour), since the clock keeps moving while a
/// request is in flight.
pub async fn on_stepped_clock<F: Future>(future: F) -> F::Output {
    tokio::time::pause();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = tokio::task::spawn_blocking(move || {
        // Returns when `release` is dropped, below or by a panic.
        let _ = released.recv();
    });
    let mut future = pin!(future);
    let output = loop {
        tokio::select! {
            biased;
            output = &mut future => break output,
            () = tokio::time::advance(STEP) => {}
        }
    };
    drop(release);
    // The task only waits; it cannot fail.
    let _ = holder.await;
    tokio::time::resume();
    output
}
