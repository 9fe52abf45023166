//! A token endpoint and an API on 127.0.0.1 for many users at once, for the tests of
//! `TokenCaches`: each user logs in (`grant_type=password`, `username=<user>`) and renews with
//! a rotating refresh token that names the user (`RT-<user>-<n>`), of which only the latest is
//! accepted. It counts every request per user and records each one's `scope`; a test can hold
//! a user's token requests until it lets them through.
//!
//! Plain HTTP/1.1, one request per connection (`Connection: close`), like `scripted.rs`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::lock;
use crate::scripted::{accept_loop, bind_loopback, read_request};

/// The token requests one user made, and what the API saw of that user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserRequests {
    /// Logins (`grant_type=password`).
    pub logins: u32,
    /// Refreshes accepted (the latest refresh token presented).
    pub refreshes: u32,
    /// Refreshes refused: a spent or unknown refresh token.
    pub refused: u32,
    /// Token requests received, answered or still held.
    pub token_requests: u32,
    /// The `scope` of each token request, in order (`None` when it had none).
    pub scopes: Vec<Option<String>>,
    /// The access token issued last.
    pub latest_access_token: Option<String>,
    /// The refresh token issued last: the only one the endpoint accepts.
    pub latest_refresh_token: Option<String>,
    /// API requests answered 200 with this user's token.
    pub api_accepted: u32,
}

#[derive(Debug, Default)]
struct Accounts {
    /// `expires_in` of the tokens issued, unless the user has a lifetime of their own.
    lifetime: u64,
    lifetimes: HashMap<String, u64>,
    users: HashMap<String, UserRequests>,
    /// Valid access tokens, and whose they are.
    owners: HashMap<String, String>,
    /// Users whose token requests wait for their gate to open.
    held: HashMap<String, Arc<Semaphore>>,
    /// API requests answered 401.
    api_unauthorized: u32,
    /// Token pairs issued, to all users: numbers them.
    issued: u32,
}

/// The server; dropping it stops it and closes every connection.
#[derive(Debug)]
pub struct UserTokenServer {
    addr: SocketAddr,
    shared: Arc<Mutex<Accounts>>,
    serving: JoinHandle<()>,
}

impl UserTokenServer {
    /// Starts a server on a free port of 127.0.0.1 whose tokens live `lifetime`, whole
    /// seconds (what `expires_in` can say).
    ///
    /// # Panics
    /// If no port on 127.0.0.1 can be bound.
    pub async fn start(lifetime: Duration) -> Self {
        let (listener, addr) = bind_loopback().await;
        let shared = Arc::new(Mutex::new(Accounts {
            lifetime: lifetime.as_secs(),
            ..Accounts::default()
        }));
        let accounts = Arc::clone(&shared);
        let serving = accept_loop(listener, move |stream| {
            answer(stream, Arc::clone(&accounts))
        });
        Self {
            addr,
            shared,
            serving,
        }
    }

    /// The token endpoint's URL.
    #[must_use]
    pub fn token_url(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// The server's base URL; its API is `/api`: 200 with the token owner's name as the body
    /// when the bearer token is valid, 401 otherwise.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The API's URL.
    #[must_use]
    pub fn api_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// Tokens issued to `user` from now on live `lifetime` (whole seconds).
    pub fn set_lifetime(&self, user: &str, lifetime: Duration) {
        self.accounts()
            .lifetimes
            .insert(user.to_owned(), lifetime.as_secs());
    }

    /// What `user` asked of the server so far.
    #[must_use]
    pub fn requests(&self, user: &str) -> UserRequests {
        self.accounts().users.get(user).cloned().unwrap_or_default()
    }

    /// Token requests from all users.
    #[must_use]
    pub fn token_requests(&self) -> usize {
        self.accounts()
            .users
            .values()
            .map(|user| user.token_requests as usize)
            .sum()
    }

    /// API requests answered 401.
    #[must_use]
    pub fn api_unauthorized(&self) -> u32 {
        self.accounts().api_unauthorized
    }

    /// Makes every access token issued to `user` so far invalid at the API.
    pub fn revoke(&self, user: &str) {
        self.accounts().owners.retain(|_, owner| owner != user);
    }

    /// Holds `user`'s token requests from now on: they are counted when they arrive and
    /// answered once [`release`](Self::release) is called.
    pub fn hold(&self, user: &str) {
        self.accounts()
            .held
            .insert(user.to_owned(), Arc::new(Semaphore::new(0)));
    }

    /// Answers `user`'s held token requests, and no longer holds new ones.
    pub fn release(&self, user: &str) {
        if let Some(gate) = self.accounts().held.remove(user) {
            gate.add_permits(Semaphore::MAX_PERMITS / 2);
        }
    }

    /// Waits until `user` has made `count` token requests.
    ///
    /// # Panics
    /// If they have not within ten seconds: the test fails rather than hangs.
    pub async fn wait_for_token_requests(&self, user: &str, count: u32) {
        let arrived = async {
            while self.requests(user).token_requests < count {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), arrived)
            .await
            .unwrap_or_else(|_| panic!("{user} did not make {count} token requests in 10 s"));
    }

    fn accounts(&self) -> MutexGuard<'_, Accounts> {
        lock(&self.shared)
    }
}

