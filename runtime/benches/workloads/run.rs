// Input: a subject, a number of tasks and a number of reads.
// Output: the wall time those reads took on the current (multi-thread) tokio runtime.

use std::hint::black_box;
use std::time::{Duration, Instant};

use super::subjects::Subject;

/// Time for `calls` reads of `subject`, one after another in one task.
pub(crate) async fn single<T: Subject>(subject: T, calls: u64) -> Duration {
    tokio::spawn(async move {
        let started = Instant::now();
        for _ in 0..calls {
            black_box(subject.read().await);
        }
        started.elapsed()
    })
    .await
    .expect("the reading task does not panic")
}

/// Time for `calls` reads of `subject` shared out among `tasks` tasks that run at once,
/// from the first spawn to the last task's end. When `calls` does not divide evenly (or is
/// smaller than `tasks`), the time is scaled to `calls` from the reads actually made.
pub(crate) async fn contended<T: Subject>(subject: T, tasks: u64, calls: u64) -> Duration {
    let per_task = (calls / tasks).max(1);
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let subject = subject.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    black_box(subject.read().await);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("the reading task does not panic");
    }
    let elapsed = started.elapsed();
    #[allow(clippy::cast_precision_loss)] // call counts far below 2^52
    let scale = calls as f64 / (per_task * tasks) as f64;
    elapsed.mul_f64(scale)
}
