// Input: a bound loopback listener, the path of the login's redirect and its `state`.
// Output: what the browser's redirect carried (a code or an error, and the `iss` of RFC 9207),
// once a request to that path carries that state. Connections are served concurrently, each within a time and size
// limit; every other request is answered 400 or 404 and counted, and too many end the login.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use zeroize::Zeroizing;

use crate::AuthError;

/// The most of a request that is read: a request line and some headers.
const MAX_REQUEST: usize = 16 * 1024;
/// How long one connection may take to send its request and take the answer. A browser
/// sends at once; a connection opened ahead (browsers do) or by another program is closed
/// after this, without holding up the others.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are closed as they come, so a flood cannot exhaust the
/// process's file descriptors.
const MAX_CONNECTIONS: usize = 32;
/// After this many requests that are not the redirect the login gives up: something other
/// than the user's browser is talking to the port.
const MAX_STRAY_REQUESTS: u32 = 100;
/// The wait after a failed `accept` (no file descriptor left, say) before the next.
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

/// What the authorization server sent back through the browser, its `state` the login's;
/// `iss` is the issuer it names (RFC 9207), if it does.
pub(crate) enum Redirect {
    /// `code`: the authorization code to exchange.
    Code {
        code: Zeroizing<String>,
        iss: Option<String>,
    },
    /// `error`: the server's refusal (`access_denied` when the user said no).
    Error {
        error: Zeroizing<String>,
        iss: Option<String>,
    },
    /// Neither a code nor an error.
    Empty,
}

/// What one request was.
enum Verdict {
    Redirect(Redirect),
    Stray,
}

/// The request the login waits for: a GET of `path` whose query has `state`.
struct Awaited {
    path: String,
    state: Zeroizing<String>,
}

/// Serves `listener` until the redirect to `path` with `state` arrives, or too many requests
/// that are not it have. `redirect_uri` names the listener in errors.
pub(crate) async fn await_redirect(
    listener: TcpListener,
    path: String,
    state: Zeroizing<String>,
    redirect_uri: &str,
) -> Result<Redirect, AuthError> {
    let (verdicts, mut received) = mpsc::channel(MAX_CONNECTIONS);
    // Dropped when this returns or is cancelled, which stops the accept loop and with it
    // every connection still open.
    let mut server = JoinSet::new();
    server.spawn(accept(
        listener,
        Arc::new(Awaited { path, state }),
        verdicts,
    ));
    let mut strays = 0;
    while let Some(verdict) = received.recv().await {
        match verdict {
            Verdict::Redirect(redirect) => return Ok(redirect),
            Verdict::Stray => strays += 1,
        }
        if strays >= MAX_STRAY_REQUESTS {
            return Err(AuthError::rejected(format!(
                "the login gave up after {strays} requests to its loopback listener at \
                 {redirect_uri} that were not its redirect (another path, or a missing or \
                 wrong `state`): another program is sending them; log in again, and look for \
                 what is probing the port if it happens again"
            )));
        }
    }
    Err(AuthError::rejected(format!(
        "the loopback listener at {redirect_uri} stopped before the browser's redirect came; \
         log in again"
    )))
}

/// Accepts connections and serves each in its own task, at most `MAX_CONNECTIONS` at once.
async fn accept(listener: TcpListener, awaited: Arc<Awaited>, verdicts: mpsc::Sender<Verdict>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(ACCEPT_PAUSE).await;
            continue;
        };
        while connections.try_join_next().is_some() {}
        if connections.len() >= MAX_CONNECTIONS {
            continue;
        }
        connections.spawn(serve(stream, Arc::clone(&awaited), verdicts.clone()));
    }
}

/// Reads one request, answers it, and says what it was. A connection that sends no request
/// in time is closed and not counted.
async fn serve(mut stream: TcpStream, awaited: Arc<Awaited>, verdicts: mpsc::Sender<Verdict>) {
    let Ok(head) = tokio::time::timeout(CONNECTION_TIMEOUT, read_head(&mut stream)).await else {
        return;
    };
    let Some((status, page, verdict)) = judge(head, &awaited) else {
        return;
    };
    // Answered before the verdict goes: once the login has its redirect it stops serving.
    let _ = tokio::time::timeout(CONNECTION_TIMEOUT, respond(&mut stream, status, page)).await;
    let _ = verdicts.send(verdict).await;
}

