//! Four processes with two caches each share one token through Redis, against a token endpoint
//! that rotates refresh tokens with no grace and refuses a spent one (`invalid_grant`): tokens
//! live a second (the fleet rotates every half second or so) while a host dies holding the
//! refresh lease; and they live three seconds while Redis is killed for five.
//!
//! The two runs go side by side, each on its own Redis and endpoint.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use freshtoken_tests::redis_server::RedisServer;
use freshtoken_tests::scripted::{Reply, ScriptedServer};

use super::{seed_expired, store};

const HOSTS: usize = 4;

/// Processes; any still running when dropped (a failed test) are killed.
pub(super) struct Processes(pub(super) Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What the hosts of a run saw, added up (see `redis_fleet_host`).
#[derive(Debug, Default)]
pub(super) struct Seen {
    pub(super) calls: u64,
    pub(super) failed: u64,
    pub(super) store_errors: u64,
    pub(super) reauth: u64,
    pub(super) max_wait: Duration,
}

fn host(server: &ScriptedServer, redis: &RedisServer, prefix: &str, run: Duration) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_redis_fleet_host"));
    command
        .env("FRESHTOKEN_TOKEN_URL", server.token_url())
        .env("FRESHTOKEN_API_URL", server.api_url())
        .env("FRESHTOKEN_REDIS_URL", redis.url())
        .env("FRESHTOKEN_PREFIX", prefix)
        .env("FRESHTOKEN_RUN_MS", run.as_millis().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn start_hosts(
    server: &ScriptedServer,
    redis: &RedisServer,
    prefix: &str,
    run: Duration,
) -> Processes {
    Processes(
        (0..HOSTS)
            .map(|_| host(server, redis, prefix, run).spawn().unwrap())
            .collect(),
    )
}

/// Waits for the hosts to end; asserts each ran to the end, and adds up what they saw.
pub(super) async fn seen(mut hosts: Processes) -> Seen {
    let mut seen = Seen::default();
    for child in std::mem::take(&mut hosts.0) {
        let output = tokio::task::spawn_blocking(|| child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert!(output.status.success(), "a host failed: {stderr}");
        let field = |name: &str| -> u64 {
            stdout
                .split_whitespace()
                .find_map(|field| field.strip_prefix(name)?.strip_prefix('='))
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in {stdout:?}"))
        };
        seen.calls += field("calls");
        seen.failed += field("failed");
        seen.store_errors += field("store_errors");
        seen.reauth += field("reauth");
        seen.max_wait = seen
            .max_wait
            .max(Duration::from_millis(field("max_wait_ms")));
        if field("failed") + field("reauth") > 0 {
            eprintln!("a host's failures: {stderr}");
        }
    }
    seen
}

/// Starts a process that takes the refresh lease, and SIGKILLs it once it holds it.
async fn kill_a_lease_holder(redis: &RedisServer, prefix: &str) {
    let mut holder = Command::new(env!("CARGO_BIN_EXE_redis_fleet_host"));
    holder
        .env("FRESHTOKEN_ROLE", "hold-lease")
        .env("FRESHTOKEN_REDIS_URL", redis.url())
        .env("FRESHTOKEN_PREFIX", prefix)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut holder = Processes(vec![holder.spawn().unwrap()]);
    let stdout = holder.0[0].stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(line.trim(), "holding");
    // `Child::kill` is SIGKILL: no release, no last renewal.
    drop(holder);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_make_one_token_request_per_rotation_and_a_dead_lease_holder_stalls_them_briefly()
 {
    const RUN: Duration = Duration::from_secs(8);
    let redis = RedisServer::start();
    let server = ScriptedServer::start(Reply::Issue {
        expires_in: 1,
        delay: Duration::ZERO,
    })
    .await;
    seed_expired(&store(&redis, "fleet")).await;
    let hosts = start_hosts(&server, &redis, "fleet", RUN);

    tokio::time::sleep(RUN / 3).await;
    kill_a_lease_holder(&redis, "fleet").await;
    let seen = seen(hosts).await;

    let (issued, refused) = server.issued_and_refused();
    let requests = u32::try_from(server.token_hits().len()).unwrap();
    eprintln!("fleet: {issued} rotations, {requests} token requests, {seen:?}");
    assert!(issued >= 8, "only {issued} rotations");
    assert_eq!(refused, 0, "refused refresh tokens");
    assert_eq!(requests, issued, "token requests per rotation above one");
    assert_eq!((seen.failed, seen.reauth, seen.store_errors), (0, 0, 0));
    assert!(seen.calls > 0);
    // The dead holder's lease (2 s by default) runs out; then the fleet goes on. Not a timing
    // measure (`bench_report fleet` has it): a lease of the old 10 s would stall far longer.
    assert!(
        seen.max_wait < Duration::from_secs(5),
        "a call waited {:?} for a dead holder's lease",
        seen.max_wait
    );
}

/// Needs the cache to obey [`OutagePolicy::WaitForStore`](freshtoken::store::OutagePolicy):
/// no host refreshes alone while Redis is down, so no refresh token is spent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_killed_for_five_seconds_no_refresh_token_is_refused_and_no_host_is_logged_out()
{
    const RUN: Duration = Duration::from_secs(10);
    let mut redis = RedisServer::start();
    let server = ScriptedServer::start(Reply::Issue {
        expires_in: 3,
        delay: Duration::ZERO,
    })
    .await;
    seed_expired(&store(&redis, "outage")).await;
    let hosts = start_hosts(&server, &redis, "outage", RUN);

    tokio::time::sleep(Duration::from_secs(2)).await;
    redis.kill();
    tokio::time::sleep(Duration::from_secs(5)).await;
    // Back empty, as after a crash: the hosts' tokens are all that is left.
    redis.restart();
    let seen = seen(hosts).await;

    let (issued, refused) = server.issued_and_refused();
    eprintln!(
        "fleet through a Redis outage: {issued} rotations, {refused} refused, {} calls refused \
         with a retryable store error, {seen:?}",
        seen.store_errors
    );
    assert_eq!(
        refused, 0,
        "invalid_grant answers: a refresh token spent twice"
    );
    assert_eq!(seen.reauth, 0, "hosts were told to log in again");
    assert!(issued >= 2, "the fleet did not rotate after the outage");
    assert!(seen.calls > 0);
}
