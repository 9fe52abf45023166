//! An API on 127.0.0.1 that gives scripted answers in order (status, `Retry-After`, body) and
//! records when each request arrived (tokio's clock) and which token it carried, so paused-clock
//! tests can check the pauses between retries. A port can also be reserved refusing
//! connections, then start listening: a server that was down and came back.
//!
//! Plain HTTP/1.1 over `TcpListener`, one request per connection (`Connection: close`), on the
//! test's runtime: with tokio's paused clock the loopback I/O is ready whenever the runtime
//! looks, so the clock advances only past real waits (a client's pause between attempts).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::lock;
use crate::scripted::{bind_loopback, read_request};

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: String,
}

impl Answer {
    /// `status` with an empty body.
    #[must_use]
    pub fn status(status: u16) -> Self {
        Self {
            status,
            retry_after: None,
            body: String::new(),
        }
    }

    /// 200 with `body`.
    #[must_use]
    pub fn ok(body: &str) -> Self {
        Self {
            body: body.to_owned(),
            ..Self::status(200)
        }
    }

    /// This answer with `Retry-After: value`.
    #[must_use]
    pub fn retry_after(mut self, value: &str) -> Self {
        self.retry_after = Some(value.to_owned());
        self
    }
}

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Hit {
    /// When it arrived, by tokio's clock.
    pub at: Instant,
    /// Its `Authorization` header.
    pub authorization: Option<String>,
}

#[derive(Debug)]
struct Shared {
    /// The answers still to give; the last one is given to every later request.
    answers: VecDeque<Answer>,
    hits: Vec<Hit>,
}

/// The server; dropping it stops it and closes every connection.
#[derive(Debug)]
pub struct AnswerServer {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    serving: JoinHandle<()>,
}

impl AnswerServer {
    /// A server on a free port of 127.0.0.1 giving `answers` in order (the last for ever).
    ///
    /// # Panics
    /// If `answers` is empty, or no port on 127.0.0.1 can be bound.
    pub async fn start(answers: impl IntoIterator<Item = Answer>) -> Self {
        let (listener, addr) = bind_loopback().await;
        Self::serve(listener, addr, answers)
    }

    fn serve(
        listener: TcpListener,
        addr: SocketAddr,
        answers: impl IntoIterator<Item = Answer>,
    ) -> Self {
        let answers: VecDeque<Answer> = answers.into_iter().collect();
        assert!(!answers.is_empty(), "script at least one answer");
        let shared = Arc::new(Mutex::new(Shared {
            answers,
            hits: Vec::new(),
        }));
        let serving = tokio::spawn(accept(listener, Arc::clone(&shared)));
        Self {
            addr,
            shared,
            serving,
        }
    }

    /// `http://127.0.0.1:port`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in order.
    #[must_use]
    pub fn hits(&self) -> Vec<Hit> {
        lock(&self.shared).hits.clone()
    }
}

impl Drop for AnswerServer {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

/// A port of 127.0.0.1 held but not listening: connections to it are refused until
/// [`Reserved::listen`].
#[derive(Debug)]
pub struct Reserved {
    socket: TcpSocket,
    addr: SocketAddr,
}

impl Reserved {
    /// Holds a free port of 127.0.0.1.
    ///
    /// # Panics
    /// If no port on 127.0.0.1 can be bound.
    #[must_use]
    pub fn port() -> Self {
        let socket = TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("a free port on 127.0.0.1");
        let addr = socket.local_addr().expect("a bound socket's address");
        Self { socket, addr }
    }

    /// `http://127.0.0.1:port`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts listening on the port, giving `answers`.
    ///
    /// # Panics
    /// If the socket cannot listen.
    #[must_use]
    pub fn listen(self, answers: impl IntoIterator<Item = Answer>) -> AnswerServer {
        let listener = self.socket.listen(64).expect("a bound socket listens");
        AnswerServer::serve(listener, self.addr, answers)
    }
}

async fn accept(listener: TcpListener, shared: Arc<Mutex<Shared>>) {
    // Dropped with this task when the server is: aborts every connection's task.
    let mut connections = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        connections.spawn(answer(stream, Arc::clone(&shared)));
        while connections.try_join_next().is_some() {}
    }
}

async fn answer(mut stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let answer = {
        let mut shared = lock(&shared);
        shared.hits.push(Hit {
            at: Instant::now(),
            authorization: request.authorization,
        });
        if shared.answers.len() > 1 {
            shared.answers.pop_front()
        } else {
            shared.answers.front().cloned()
        }
    };
    let Some(answer) = answer else { return };
    let retry_after = answer
        .retry_after
        .map_or_else(String::new, |value| format!("Retry-After: {value}\r\n"));
    let response = format!(
        "HTTP/1.1 {} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n{retry_after}\r\n{}",
        answer.status,
        answer.body.len(),
        answer.body
    );
    // The client may have gone (a cancelled caller); nothing to do about it here.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
