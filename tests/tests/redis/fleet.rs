//! Four processes with two caches each share one token through Redis, against a token endpoint
//! that rotates refresh tokens with no grace and refuses a spent one; tokens live a second, so
//! the fleet rotates every half second or so.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use freshtoken_tests::redis_server::RedisServer;
use freshtoken_tests::scripted::{Reply, ScriptedServer};

use super::{seed_expired, store};

const HOSTS: usize = 4;
/// How long the hosts run: enough for more than 20 rotations of one-second tokens.
const RUN: Duration = Duration::from_secs(13);

/// The host processes; any still running when dropped (a failed test) are killed.
struct Hosts(Vec<Child>);

impl Drop for Hosts {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_make_one_token_request_per_rotation_and_no_call_fails() {
    let redis = RedisServer::start();
    let server = ScriptedServer::start(Reply::Issue {
        expires_in: 1,
        delay: Duration::ZERO,
    })
    .await;
    seed_expired(&store(&redis, "fleet")).await;

    let mut hosts = Hosts(
        (0..HOSTS)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_redis_fleet_host"))
                    .env("FRESHTOKEN_TOKEN_URL", server.token_url())
                    .env("FRESHTOKEN_API_URL", server.api_url())
                    .env("FRESHTOKEN_REDIS_URL", redis.url())
                    .env("FRESHTOKEN_PREFIX", "fleet")
                    .env("FRESHTOKEN_RUN_MS", RUN.as_millis().to_string())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect(),
    );
    let (mut calls, mut failed) = (0, 0);
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
        let counts: Vec<u32> = stdout
            .trim()
            .split(' ')
            .map(|field| field.split_once('=').unwrap().1.parse().unwrap())
            .collect();
        calls += counts[0];
        failed += counts[1];
        assert_eq!(counts[1], 0, "failed calls on a host: {stderr}");
    }

    let (issued, refused) = server.issued_and_refused();
    let requests = u32::try_from(server.token_hits().len()).unwrap();
    assert!(issued >= 20, "only {issued} rotations");
    assert_eq!(refused, 0, "refused refresh tokens");
    assert_eq!(requests, issued, "token requests per rotation above one");
    assert_eq!(failed, 0);
    assert!(calls > 0);
    eprintln!("fleet: {issued} rotations, {requests} token requests, {calls} API calls");
}
