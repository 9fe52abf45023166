// Input: the replies a test scripts, in order.
// Output: an HTTP/1.1 server on 127.0.0.1 that gives them, one request per connection
// (`Connection: close`), and records every request it read. Dropping it stops it and every
// connection it has open.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub(super) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: ReplyBody,
}

#[derive(Debug, Clone)]
enum ReplyBody {
    /// Sent with a `Content-Length`.
    Full(Vec<u8>),
    /// Sent chunked; the chunks after the first wait for `gate` to be notified, so a test
    /// can prove the client hands out the first chunk before the rest exists.
    Chunked {
        chunks: Vec<Vec<u8>>,
        gate: Arc<Notify>,
    },
    /// Nothing, ever: the request is read and the connection left open.
    Hang,
}

impl Reply {
    /// `status` with an empty body.
    pub(super) fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ReplyBody::Full(Vec::new()),
        }
    }

    /// 200 with `body`.
    pub(super) fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self::status(200).body(body)
    }

    /// Never answers.
    pub(super) fn hang() -> Self {
        Self {
            body: ReplyBody::Hang,
            ..Self::status(200)
        }
    }

    /// 200 with `chunks`, chunked; the second and later wait for `gate`.
    pub(super) fn chunked(chunks: &[&[u8]], gate: Arc<Notify>) -> Self {
        Self {
            body: ReplyBody::Chunked {
                chunks: chunks.iter().map(|chunk| chunk.to_vec()).collect(),
                gate,
            },
            ..Self::status(200)
        }
    }

    pub(super) fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = ReplyBody::Full(body.into());
        self
    }

    pub(super) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// One request as the server read it.
#[derive(Debug, Clone)]
pub(super) struct Recorded {
    pub(super) method: String,
    /// The request target: path and query, as sent.
    pub(super) target: String,
    /// Names in lowercase, in the order sent.
    pub(super) headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub(super) body: Vec<u8>,
}

impl Recorded {
    /// The first value of header `name` (lowercase).
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of header `name` (lowercase), in order.
    pub(super) fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    pub(super) fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Debug, Default)]
struct Shared {
    /// The replies still to give; the last one is given again to every later request.
    replies: VecDeque<Reply>,
    requests: Vec<Recorded>,
}

/// The server; dropping it stops it.
#[derive(Debug)]
pub(super) struct Server {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    serving: JoinHandle<()>,
}

impl Server {
    /// A server on a free port of 127.0.0.1 giving `replies` in order (the last one for ever).
    pub(super) async fn start(replies: impl IntoIterator<Item = Reply>) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("a free port on 127.0.0.1");
        let addr = listener.local_addr().expect("a bound listener's address");
        let shared = Arc::new(Mutex::new(Shared {
            replies: replies.into_iter().collect(),
            requests: Vec::new(),
        }));
        assert!(
            !lock(&shared).replies.is_empty(),
            "script at least one reply"
        );
        let serving = tokio::spawn(serve(listener, Arc::clone(&shared)));
        Self {
            addr,
            shared,
            serving,
        }
    }

    /// `http://127.0.0.1:port` followed by `path`.
    pub(super) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request read so far, in order.
    pub(super) fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared).requests.clone()
    }

    /// The only request read so far.
    pub(super) fn only_request(&self) -> Recorded {
        let mut requests = self.requests();
        assert_eq!(requests.len(), 1, "requests: {requests:?}");
        requests.remove(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn serve(listener: TcpListener, shared: Arc<Mutex<Shared>>) {
    // Dropped with this task when the server is: aborts every connection's task.
    let mut connections = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        connections.spawn(answer(stream, Arc::clone(&shared)));
        while connections.try_join_next().is_some() {}
    }
}

async fn answer(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let mut stream = BufReader::new(stream);
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let reply = {
        let mut shared = lock(&shared);
        shared.requests.push(request);
        if shared.replies.len() > 1 {
            shared.replies.pop_front()
        } else {
            shared.replies.front().cloned()
        }
    }
    .expect("a reply is scripted");
    let mut head = format!(
        "HTTP/1.1 {} Scripted\r\nConnection: close\r\n",
        reply.status
    );
    for (name, value) in &reply.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    // The client may have gone (it stops reading a long error body): nothing to do then.
    let _ = match reply.body {
        ReplyBody::Hang => std::future::pending().await,
        ReplyBody::Full(body) => {
            let _ = write!(head, "Content-Length: {}\r\n\r\n", body.len());
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(&body);
            stream.write_all(&bytes).await
        }
        ReplyBody::Chunked { chunks, gate } => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            write_chunked(&mut stream, head, &chunks, &gate).await
        }
    };
    let _ = stream.shutdown().await;
}

async fn write_chunked(
    stream: &mut BufReader<TcpStream>,
    head: String,
    chunks: &[Vec<u8>],
    gate: &Notify,
) -> std::io::Result<()> {
    stream.write_all(head.as_bytes()).await?;
    for (index, chunk) in chunks.iter().enumerate() {
        if index > 0 {
            gate.notified().await;
        }
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await?;
        stream.write_all(chunk).await?;
        stream.write_all(b"\r\n").await?;
        stream.flush().await?;
    }
    stream.write_all(b"0\r\n\r\n").await
}

/// One request: line, headers, and the body by `Content-Length` or chunked. `None` if the
/// client went away or sent something that is not HTTP/1.1.
async fn read_request(stream: &mut (impl AsyncBufRead + Unpin)) -> Option<Recorded> {
    let request_line = read_line(stream).await?;
    let mut words = request_line.split(' ');
    let method = words.next()?.to_owned();
    let target = words.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let line = read_line(stream).await?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut recorded = Recorded {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    if recorded
        .header("transfer-encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let size_line = read_line(stream).await?;
            let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !read_line(stream).await?.is_empty() {}
                break;
            }
            let start = recorded.body.len();
            recorded.body.resize(start + size, 0);
            stream.read_exact(&mut recorded.body[start..]).await.ok()?;
            read_line(stream).await?;
        }
    } else if let Some(length) = recorded.header("content-length") {
        let length: usize = length.parse().ok()?;
        recorded.body.resize(length, 0);
        stream.read_exact(&mut recorded.body).await.ok()?;
    }
    Some(recorded)
}

/// A line without its CRLF; `None` at the end of the stream.
async fn read_line(stream: &mut (impl AsyncBufRead + Unpin)) -> Option<String> {
    let mut line = Vec::new();
    let read = stream.read_until(b'\n', &mut line).await.ok()?;
    if read == 0 {
        return None;
    }
    while line
        .last()
        .is_some_and(|&byte| byte == b'\n' || byte == b'\r')
    {
        line.pop();
    }
    String::from_utf8(line).ok()
}
