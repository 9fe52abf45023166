//! A token endpoint and an API on 127.0.0.1 whose behaviour a test scripts step by step: down
//! (nothing listening), hanging, answering an error status, issuing rotated tokens, revoking
//! them. It counts every request, with the instant (tokio's clock, so paused-clock tests can
//! check backoff schedules) at which it arrived.
//!
//! Plain HTTP/1.1 over `TcpListener`, one request per connection (`Connection: close`), so
//! that "down" means the next request is refused rather than sent on a pooled connection. It
//! runs on the test's own runtime: with tokio's paused clock, the loopback I/O it does is ready
//! whenever the runtime looks, so the clock advances only past real waits (a hang, a backoff).

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::lock;

/// The prefix of every access token the server issues; no log line or error may contain it.
pub const ACCESS_TOKEN_PREFIX: &str = "AT-SECRET-";
/// The prefix of every refresh token the server issues.
pub const REFRESH_TOKEN_PREFIX: &str = "RT-SECRET-";

/// What the token endpoint does with the next requests.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Issues a new access token living `expires_in` seconds and a new refresh token, if the
    /// request carries the latest refresh token; otherwise answers `invalid_grant`.
    Issue {
        /// The new token's `expires_in`.
        expires_in: u64,
        /// How long to think before answering (a slow endpoint).
        delay: Duration,
    },
    /// Answers `status` with an OAuth error body, and a `Retry-After` header if given.
    Error {
        /// The HTTP status.
        status: u16,
        /// The RFC 6749 `error` code in the body.
        code: &'static str,
        /// `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    /// Reads the request and never answers.
    Hang,
}

impl Reply {
    /// Issues tokens that live an hour, at once.
    #[must_use]
    pub fn issue() -> Self {
        Self::Issue {
            expires_in: 3600,
            delay: Duration::ZERO,
        }
    }
}

/// The server; dropping it stops it and closes every connection.
#[derive(Debug)]
pub struct ScriptedServer {
    addr: SocketAddr,
    shared: Arc<Mutex<Script>>,
    serving: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug)]
struct Script {
    reply: Reply,
    token_hits: Vec<Instant>,
    api_hits: u32,
    api_unauthorized: u32,
    api_bodies: Vec<String>,
    issued: u32,
    refused: u32,
    latest_refresh_token: String,
    valid_access_tokens: HashSet<String>,
}

/// A listener on a free port of 127.0.0.1, and its address.
///
/// # Panics
/// If no port on 127.0.0.1 can be bound.
pub(crate) async fn bind_loopback() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("a free port on 127.0.0.1");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    (listener, addr)
}

impl ScriptedServer {
    /// Starts a server on a free port of 127.0.0.1 that answers with `reply`. The first
    /// refresh token it accepts is `first_refresh_token` (see [`Self::first_refresh_token`]).
    ///
    /// # Panics
    /// If no port on 127.0.0.1 can be bound.
    pub async fn start(reply: Reply) -> Self {
        let (listener, addr) = bind_loopback().await;
        let server = Self {
            addr,
            shared: Arc::new(Mutex::new(Script {
                reply,
                token_hits: Vec::new(),
                api_hits: 0,
                api_unauthorized: 0,
                api_bodies: Vec::new(),
                issued: 0,
                refused: 0,
                latest_refresh_token: Self::first_refresh_token(),
                valid_access_tokens: HashSet::new(),
            })),
            serving: Mutex::new(None),
        };
        server.serve(listener);
        server
    }

    /// The refresh token a client must start with.
    #[must_use]
    pub fn first_refresh_token() -> String {
        format!("{REFRESH_TOKEN_PREFIX}0")
    }

