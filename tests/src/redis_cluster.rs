//! A real three-master Redis Cluster for the tests of `RedisStore::open_cluster`: three
//! `redis-server --cluster-enabled yes` on loopback ports (each with its cluster bus port,
//! port + 10000, free too), joined by `redis-cli --cluster create`, with no persistence and
//! no replicas. Dropping it kills the servers (also when the test fails) and removes their
//! directory. Needs `redis-server` and `redis-cli` (`apt-get install redis-server`).

use std::io;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long the cluster may take to form (servers listening, slots assigned, state ok).
const STARTUP: Duration = Duration::from_secs(20);
/// Masters in the cluster.
const MASTERS: usize = 3;
/// Tries at starting a cluster when a port was taken between the check and the start.
const START_TRIES: usize = 3;
/// The cluster bus listens this far above each node's port.
const BUS_OFFSET: u16 = 10_000;

/// A running three-master cluster; dropping it kills it.
#[derive(Debug)]
pub struct RedisCluster {
    ports: Vec<u16>,
    children: Vec<Child>,
    // Dropped after the servers are killed: the directory of their cluster config files.
    dir: tempfile::TempDir,
}

impl RedisCluster {
    /// Starts three masters on free loopback ports, joins them into a cluster holding every
    /// slot, and waits until each node reports `cluster_state:ok`.
    ///
    /// # Panics
    /// When `redis-server` or `redis-cli` is not installed, or the cluster does not form
    /// within 20 s: the message says why.
    #[must_use]
    pub fn start() -> Self {
        let mut last_failure = String::new();
        for _ in 0..START_TRIES {
            match Self::try_start() {
                Ok(cluster) => return cluster,
                Err(failure) => last_failure = failure,
            }
        }
        panic!("could not start a Redis Cluster: {last_failure}");
    }

    fn try_start() -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|error| format!("no temp dir: {error}"))?;
        let ports = free_ports(MASTERS);
        let mut cluster = Self {
            ports,
            children: Vec::new(),
            dir,
        };
        for (n, port) in cluster.ports.clone().into_iter().enumerate() {
            let child = cluster.spawn_node(n, port)?;
            cluster.children.push(child);
        }
        cluster.wait_listening()?;
        let nodes: Vec<String> = cluster
            .ports
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        let created = redis_cli(
            ["--cluster", "create"]
                .into_iter()
                .map(str::to_owned)
                .chain(nodes)
                .chain(["--cluster-replicas", "0", "--cluster-yes"].map(str::to_owned)),
        )?;
        if !created.status.success() {
            return Err(format!(
                "redis-cli --cluster create failed: {}",
                String::from_utf8_lossy(&created.stdout)
            ));
        }
        cluster.wait_state_ok()?;
        Ok(cluster)
    }

    fn spawn_node(&self, n: usize, port: u16) -> Result<Child, String> {
        let config = self.dir.path().join(format!("nodes-{n}.conf"));
        let spawned = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--cluster-enabled", "yes", "--cluster-config-file"])
            .arg(&config)
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match spawned {
            Ok(child) => Ok(child),
            Err(error) if error.kind() == io::ErrorKind::NotFound => panic!(
                "redis-server is not installed; install it (`apt-get install redis-server`) \
                 to run the RedisStore tests"
            ),
            Err(error) => Err(format!("could not start redis-server: {error}")),
        }
    }

    fn wait_listening(&mut self) -> Result<(), String> {
        let started = Instant::now();
        for (child, port) in self.children.iter_mut().zip(&self.ports) {
            while TcpStream::connect((Ipv4Addr::LOCALHOST, *port)).is_err() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!(
                        "redis-server exited at start ({status}); was port {port} taken?"
                    ));
                }
                if started.elapsed() > STARTUP {
                    return Err(format!("redis-server did not listen on port {port}"));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Ok(())
    }

    fn wait_state_ok(&self) -> Result<(), String> {
        let started = Instant::now();
        for port in &self.ports {
            loop {
                let info =
                    redis_cli(["-p", &port.to_string(), "cluster", "info"].map(str::to_owned))?;
                if String::from_utf8_lossy(&info.stdout).contains("cluster_state:ok") {
                    break;
                }
                if started.elapsed() > STARTUP {
                    return Err(format!("node {port} never reported cluster_state:ok"));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    /// The URL of every node (`redis://127.0.0.1:PORT/`).
    #[must_use]
    pub fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|port| format!("redis://127.0.0.1:{port}/"))
            .collect()
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn redis_cli(args: impl IntoIterator<Item = String>) -> Result<Output, String> {
    match Command::new("redis-cli")
        .args(args)
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => Ok(output),
        Err(error) if error.kind() == io::ErrorKind::NotFound => panic!(
            "redis-cli is not installed; install it (`apt-get install redis-server`, which \
             brings redis-tools) to run the Redis Cluster tests"
        ),
        Err(error) => Err(format!("could not run redis-cli: {error}")),
    }
}

/// `count` distinct loopback ports free a moment ago, each with its bus port (+10000) free
/// too. Ephemeral ports from the OS are often above 55535, whose bus port does not exist, so
/// ports are drawn from 20000-45000.
fn free_ports(count: usize) -> Vec<u16> {
    let mut ports = Vec::with_capacity(count);
    while ports.len() < count {
        let port = fastrand::u16(20_000..45_000);
        let free = |port: u16| TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok();
        if !ports.contains(&port) && free(port) && free(port + BUS_OFFSET) {
            ports.push(port);
        }
    }
    ports
}
