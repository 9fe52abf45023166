// Input: a redis-server (started on a free loopback port; `redis-server` must be installed).
// Output: what a `RedisStore` costs (issue 14): the fast path with the store against the
// same cache in memory, the Redis commands that path sends (none), and for a fleet of caches
// (each with its own connection, as on its own host) the token requests and the Redis round
// trips per rotation.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use freshtoken::store::RedisStore;
use freshtoken::{AuthError, Token, TokenCache, TokenSource};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// Caches in the fleet, and how long it runs on tokens that live `LIFETIME`.
const HOSTS: usize = 8;
const FLEET_RUN: Duration = Duration::from_secs(6);
const LIFETIME: Duration = Duration::from_secs(1);
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

    // The same fleet twice: caches on their own (each rotation costs a request per cache),
    // then sharing through Redis.
    let alone = run_fleet(|| None).await;
    let before = commands(&mut counter).await;
    let shared = run_fleet(|| Some(store(server, "fleet"))).await;
    let commands = commands(&mut counter).await - before - 1;
    #[allow(clippy::cast_precision_loss)]
    let rotations = f64::from(alone) / HOSTS as f64;
    #[allow(clippy::cast_precision_loss)]
    let per_host = commands as f64 / HOSTS as f64 / rotations;
    FleetFigures {
        memory_ns: median(memory),
        redis_ns: median(redis),
        fast_path_commands,
        alone_requests: alone,
        rotations,
        token_requests: shared,
        round_trips_per_host_per_rotation: per_host,
    }
}

/// Runs `HOSTS` caches, each calling every 10 ms for `FLEET_RUN`, each with the store `store`
/// gives it (none: its own memory); returns the token requests they made.
async fn run_fleet(store: impl Fn() -> Option<RedisStore>) -> u32 {
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
                while tokio::time::Instant::now() < until {
                    cache.token().await.expect("the fleet's caches get tokens");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.expect("a fleet caller");
    }
    source.0.load(Ordering::SeqCst)
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
             | Redis round trips per host per rotation | {:.1} |\n",
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
        })
    }
}
