//! `FileStore::lock` against a lock held by another process: attempts that give up (the
//! cache bounds each with its refresh timeout) leave no thread behind, so the runtime shuts
//! down at once however long the other process holds on; and a lock the other process
//! releases is then taken.

use std::fs::{File, TryLockError};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};
use std::time::Duration;

use freshtoken::{FileStore, TokenStore};

/// The longest any wait in these tests may take.
const BOUND: Duration = Duration::from_secs(10);

/// Threads a runtime may add or keep for its own use (workers, an idle blocking thread)
/// without it counting as a leak; one thread per attempt would add [`ATTEMPTS`].
const SLACK: usize = 16;

/// Lock attempts abandoned by the first test: well above [`SLACK`], so a thread left per
/// attempt shows.
const ATTEMPTS: usize = 60;

/// The tests share the runtime's thread name, so they run one at a time.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The name of the test runtime's threads (at most 15 bytes, the kernel's limit for `comm`).
const RUNTIME_THREAD: &str = "lock-test-rt";

/// The test runtime's OS threads (workers and blocking threads). Counted by name so that
/// threads of the harness or of another test coming and going cannot change the count.
fn runtime_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.trim_end() == RUNTIME_THREAD)
        })
        .count()
}

/// The file `FileStore` locks: its path with `.lock` appended.
fn lock_file(store: &FileStore) -> PathBuf {
    let mut name = store.path().as_os_str().to_owned();
    name.push(".lock");
    name.into()
}

/// The runtime's threads still listed once they had the chance to go: a joined thread can
/// stay in `/proc/self/task` for a moment while the kernel tears it down, so look again
/// (bounded) before calling it left behind.
fn threads_left_after_exit() -> usize {
    let deadline = std::time::Instant::now() + BOUND;
    loop {
        let left = runtime_threads();
        if left == 0 || std::time::Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(RUNTIME_THREAD)
        .enable_all()
        .build()
        .unwrap()
}

/// `tests/src/bin/file_lock_holder.rs`, holding the lock on a file until released; killed
/// when dropped, so it never outlives a test that panics.
struct Holder(Child);

impl Holder {
    /// Starts the holder and waits (bounded) until it holds the lock on `lock_file`.
    fn start(lock_file: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_file_lock_holder"))
            .arg(lock_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let holder = Self(child);
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = receiver
            .recv_timeout(BOUND)
            .expect("the holder reports within 10 s");
        assert_eq!(line.trim(), "locked", "the holder took the lock");
        holder
    }

    /// Tells the holder to release the lock (it exits when its stdin closes).
    fn release(&mut self) {
        drop(self.0.stdin.take());
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn abandoned_lock_attempts_leave_no_thread_and_the_runtime_shuts_down() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    // Made before the holder, so dropped after it: on a failure the holder dies first and
    // releases any thread stuck in the lock, which the runtime's drop would wait for.
    let runtime = runtime();
    // A thread names itself once it runs, which a loaded machine may delay past the count
    // below: a task run to completion means the worker has run.
    runtime.block_on(runtime.spawn(async {})).unwrap();
    let _holder = Holder::start(&lock_file(&store));
    let before = runtime_threads();
    assert!(before >= 1, "the runtime's worker is counted");

    // Like the cache, bound each attempt and drop it when the bound passes.
    let (acquired, failed) = runtime.block_on(async {
        let (mut acquired, mut failed) = (0, 0);
        for _ in 0..ATTEMPTS {
            match tokio::time::timeout(Duration::from_millis(20), store.lock()).await {
                Ok(Ok(_)) => acquired += 1,
                Ok(Err(_)) => failed += 1,
                Err(_) => {}
            }
        }
        (acquired, failed)
    });
    let during = runtime_threads();
    assert_eq!(
        (acquired, failed),
        (0, 0),
        "another process holds the lock: every attempt waits"
    );
    assert!(
        during <= before + SLACK,
        "{ATTEMPTS} abandoned attempts left {} threads behind",
        during - before
    );

    // Bounded by itself: with a thread stuck in the lock it would give up after 5 s and
    // leave the thread running, which the count below sees.
    runtime.shutdown_timeout(Duration::from_secs(5));
    let after = threads_left_after_exit();
    assert_eq!(
        after, 0,
        "the runtime's threads are all gone after shutdown ({before} before)"
    );
}

#[test]
fn lock_released_by_another_process_is_then_taken() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    let runtime = runtime();
    let mut holder = Holder::start(&lock_file(&store));

    let attempt = runtime.spawn({
        let store = store.clone();
        async move { store.lock().await }
    });
    runtime.block_on(async {
        // While the other process holds the lock the attempt must not succeed; these turns
        // give a wrong implementation the chance to, they decide nothing by timing.
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
            assert!(
                !attempt.is_finished(),
                "no lock while another process holds it"
            );
        }
        holder.release();
        let lock = tokio::time::timeout(BOUND, attempt)
            .await
            .expect("the lock is taken within 10 s of its release")
            .unwrap()
            .unwrap();

        // It is really held: another descriptor of the file cannot take it until dropped.
        let probe = File::open(lock_file(&store)).unwrap();
        assert!(matches!(probe.try_lock(), Err(TryLockError::WouldBlock)));
        drop(lock);
        assert!(probe.try_lock().is_ok(), "dropping the guard releases it");
    });
    runtime.shutdown_timeout(BOUND);
}
