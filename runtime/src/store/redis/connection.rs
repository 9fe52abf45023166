// Input: where a store's Redis is: one server (a client, or a connection the user made), or a
// Redis Cluster.
// Output: one connection type the store's commands and scripts run on, whichever it is.
//
// Every key a script touches carries the same hash tag, so on a cluster each command goes to
// the one node that holds its slot; redis-rs's cluster connection follows MOVED and ASK.

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

/// Redirections (MOVED, ASK) and reconnections one command may take on a cluster; all within
/// the store's command timeout.
const CLUSTER_RETRIES: u32 = 3;

/// Where the store connects.
pub(super) enum Target {
    /// A connection the user made (`with_connection`): nothing to connect, no subscription.
    Given,
    /// One server, by its client (which the pub/sub subscription also uses).
    Single(redis::Client),
    /// A Redis Cluster (boxed: its client is twice a single server's).
    Cluster(Box<ClusterClient>),
}

impl Target {
    /// A connection to the target, re-made by redis-rs after an error. No retries with backoff
    /// inside one connection attempt: a refused connection fails the command at once, and the
    /// next command connects again.
    pub(super) async fn connect(&self, timeout: Duration) -> RedisResult<Connection> {
        match self {
            Self::Given => Err(redis::RedisError::from((
                redis::ErrorKind::Client,
                "no Redis client to connect with",
            ))),
            Self::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(0);
                ConnectionManager::new_lazy_with_config(client.clone(), config)
                    .map(Connection::Single)
            }
            Self::Cluster(client) => client.get_async_connection().await.map(Connection::Cluster),
        }
    }

    /// The cluster client for `urls`, with the store's timeouts.
    pub(super) fn cluster(urls: &[&str], timeout: Duration) -> RedisResult<Self> {
        ClusterClient::builder(urls.iter().copied())
            .connection_timeout(timeout)
            .response_timeout(timeout)
            .retries(CLUSTER_RETRIES)
            .build()
            .map(|client| Self::Cluster(Box::new(client)))
    }
}

/// A connection to one server or to a cluster; cheap to clone (both multiplex).
#[derive(Clone)]
pub(super) enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(connection) => connection.req_packed_command(cmd),
            Self::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Cluster(connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(connection) => connection.get_db(),
            Self::Cluster(connection) => connection.get_db(),
        }
    }
}
