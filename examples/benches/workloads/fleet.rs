// Input: a redis-server (started on a free loopback port; `redis-server` must be installed).
// Output: what a `RedisStore` costs (issue 14): the fast path with the store against the
// same cache in memory, the Redis commands that path sends (none), and for a fleet of caches
// (each with its own connection, as on its own host) the token requests and the Redis round
// trips per rotation, and how long the fleet stalls when a host dies holding the lease.

use std::future::poll_fn;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_core::Stream;

use freshtoken::store::RedisStore;
use freshtoken::{AuthError, Token, TokenCache, TokenSource, TokenStore};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// Caches in the fleet, and how long it runs on tokens that live `LIFETIME`.
const HOSTS: usize = 8;
const FLEET_RUN: Duration = Duration::from_secs(6);
const LIFETIME: Duration = Duration::from_secs(1);
/// Commands a connection sends once when made, not per rotation.
const SETUP: [&str; 4] = ["\"client\"", "\"hello\"", "\"subscribe\"", "\"select\""];
/// Reads per fast-path timing, and timings per cache (the median is kept).
const FAST_CALLS: u64 = 1_000_000;
const FAST_ROUNDS: usize = 5;

/// A token source that counts its calls; every token lives `LIFETIME`.
#[derive(Clone, Default)]
struct Counting(Arc<AtomicU32>);

impl TokenSource for Counting {
    async fn fetch(&self, _previous: Option<&Token>) -> Result<Token, AuthError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Token::builder(format!("access-{n}"))
            .expires_in(LIFETIME)
            .refresh_token(format!("refresh-{n}"))
            .build()
    }
}

/// A redis-server on a free loopback port, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start() -> Result<Self, String> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|error| format!("no free port: {error}"))?
            .port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("could not start redis-server (is it installed?): {error}"))?;
        let server = Self {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
        };
        let started = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                return Err("redis-server did not listen within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(server)
    }

    /// A connection for [`commands`], made once: making one sends commands.
    async fn counter(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url.as_str())
            .expect("the server's URL")
            .get_multiplexed_async_connection()
            .await
            .expect("a connection to the benchmark's redis-server")
    }
}

/// Commands the server processed before this question (which it counts once answered).
async fn commands(counter: &mut redis::aio::MultiplexedConnection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(counter)
        .await
        .expect("INFO stats");
    info.lines()
        .find_map(|line| line.strip_prefix("total_commands_processed:"))
        .and_then(|count| count.trim().parse::<u64>().ok())
        .expect("INFO stats has total_commands_processed")
        .saturating_sub(1)
}

/// The round trips clients make to the server, as `MONITOR` shows them: commands a script runs
/// on the server are not round trips, nor is a connection's set-up.
struct RoundTrips {
    lines: Arc<Mutex<Vec<String>>>,
    monitor: tokio::task::JoinHandle<()>,
}

impl RoundTrips {
    async fn start(server: &Server) -> Self {
        let monitor = redis::Client::open(server.url.as_str())
            .expect("the server's URL")
            .get_async_monitor()
            .await
            .expect("MONITOR on the benchmark's redis-server");
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
        Self { lines, monitor }
    }

