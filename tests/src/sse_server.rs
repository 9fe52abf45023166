//! A server-sent events server on 127.0.0.1 whose every connection is scripted by the test:
//! an event stream that the server then cuts (the body ends without a `Content-Length`, as a
//! dropped connection looks to the client), or a bare status. It records what each request
//! carried (the token, `Last-Event-ID`, `Accept`, `X-Request-Id`), and stops when dropped.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::lock;
use crate::scripted::bind_loopback;

/// What the server does with one connection.
#[derive(Debug, Clone)]
pub enum Reply {
    /// `200 text/event-stream` with this body, then the connection is closed.
    Events(&'static str),
    /// This status with an empty body.
    Status(u16),
}

/// What one request carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// The request line's path.
    pub path: String,
    /// `Authorization`.
    pub authorization: Option<String>,
    /// `Last-Event-ID`.
    pub last_event_id: Option<String>,
    /// `Accept`.
    pub accept: Option<String>,
    /// `X-Request-Id`.
    pub request_id: Option<String>,
}

/// The server: connection `n` gets `script[n]`, and every one after the script the last reply.
#[derive(Debug)]
pub struct SseServer {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl SseServer {
    /// Starts the server on a free port of 127.0.0.1.
    ///
    /// # Panics
    /// If `script` is empty.
    pub async fn start(script: Vec<Reply>) -> Self {
        assert!(!script.is_empty(), "a script of at least one reply");
        let (listener, addr) = bind_loopback().await;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        // One connection at a time: an SSE client holds at most one.
        let task = tokio::spawn(async move {
            let mut n = 0;
            while let Ok((stream, _)) = listener.accept().await {
                let reply = script[n.min(script.len() - 1)].clone();
                n += 1;
                serve(stream, &reply, &record).await;
            }
        });
        Self {
            url: format!("http://{addr}"),
            seen,
            task,
        }
    }

    /// The base URL.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What every request so far carried, in order.
    #[must_use]
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.seen).clone()
    }
}

impl Drop for SseServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, reply: &Reply, seen: &Mutex<Vec<Seen>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    lock(seen).push(parse_head(&String::from_utf8_lossy(&head)));
    let response = match reply {
        Reply::Events(body) => format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n{body}"
        ),
        Reply::Status(status) => {
            format!("HTTP/1.1 {status} Status\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        }
    };
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn parse_head(head: &str) -> Seen {
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or_default()
        .to_owned();
    let mut seen = Seen {
        path,
        ..Seen::default()
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = Some(value.trim().to_owned());
        match name.trim().to_ascii_lowercase().as_str() {
            "authorization" => seen.authorization = value,
            "last-event-id" => seen.last_event_id = value,
            "accept" => seen.accept = value,
            "x-request-id" => seen.request_id = value,
            _ => {}
        }
    }
    seen
}
