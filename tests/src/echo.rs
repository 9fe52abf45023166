//! A token endpoint on 127.0.0.1 that refuses every request and repeats, in its
//! `error_description`, what it received: the `Authorization` header and the body, spelled as
//! the test asks. Some real servers do this in their error messages; the client must not let
//! any of it, in any spelling, reach an error message or a log line.
//!
//! Plain HTTP/1.1 over `TcpListener`, one request per connection (`Connection: close`), on the
//! test's runtime. Dropping the server stops it and closes every connection.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::task::{JoinHandle, JoinSet};

use crate::lock;
use crate::scripted::{Request, bind_loopback, read_request};

/// How the server spells what it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// As sent: the `Authorization` header's value and the body, byte for byte.
    Verbatim,
    /// Decoded: the Basic credentials out of their base64 (`id:secret`, each still
    /// form-urlencoded), and the body's values out of their form-urlencoding or JSON escapes.
    Decoded,
    /// Decoded, then encoded again by another hand: Basic credentials in URL-safe base64
    /// without padding; form values with lowercase hex and `%20` for a space; JSON values
    /// ASCII-only, as Python's `json.dumps` writes them, with `/` escaped as PHP does.
    Reencoded,
}

/// What the server answers.
#[derive(Debug, Clone, Copy)]
pub struct Echo {
    /// The HTTP status of every answer.
    pub status: u16,
    /// The RFC 6749 `error` code of every answer.
    pub code: &'static str,
    /// How the `error_description` repeats the request.
    pub spelling: Spelling,
}

/// The server; dropping it stops it.
#[derive(Debug)]
pub struct EchoServer {
    addr: SocketAddr,
    echoed: Arc<Mutex<Vec<String>>>,
    serving: JoinHandle<()>,
}

impl EchoServer {
    /// Starts a server on a free port of 127.0.0.1 that answers every request with `echo`.
    ///
    /// # Panics
    /// If no port on 127.0.0.1 can be bound.
    pub async fn start(echo: Echo) -> Self {
        let (listener, addr) = bind_loopback().await;
        let echoed = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&echoed);
        let serving = tokio::spawn(async move {
            // Dropped with the task when the server is: aborts every connection's task.
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::task::yield_now().await;
                    continue;
                };
                connections.spawn(answer(stream, echo, Arc::clone(&log)));
                while connections.try_join_next().is_some() {}
            }
        });
        Self {
            addr,
            echoed,
            serving,
        }
    }

    /// The URL of `path` on this server.
    ///
    /// # Panics
    /// Never: the address always makes a URL.
    #[must_use]
    pub fn url(&self, path: &str) -> reqwest::Url {
        format!("http://{}{path}", self.addr)
            .parse()
            .expect("an address and a path make a URL")
    }

    /// Every `error_description` sent so far, one per request, in order.
    #[must_use]
    pub fn echoed(&self) -> Vec<String> {
        lock(&self.echoed).clone()
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

async fn answer(mut stream: TcpStream, echo: Echo, echoed: Arc<Mutex<Vec<String>>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let description = describe(&request, echo.spelling);
    let body = serde_json::json!({ "error": echo.code, "error_description": description });
    lock(&echoed).push(description);
    let body = body.to_string();
    let response = format!(
        "HTTP/1.1 {} Echo\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        echo.status,
        body.len()
    );
    // The client may have gone; nothing to do about it here.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// `authorization=...; body=...`, spelled as asked.
fn describe(request: &Request, spelling: Spelling) -> String {
    let authorization = request.authorization.as_deref().map(|value| {
        let Some(credentials) = value
            .strip_prefix("Basic ")
            .and_then(|encoded| STANDARD.decode(encoded).ok())
        else {
            return value.to_owned();
        };
        match spelling {
            Spelling::Verbatim => value.to_owned(),
            Spelling::Decoded => String::from_utf8_lossy(&credentials).into_owned(),
            Spelling::Reencoded => URL_SAFE_NO_PAD.encode(credentials),
        }
    });
    let body = match (spelling, request.body.starts_with('{')) {
        (Spelling::Verbatim, _) => request.body.clone(),
        (Spelling::Decoded, false) => join_form(&request.body, str::to_owned),
        (Spelling::Reencoded, false) => join_form(&request.body, reencode_form),
        (Spelling::Decoded, true) => join_json(&request.body, str::to_owned),
        (Spelling::Reencoded, true) => join_json(&request.body, ascii_json),
    };
    match authorization {
        Some(authorization) => format!("authorization={authorization}; body={body}"),
        None => format!("body={body}"),
    }
}

/// The form's fields as `name=value` joined by `&`, each value decoded and passed to `spell`.
fn join_form(form: &str, spell: impl Fn(&str) -> String) -> String {
    form.split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            format!("{name}={}", spell(&form_decode(value)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The JSON object's fields as `name:value` joined by `,`, each string passed to `spell`.
fn join_json(json: &str, spell: impl Fn(&str) -> String) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(json) else {
        return json.to_owned();
    };
    fields
        .iter()
        .map(|(name, value)| match value.as_str() {
            Some(text) => format!("{name}:{}", spell(text)),
            None => format!("{name}:{value}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn form_decode(text: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let hex = tail
            .get(..2)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (byte, hex) {
            (b'+', _) => bytes.push(b' '),
            (b'%', Some(decoded)) => {
                bytes.push(decoded);
                rest = &tail[2..];
                continue;
            }
            _ => bytes.push(byte),
        }
        rest = tail;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Percent-encodes all but ASCII letters and digits, with lowercase hex; a space is `%20`.
fn reencode_form(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02x}");
        }
    }
    out
}

/// A JSON string's content, ASCII-only: `\uXXXX` (lowercase hex, surrogate pairs) for
/// anything else, and `\/` for a slash.
fn ascii_json(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out
}