    /// The token endpoint's URL.
    #[must_use]
    pub fn token_url(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// The API's URL: 200 with a valid access token, 401 otherwise.
    #[must_use]
    pub fn api_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// What the token endpoint does from now on.
    pub fn set_reply(&self, reply: Reply) {
        self.script().reply = reply;
    }

    /// Stops listening and closes every open connection: requests are refused until
    /// [`Self::restart`].
    pub fn stop(&self) {
        if let Some(serving) = lock(&self.serving).take() {
            serving.abort();
        }
    }

    /// Listens again on the same port.
    ///
    /// # Panics
    /// If the port was taken meanwhile.
    pub async fn restart(&self) {
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("the server's port is still free");
        self.serve(listener);
    }

    /// The instants at which the token endpoint received a request, in order.
    #[must_use]
    pub fn token_hits(&self) -> Vec<Instant> {
        self.script().token_hits.clone()
    }

    /// Requests the API received, and how many of them it answered 401.
    #[must_use]
    pub fn api_hits(&self) -> (u32, u32) {
        let script = self.script();
        (script.api_hits, script.api_unauthorized)
    }

    /// The body of each request the API received, in order.
    #[must_use]
    pub fn api_bodies(&self) -> Vec<String> {
        self.script().api_bodies.clone()
    }

    /// Token pairs issued, and refresh tokens refused because they were not the latest (spent
    /// already, or never issued).
    #[must_use]
    pub fn issued_and_refused(&self) -> (u32, u32) {
        let script = self.script();
        (script.issued, script.refused)
    }

    /// Makes every access token issued so far invalid at the API (it answers 401).
    pub fn revoke_access_tokens(&self) {
        self.script().valid_access_tokens.clear();
    }

    /// The latest refresh token issued, which is the only one the endpoint accepts.
    #[must_use]
    pub fn latest_refresh_token(&self) -> String {
        self.script().latest_refresh_token.clone()
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        lock(&self.shared)
    }

    fn serve(&self, listener: TcpListener) {
        let shared = Arc::clone(&self.shared);
        let serving = accept_loop(listener, move |stream| answer(stream, Arc::clone(&shared)));
        *lock(&self.serving) = Some(serving);
    }
}

/// Accepts connections on `listener` until the returned task is aborted, each answered by a
/// task of its own running `answer`; aborting the loop aborts them too.
pub(crate) fn accept_loop<F, Fut>(listener: TcpListener, answer: F) -> JoinHandle<()>
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        // Dropped with the task when the server stops: aborts every connection's task.
        let mut connections = JoinSet::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of file descriptors, say: let the open connections finish first.
                tokio::task::yield_now().await;
                continue;
            };
            connections.spawn(answer(stream));
            // Reap finished connections so the set does not grow over a long test.
            while connections.try_join_next().is_some() {}
        }
    })
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One request on one connection.
pub(crate) struct Request {
    pub(crate) path: String,
    pub(crate) authorization: Option<String>,
    pub(crate) body: String,
}

async fn answer(mut stream: TcpStream, shared: Arc<Mutex<Script>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let response = if request.path == "/token" {
        let reply = {
            let mut script = lock(&shared);
            script.token_hits.push(Instant::now());
            script.reply.clone()
        };
        match reply {
            Reply::Hang => std::future::pending().await,
            Reply::Error {
                status,
                code,
                retry_after,
            } => error_response(status, code, retry_after),
            Reply::Issue { expires_in, delay } => {
                tokio::time::sleep(delay).await;
                issue(&mut lock(&shared), &request.body, expires_in)
            }
        }
    } else if request.path == "/api" {
        let mut script = lock(&shared);
        script.api_hits += 1;
        script.api_bodies.push(request.body.clone());
        let token = request
            .authorization
            .as_deref()
            .and_then(|value| value.strip_prefix("Bearer "));
        if token.is_some_and(|token| script.valid_access_tokens.contains(token)) {
            response(200, "", r#"{"tasks":[]}"#)
        } else {
            script.api_unauthorized += 1;
            response(401, "", r#"{"error":"invalid_token"}"#)
        }
    } else {
        response(404, "", "{}")
    };
    // The client may have gone (a cancelled caller); nothing to do about it here.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A new token pair if `form` carries the latest refresh token; `invalid_grant` otherwise.
fn issue(script: &mut Script, form: &str, expires_in: u64) -> String {
    let presented = form
        .split('&')
        .find_map(|pair| pair.strip_prefix("refresh_token="));
    if presented != Some(script.latest_refresh_token.as_str()) {
        script.refused += 1;
        return error_response(400, "invalid_grant", None);
    }
    script.issued += 1;
    let n = script.issued;
    let access = format!("{ACCESS_TOKEN_PREFIX}{n}");
    script.latest_refresh_token = format!("{REFRESH_TOKEN_PREFIX}{n}");
    script.valid_access_tokens.insert(access.clone());
    let body = format!(
        r#"{{"access_token":"{access}","token_type":"Bearer","expires_in":{expires_in},"refresh_token":"{}"}}"#,
        script.latest_refresh_token
    );
    response(200, "", &body)
}

fn error_response(status: u16, code: &str, retry_after: Option<u64>) -> String {
    let header = retry_after.map_or_else(String::new, |secs| format!("Retry-After: {secs}\r\n"));
    response(status, &header, &format!(r#"{{"error":"{code}"}}"#))
}

fn response(status: u16, extra_headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    )
}

/// Reads one request: its path, `Authorization` header and body. `None` if the client went
/// away or sent something that is not a request.
pub(crate) async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let read = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let mut content_length = 0;
    let mut authorization = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => content_length = value.trim().parse().ok()?,
            "authorization" => authorization = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    while buffer.len() < head_end + content_length {
        let read = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = String::from_utf8_lossy(&buffer[head_end..head_end + content_length]).into_owned();
    Some(Request {
        path,
        authorization,
        body,
    })
}