/// The start of a request, as far as it was read.
enum Head {
    Request {
        method: String,
        target: Zeroizing<String>,
    },
    Malformed,
    TooLarge,
    /// Closed before sending anything.
    Closed,
}

async fn read_head(stream: &mut TcpStream) -> Head {
    let mut head = Zeroizing::new(Vec::with_capacity(1024));
    let mut chunk = Zeroizing::new([0; 1024]);
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        if head.len() >= MAX_REQUEST {
            return Head::TooLarge;
        }
        match stream.read(&mut chunk[..]).await {
            Ok(0) | Err(_) if head.is_empty() => return Head::Closed,
            Ok(0) | Err(_) => return Head::Malformed,
            Ok(read) => head.extend_from_slice(&chunk[..read]),
        }
    }
    let line = head.split(|&byte| byte == b'\r').next().unwrap_or_default();
    let Ok(line) = std::str::from_utf8(line) else {
        return Head::Malformed;
    };
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(target), Some(version), None) if version.starts_with("HTTP/") => {
            Head::Request {
                method: method.to_owned(),
                target: Zeroizing::new(target.to_owned()),
            }
        }
        _ => Head::Malformed,
    }
}

/// The answer to `head` (status and page) and what it was; `None` for a connection that
/// closed without a request.
fn judge(head: Head, awaited: &Awaited) -> Option<(&'static str, &'static str, Verdict)> {
    const NOT_THE_REDIRECT: &str = "This is not the login's redirect.";
    let (method, target) = match head {
        Head::Request { method, target } => (method, target),
        Head::Malformed => return Some(("400 Bad Request", NOT_THE_REDIRECT, Verdict::Stray)),
        Head::TooLarge => {
            return Some((
                "431 Request Header Fields Too Large",
                NOT_THE_REDIRECT,
                Verdict::Stray,
            ));
        }
        Head::Closed => return None,
    };
    let url = target
        .starts_with('/')
        .then(|| Url::parse(&format!("http://127.0.0.1{}", target.as_str())).ok())
        .flatten();
    let Some(url) = url.filter(|_| method == "GET") else {
        return Some(("400 Bad Request", NOT_THE_REDIRECT, Verdict::Stray));
    };
    if url.path() != awaited.path {
        return Some(("404 Not Found", "Not found.", Verdict::Stray));
    }
    let pair = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| Zeroizing::new(value.into_owned()))
    };
    let state_matches =
        pair("state").is_some_and(|state| same_secret(state.as_bytes(), awaited.state.as_bytes()));
    if !state_matches {
        if pair("code").is_some() || pair("error").is_some() {
            tracing::warn!(
                target: "freshtoken",
                "a redirect to the login's loopback listener carried a missing or wrong \
                 `state`: it did not come from this login (a stale browser tab, or a forged \
                 redirect); it was answered 400 and ignored"
            );
        }
        return Some((
            "400 Bad Request",
            "This redirect is not from the login in progress.",
            Verdict::Stray,
        ));
    }
    let iss = pair("iss").map(|iss| iss.to_string());
    if let Some(error) = pair("error") {
        return Some((
            "200 OK",
            "Login cancelled. You can close this window.",
            Verdict::Redirect(Redirect::Error { error, iss }),
        ));
    }
    match pair("code").filter(|code| !code.is_empty()) {
        Some(code) => Some((
            "200 OK",
            "Logged in. You can close this window.",
            Verdict::Redirect(Redirect::Code { code, iss }),
        )),
        None => Some((
            "400 Bad Request",
            "No code in the redirect.",
            Verdict::Redirect(Redirect::Empty),
        )),
    }
}

/// Compares two secrets in a time that does not depend on where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

async fn respond(stream: &mut TcpStream, status: &str, text: &str) {
    let body = format!("<!doctype html><title>Login</title><p>{text}</p>");
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser may have gone; the login's outcome does not depend on it.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
