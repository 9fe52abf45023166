// Input: a configuration, an address to bind, and a clock.
// Output: `RunningServer`, the server serving on its own task until shut down or dropped.

use std::fmt;
use std::future::IntoFuture;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::clock::Clock;
use super::config::ServerConfig;
use super::dpop::Side;
use super::resource_indicator::ResourceRequest;
use super::router::router;
use super::state::{AppState, Shared};
use super::stats::ServerStats;
use super::token_apis;

/// How long [`RunningServer::shutdown`] waits for open requests before it stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Starts the server on `127.0.0.1` with a port the operating system picks.
///
/// # Errors
/// When the port cannot be bound, the operating system's random number generator fails, a
/// key in [`ServerConfig::clients`] is not a public key PEM, or
/// [`DpopConfig::nonce_rotation_interval`](super::DpopConfig::nonce_rotation_interval) is
/// zero (both `InvalidInput`).
pub async fn start(config: ServerConfig) -> io::Result<RunningServer> {
    start_with_clock(config, Clock::system()).await
}

/// Starts the server on `addr`.
///
/// The admin routes need no authentication: bind a loopback address (`127.0.0.1` or
/// `[::1]`), never one that other hosts reach.
///
/// # Errors
/// When `addr` cannot be bound, the operating system's random number generator fails, or
/// a key in [`ServerConfig::clients`] is not a public key PEM (`InvalidInput`).
pub async fn start_on(config: ServerConfig, addr: SocketAddr) -> io::Result<RunningServer> {
    serve(config, addr, Clock::system()).await
}

/// Like [`start`], with the time read from `clock`: give it a [`Clock::manual`] to expire
/// tokens in tests without sleeping.
///
/// # Errors
/// As [`start`].
pub async fn start_with_clock(config: ServerConfig, clock: Clock) -> io::Result<RunningServer> {
    serve(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), clock).await
}

async fn serve(config: ServerConfig, addr: SocketAddr, clock: Clock) -> io::Result<RunningServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(&config, clock, format!("http://{addr}"))?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = axum::serve(listener, router(state.clone())).with_graceful_shutdown(async {
        // A dropped sender stops the server too.
        let _ = stopped.await;
    });
    let task = tokio::spawn(server.into_future());
    tracing::info!(%addr, "reference auth server listening");
    Ok(RunningServer {
        addr,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

/// The server, serving on a task of the current Tokio runtime.
///
/// Dropping it stops the server: it takes no new connections, finishes the requests in
/// flight and closes. [`shutdown`](Self::shutdown) does the same and waits for it.
pub struct RunningServer {
    addr: SocketAddr,
    state: Shared,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl RunningServer {
    /// The server's URL, `http://127.0.0.1:PORT`, without a trailing slash.
    #[must_use]
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// The `issuer` of the server's metadata: [`ServerConfig::issuer`], else the base URL.
    #[must_use]
    pub fn issuer(&self) -> String {
        self.state.issuer.clone()
    }

    /// The address the server listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The counters, read in process (`GET /admin/stats` answers the same).
    #[must_use]
    pub fn stats(&self) -> ServerStats {
        self.state.counters.snapshot()
    }

    /// What every request to `/oauth/authorize`, `/oauth/device_authorization` and
    /// `/oauth/token` carried as its `resource` (RFC 8707), in the order they came.
    #[must_use]
    pub fn resource_requests(&self) -> Vec<ResourceRequest> {
        self.state.resource_requests.snapshot()
    }

    /// The token endpoint's current DPoP nonce (RFC 9449 §8), sent in `DPoP-Nonce` when
    /// [`DpopConfig::nonce_required_at_token_endpoint`](super::DpopConfig) is on.
    #[must_use]
    pub fn token_endpoint_dpop_nonce(&self) -> String {
        self.state.dpop.nonce(Side::TokenEndpoint)
    }

    /// The resource's current DPoP nonce (RFC 9449 §9): another value than the token
    /// endpoint's, although both are on one origin.
    #[must_use]
    pub fn resource_dpop_nonce(&self) -> String {
        self.state.dpop.nonce(Side::Resource)
    }

    /// Replaces both DPoP nonces now, as their rotation interval would: the next proof with
    /// an old nonce gets `use_dpop_nonce`.
    pub fn rotate_dpop_nonces(&self) {
        self.state.dpop.rotate_nonces();
    }

    /// A refresh token of the refresh-only API (`POST /refresh-only/refresh`) for
    /// `username`, as that API's dashboard would hand one out: a new session, which the
    /// API then rotates on each refresh. `None` when there is no such user (or signing
    /// fails).
    #[must_use]
    pub fn issue_refresh_token(&self, username: &str) -> Option<String> {
        token_apis::dashboard_refresh_token(&self.state, username)
    }

    /// Stops the server and waits until it has closed, at most 5 s for requests still in
    /// flight.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
        tracing::info!(addr = %self.addr, "reference auth server stopped");
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
