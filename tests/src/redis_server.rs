//! A real `redis-server` for the tests of `RedisStore`: started on a free port of 127.0.0.1
//! with no persistence, and killed when dropped, also when the test fails. Install Redis with
//! `apt-get install redis-server` (`.ci/run` does).

use std::io;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a new server may take to accept connections.
const STARTUP: Duration = Duration::from_secs(10);

/// A running `redis-server`; dropping it kills it.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
    /// The password the server requires (`requirepass`), if any.
    password: Option<String>,
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it accepts connections.
    ///
    /// # Panics
    /// When `redis-server` is not installed or does not start: the message says how to
    /// install it.
    #[must_use]
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Starts a server that requires `password` (`requirepass`) of every client.
    ///
    /// # Panics
    /// As [`start`](Self::start).
    #[must_use]
    pub fn start_with_password(password: &str) -> Self {
        Self::start_with(Some(password.to_owned()))
    }

    fn start_with(password: Option<String>) -> Self {
        let mut server = Self {
            port: free_port(),
            child: None,
            password,
        };
        server.restart();
        server
    }

    /// The URL of the server, with no password.
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The URL of the server with `password` in it.
    #[must_use]
    pub fn url_with_password(&self, password: &str) -> String {
        format!("redis://:{password}@127.0.0.1:{}/", self.port)
    }

    /// A URL on a loopback port where nothing listens (connections are refused at once).
    #[must_use]
    pub fn closed_port_url() -> String {
        format!("redis://127.0.0.1:{}/", free_port())
    }

    /// The process id of the server (to stop it with a signal).
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the server, as a crash would; its data is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (after [`kill`](Self::kill)), empty.
    ///
    /// # Panics
    /// As [`start`](Self::start).
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            // `DEBUG SLEEP` plays a slow server.
            .args(["--enable-debug-command", "local"])
            .args(
                self.password
                    .as_deref()
                    .map(|password| ["--requirepass", password])
                    .into_iter()
                    .flatten(),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(error) if error.kind() == io::ErrorKind::NotFound => panic!(
                "redis-server is not installed; install it (`apt-get install redis-server`) \
                 to run the RedisStore tests"
            ),
            Err(error) => panic!("could not start redis-server: {error}"),
        };
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "redis-server exited at start ({status}); is port {} taken?",
                    self.port
                );
            }
            assert!(
                started.elapsed() < STARTUP,
                "redis-server did not listen on port {} within {STARTUP:?}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("no free port on 127.0.0.1")
        .port()
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
