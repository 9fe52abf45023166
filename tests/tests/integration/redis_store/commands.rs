//! The commands clients send to a `redis-server`, as `MONITOR` shows them: how the tests count
//! Redis round trips (commands run by a script on the server are not round trips, and are
//! left out).

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use freshtoken_tests::redis_server::RedisServer;
use futures_util::Stream;

/// Commands a connection sends once when made, not per rotation.
const SETUP: [&str; 4] = ["\"client\"", "\"hello\"", "\"subscribe\"", "\"select\""];

/// The monitored commands of one server; the monitor stops when dropped.
pub struct CommandLog {
    lines: Arc<Mutex<Vec<String>>>,
    monitor: tokio::task::JoinHandle<()>,
    marker: redis::aio::MultiplexedConnection,
    marks: usize,
    since: usize,
}

impl CommandLog {
    /// Starts monitoring `redis`.
    ///
    /// # Panics
    /// When the server does not accept `MONITOR`.
    pub async fn start(redis: &RedisServer) -> Self {
        let client = redis::Client::open(redis.url()).unwrap();
        let monitor = client.get_async_monitor().await.unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let monitor = tokio::spawn(async move {
            let mut stream = Box::pin(monitor.into_on_message::<String>());
            while let Some(line) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(line);
            }
        });
        let marker = client.get_multiplexed_async_connection().await.unwrap();
        let mut log = Self {
            lines,
            monitor,
            marker,
            marks: 0,
            since: 0,
        };
        log.client_commands().await;
        log
    }

    /// The commands clients sent (less connection set-up) since the last call, once the
    /// monitor has shown every command sent before this call.
    ///
    /// # Panics
    /// When the server does not answer, or `MONITOR` does not show the mark within 10 s.
    pub async fn client_commands(&mut self) -> Vec<String> {
        self.marks += 1;
        let mark = format!("freshtoken-test-mark-{}", self.marks);
        let _: String = redis::cmd("ECHO")
            .arg(&mark)
            .query_async(&mut self.marker)
            .await
            .unwrap();
        let end = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let position = self
                    .lines
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .iter()
                    .position(|line| line.contains(&mark));
                if let Some(position) = position {
                    return position;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("MONITOR did not show the mark");
        let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        let sent = lines[self.since..end]
            .iter()
            .filter(|line| !line.contains(" lua]") && !line.contains("freshtoken-test-mark"))
            .filter(|line| !is_setup(line))
            .cloned()
            .collect();
        self.since = end + 1;
        sent
    }
}

/// The command a `MONITOR` line shows, quoted: `"EVALSHA"`.
fn is_setup(line: &str) -> bool {
    let command = command(line);
    SETUP
        .iter()
        .any(|setup| setup.eq_ignore_ascii_case(command))
}

fn command(line: &str) -> &str {
    line.split_once("] ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .unwrap_or_default()
}

impl Drop for CommandLog {
    fn drop(&mut self) {
        self.monitor.abort();
    }
}