    /// The round trips so far, once `MONITOR` has shown the `ECHO` sent now.
    async fn count(&self, counter: &mut redis::aio::MultiplexedConnection) -> u64 {
        let mark = format!("freshtoken-bench-mark-{}", unique_mark());
        let _: String = redis::cmd("ECHO")
            .arg(&mark)
            .query_async(counter)
            .await
            .expect("ECHO");
        loop {
            {
                let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(end) = lines.iter().position(|line| line.contains(&mark)) {
                    let trips = lines[..end]
                        .iter()
                        .filter(|line| !line.contains(" lua]") && !line.contains(" \"ECHO\" "))
                        .filter(|line| !line.contains("\"INFO\"") && !is_setup(line))
                        .count();
                    return u64::try_from(trips).unwrap_or(u64::MAX);
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// A mark no command of the benchmark sends.
fn unique_mark() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos())
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

impl Drop for RoundTrips {
    fn drop(&mut self) {
        self.monitor.abort();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The figures of the section.
pub(crate) struct FleetFigures {
    memory_ns: f64,
    redis_ns: f64,
    fast_path_commands: u64,
    /// Token requests of the caches on their own; divided by the caches, the rotations.
    alone_requests: u32,
    rotations: f64,
    token_requests: u32,
    round_trips_per_host_per_rotation: f64,
    /// The longest call of the fleet while it shares a token normally, and after a holder of
    /// the lease died.
    longest_call: Duration,
    dead_holder_stall: Duration,
}

/// Runs the section; `None` (with the reason on stderr) without a `redis-server`.
pub(crate) fn fleet(rt: &Runtime) -> Option<FleetFigures> {
    let server = match Server::start() {
        Ok(server) => server,
        Err(reason) => {
            eprintln!("fleet section skipped: {reason}");
            return None;
        }
    };
    Some(rt.block_on(measure(&server)))
}

fn store(server: &Server, prefix: &str) -> RedisStore {
    RedisStore::open(&server.url, prefix).expect("a valid URL and prefix")
}

async fn measure(server: &Server) -> FleetFigures {
    // The fast path: a fresh token, in memory and with the store, timed in turns.
    let long = || {
        Token::builder("fresh")
            .expires_in(Duration::from_secs(3600))
            .build()
            .expect("a token")
    };
    let in_memory = TokenCache::new(Counting::default());
    in_memory.set_token(long());
    let with_redis = TokenCache::builder(Counting::default())
        .store(store(server, "fast"))
        .build();
    with_redis.save_token(long()).await.expect("Redis answers");
    // The lease is released in the background after the save.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut counter = server.counter().await;
    let (mut memory, mut redis) = (Vec::new(), Vec::new());
    let before = commands(&mut counter).await;
    for _ in 0..FAST_ROUNDS {
        memory.push(time_reads(&in_memory).await);
        redis.push(time_reads(&with_redis).await);
    }
    // Less the `INFO` that read `before`.
    let fast_path_commands = commands(&mut counter).await - before - 1;

    // The same fleet three times: caches on their own (each rotation costs a request per
    // cache), then sharing through Redis, then sharing while a host dies holding the lease.
    let alone = run_fleet(|| None, None).await;
    let round_trips = RoundTrips::start(server).await;
    let before = round_trips.count(&mut counter).await;
    let shared = run_fleet(|| Some(store(server, "fleet")), None).await;
    let trips = round_trips.count(&mut counter).await - before;
    drop(round_trips);
    let dead = run_fleet(|| Some(store(server, "fleet-dead")), Some(server)).await;
    #[allow(clippy::cast_precision_loss)]
    let rotations = f64::from(alone.requests) / HOSTS as f64;
    #[allow(clippy::cast_precision_loss)]
    let per_host = trips as f64 / HOSTS as f64 / rotations;
    FleetFigures {
        memory_ns: median(memory),
        redis_ns: median(redis),
        fast_path_commands,
        alone_requests: alone.requests,
        rotations,
        token_requests: shared.requests,
        round_trips_per_host_per_rotation: per_host,
        longest_call: shared.longest_call,
        dead_holder_stall: dead.longest_call,
    }
}

/// What one run of the fleet gave.
struct FleetRun {
    /// Token requests.
    requests: u32,
    /// The longest `token()` call of any cache.
    longest_call: Duration,
}

/// Plays a host that takes the lease and dies: once the fleet runs, a store with the default
/// lease takes it on a runtime of its own, which then ends with its renewal task and without a
/// release, as a killed process would.
async fn kill_a_holder(server: &Server, prefix: &'static str) {
    tokio::time::sleep(FLEET_RUN / 3).await;
    let url = server.url.clone();
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the host that dies");
        runtime.block_on(async {
            let lease = RedisStore::open(&url, prefix)
                .expect("a valid URL and prefix")
                .lock()
                .await
                .expect("the lease");
            std::mem::forget(lease);
        });
    })
    .await
    .expect("the host that dies");
}

/// Runs `HOSTS` caches, each calling every 10 ms for `FLEET_RUN`, each with the store `store`
/// gives it (none: its own memory); with `dead_holder`, a host dies holding the lease of the
/// prefix `fleet-dead` a third into the run.
async fn run_fleet(
    store: impl Fn() -> Option<RedisStore>,
    dead_holder: Option<&Server>,
) -> FleetRun {
    let source = Counting::default();
    let caches: Vec<_> = (0..HOSTS)
        .map(|_| {
            let builder = TokenCache::builder(source.clone())
                .min_refresh_interval(Duration::from_millis(100));
            match store() {
                Some(store) => builder.store(store).build(),
                None => builder.build(),
            }
        })
        .collect();
    let until = tokio::time::Instant::now() + FLEET_RUN;
    let callers: Vec<_> = caches
        .into_iter()
        .map(|cache| {
            tokio::spawn(async move {
                let mut longest = Duration::ZERO;
                while tokio::time::Instant::now() < until {
                    let started = Instant::now();
                    cache.token().await.expect("the fleet's caches get tokens");
                    longest = longest.max(started.elapsed());
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                longest
            })
        })
        .collect();
    if let Some(server) = dead_holder {
        kill_a_holder(server, "fleet-dead").await;
    }
    let mut longest_call = Duration::ZERO;
    for caller in callers {
        longest_call = longest_call.max(caller.await.expect("a fleet caller"));
    }
    FleetRun {
        requests: source.0.load(Ordering::SeqCst),
        longest_call,
    }
}

async fn time_reads<S: TokenSource>(cache: &TokenCache<S>) -> f64 {
    let started = Instant::now();
    for _ in 0..FAST_CALLS {
        std::hint::black_box(cache.token().await.expect("a fresh token"));
    }
    #[allow(clippy::cast_precision_loss)]
    let ns = started.elapsed().as_nanos() as f64 / FAST_CALLS as f64;
    ns
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

impl FleetFigures {
    /// The markdown table.
    pub(crate) fn table(&self) -> String {
        format!(
            "\n| fleet (RedisStore, {HOSTS} caches, {LIFETIME:?} tokens, {FLEET_RUN:?}) | measured |\n|---|---|\n\
             | fast path, in memory / with RedisStore | {:.1} / {:.1} ns/call ({:.2}x) |\n\
             | Redis commands sent by {} fast-path reads | {} |\n\
             | token requests, caches on their own / sharing through Redis | {} / {} |\n\
             | token requests per rotation (rotations: {:.1}) | {:.2} |\n\
             | Redis round trips per host per rotation (target <= 3) | {:.2} |\n\
             | longest call, sharing / after a host died holding the lease (target <= 2 s) | {:.0?} / {:.2?} |\n",
            self.memory_ns,
            self.redis_ns,
            self.redis_ns / self.memory_ns,
            FAST_CALLS * FAST_ROUNDS as u64,
            self.fast_path_commands,
            self.alone_requests,
            self.token_requests,
            self.rotations,
            self.requests_per_rotation(),
            self.round_trips_per_host_per_rotation,
            self.longest_call,
            self.dead_holder_stall,
        )
    }

    fn requests_per_rotation(&self) -> f64 {
        f64::from(self.token_requests) / self.rotations
    }

    /// The figures as JSON.
    pub(crate) fn json(&self) -> Value {
        json!({
            "fast_path_memory_ns": self.memory_ns,
            "fast_path_redis_ns": self.redis_ns,
            "fast_path_redis_commands": self.fast_path_commands,
            "fleet_hosts": HOSTS,
            "fleet_requests_caches_alone": self.alone_requests,
            "fleet_rotations": self.rotations,
            "fleet_token_requests": self.token_requests,
            "fleet_token_requests_per_rotation": self.requests_per_rotation(),
            "fleet_redis_round_trips_per_host_per_rotation": self.round_trips_per_host_per_rotation,
            "fleet_longest_call_ms": self.longest_call.as_secs_f64() * 1e3,
            "fleet_dead_lease_holder_stall_ms": self.dead_holder_stall.as_secs_f64() * 1e3,
        })
    }
}
