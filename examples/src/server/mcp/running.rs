// Input: a configuration for the auth server.
// Output: `RunningMcpServer`: the auth server's routes and the protected MCP endpoint on one
// loopback listener, serving on its own task until shut down or dropped.

use std::fmt;
use std::future::IntoFuture;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::guard::guard;
use super::notes::{Notes, NotesServer};
use super::resource_metadata::resource_metadata;
use super::{MCP_PATH, McpState};
use crate::server::clock::Clock;
use crate::server::config::ServerConfig;
use crate::server::router::router;
use crate::server::state::AppState;
use crate::server::stats::ServerStats;

/// How long [`RunningMcpServer::shutdown`] waits for open requests before it stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Starts the auth server with the MCP endpoint on `127.0.0.1`, on `port` (0: a port the
/// operating system picks).
///
/// # Errors
/// When the port cannot be bound, or the auth server cannot start (see
/// [`server::start`](crate::server::start)).
pub async fn start(config: ServerConfig, port: u16) -> io::Result<RunningMcpServer> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let auth = AppState::new(&config, Clock::system(), base_url.clone())?;
    let mcp = McpState {
        auth: auth.clone(),
        resource: format!("{base_url}{MCP_PATH}"),
        resource_metadata_url: format!("{base_url}/.well-known/oauth-protected-resource{MCP_PATH}"),
    };

    let mcp_config = StreamableHttpServerConfig::default();
    // Ends the MCP sessions' SSE streams at shutdown, which would otherwise hold it up.
    let sessions_end = mcp_config.cancellation_token.clone();
    let notes = Notes::default();
    let service: StreamableHttpService<NotesServer, LocalSessionManager> =
        StreamableHttpService::new(
            move || Ok(NotesServer::new(notes.clone())),
            LocalSessionManager::default().into(),
            mcp_config,
        );
    let protected = Router::new()
        .route_service(MCP_PATH, service)
        .layer(from_fn_with_state(mcp.clone(), guard))
        .route(
            &format!("/.well-known/oauth-protected-resource{MCP_PATH}"),
            get(resource_metadata),
        )
        .with_state(mcp.clone());
    let app = router(auth).merge(protected);

    let (stop, stopped) = oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        // A dropped sender stops the server too.
        let _ = stopped.await;
        sessions_end.cancel();
    });
    let task = tokio::spawn(server.into_future());
    tracing::info!(%addr, "reference auth server with an MCP endpoint listening");
    Ok(RunningMcpServer {
        addr,
        mcp,
        stop: Some(stop),
        task: Some(task),
    })
}

/// The auth server and its MCP endpoint, serving on a task of the current Tokio runtime.
///
/// Dropping it stops the server; [`shutdown`](Self::shutdown) does the same and waits for it.
pub struct RunningMcpServer {
    addr: SocketAddr,
    mcp: McpState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl RunningMcpServer {
    /// The auth server's URL (its issuer), `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn base_url(&self) -> String {
        self.mcp.auth.base_url.clone()
    }

    /// The MCP endpoint, `http://127.0.0.1:PORT/mcp`.
    #[must_use]
    pub fn mcp_url(&self) -> String {
        self.mcp.resource.clone()
    }

    /// The auth server's counters.
    #[must_use]
    pub fn stats(&self) -> ServerStats {
        self.mcp.auth.counters.snapshot()
    }

    /// Stops the server and waits until it has closed, at most 5 s for requests in flight.
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
    }
}

impl Drop for RunningMcpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl fmt::Debug for RunningMcpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningMcpServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}