impl Drop for UserTokenServer {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

async fn answer(mut stream: TcpStream, shared: Arc<Mutex<Accounts>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let response = match request.path.as_str() {
        "/token" => token(&shared, &request.body).await,
        "/api" => api(&mut lock(&shared), request.authorization.as_deref()),
        _ => response(404, "{}"),
    };
    // The client may have gone (a cancelled caller); nothing to do about it here.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A login or a refresh: counted when it arrives, decided and answered once the user's gate
/// opens if the user is held (so a refresh token spent meanwhile is refused).
async fn token(shared: &Mutex<Accounts>, body: &str) -> String {
    let form = parse_form(body);
    let field = |name: &str| form.get(name).map(String::as_str);
    let scope = field("scope").map(str::to_owned);
    let (user, login) = match (
        field("grant_type"),
        field("username"),
        field("refresh_token"),
    ) {
        (Some("password"), Some(user), _) => (user.to_owned(), true),
        (Some("refresh_token"), _, Some(presented)) => match owner_of_refresh_token(presented) {
            Some(user) => (user.to_owned(), false),
            None => return error_response(400, "invalid_grant"),
        },
        _ => return error_response(400, "unsupported_grant_type"),
    };
    let gate = {
        let mut accounts = lock(shared);
        let record = accounts.users.entry(user.clone()).or_default();
        record.token_requests += 1;
        record.scopes.push(scope.clone());
        accounts.held.get(&user).cloned()
    };
    if let Some(gate) = gate {
        // Closed for good only if the server is dropped, which ends this task anyway.
        let _ = gate.acquire().await;
    }
    let mut accounts = lock(shared);
    let record = accounts.users.entry(user.clone()).or_default();
    if login {
        record.logins += 1;
    } else if record.latest_refresh_token.as_deref() == field("refresh_token") {
        record.refreshes += 1;
    } else {
        record.refused += 1;
        return error_response(400, "invalid_grant");
    }
    issue(&mut accounts, &user, scope.as_deref())
}

/// The user a refresh token `RT-<user>-<n>` names.
fn owner_of_refresh_token(token: &str) -> Option<&str> {
    let rest = token.strip_prefix("RT-")?;
    let (user, n) = rest.rsplit_once('-')?;
    n.parse::<u32>().ok().map(|_| user)
}

fn issue(accounts: &mut Accounts, user: &str, scope: Option<&str>) -> String {
    let expires_in = accounts
        .lifetimes
        .get(user)
        .copied()
        .unwrap_or(accounts.lifetime);
    accounts.issued += 1;
    let n = accounts.issued;
    let record = accounts.users.entry(user.to_owned()).or_default();
    let access = format!("AT-{user}-{n}");
    let refresh = format!("RT-{user}-{n}");
    record.latest_access_token = Some(access.clone());
    record.latest_refresh_token = Some(refresh.clone());
    accounts.owners.insert(access.clone(), user.to_owned());
    let mut body = serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "refresh_token": refresh,
    });
    if let Some(scope) = scope {
        body["scope"] = scope.into();
    }
    response(200, &body.to_string())
}

fn api(accounts: &mut Accounts, authorization: Option<&str>) -> String {
    let owner = authorization
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| accounts.owners.get(token))
        .cloned();
    let Some(user) = owner else {
        accounts.api_unauthorized += 1;
        return response(401, r#"{"error":"invalid_token"}"#);
    };
    accounts.users.entry(user.clone()).or_default().api_accepted += 1;
    response(200, &user)
}

/// The fields of a form-urlencoded body, decoded.
fn parse_form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (decode(name), decode(value)))
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                decoded.push(byte);
                i += 2;
            }
            (None, b'+') => decoded.push(b' '),
            (None, byte) => decoded.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn error_response(status: u16, code: &str) -> String {
    response(status, &format!(r#"{{"error":"{code}"}}"#))
}

fn response(status: u16, body: &str) -> String {
    let content_type = if body.starts_with('{') {
        "application/json"
    } else {
        "text/plain"
    };
    format!(
        "HTTP/1.1 {status} UserTokens\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
}
