//! What the OAuth tests share: a server on 127.0.0.1 with a manual clock, form POSTs with
//! or without HTTP Basic, and answers read as JSON.

// Each test crate uses a part of this module; `pub` is for those test crates.
#![allow(dead_code, unreachable_pub)]

pub mod recorded_metrics;

use std::time::{Duration, UNIX_EPOCH};

use freshtoken_examples::server::{self, Clock, RunningServer, ServerConfig};
use freshtoken_examples::server::{DEMO_CONFIDENTIAL_CLIENT_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
use serde_json::Value;

/// The server, its clock, and a client for it.
pub struct Oauth {
    pub server: RunningServer,
    pub clock: Clock,
    pub http: reqwest::Client,
    pub base_url: String,
}

/// Who the request says it is.
#[derive(Clone, Copy)]
pub enum ClientAuth<'a> {
    /// `Authorization: Basic`.
    Basic(&'a str, &'a str),
    /// `client_id` and `client_secret` in the form.
    Body(&'a str, &'a str),
    /// `client_id` only.
    Public(&'a str),
    /// Nothing.
    Anonymous,
}

/// The demo confidential client, by HTTP Basic.
pub const BACKEND: ClientAuth<'static> =
    ClientAuth::Basic(DEMO_CONFIDENTIAL_CLIENT_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET);

impl Oauth {
    /// A server whose clock stands still until the test advances it.
    pub async fn start(config: ServerConfig) -> Self {
        let clock = Clock::manual(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        Self::start_with_clock(config, clock).await
    }

    /// A server that reads the time from `clock`.
    pub async fn start_with_clock(config: ServerConfig, clock: Clock) -> Self {
        let server = server::start_with_clock(config, clock.clone())
            .await
            .unwrap();
        let base_url = server.base_url();
        Self {
            server,
            clock,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base_url,
        }
    }

    pub async fn start_default() -> Self {
        Self::start(ServerConfig::default()).await
    }

    /// POSTs `params` as a form to `path`, authenticated as `auth`.
    pub async fn post_form(
        &self,
        path: &str,
        auth: ClientAuth<'_>,
        params: &[(&str, &str)],
    ) -> Answer {
        self.post_form_with(path, auth, params, &[]).await
    }

    /// [`post_form`](Self::post_form) with extra `headers` (a DPoP proof).
    pub async fn post_form_with(
        &self,
        path: &str,
        auth: ClientAuth<'_>,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut params: Vec<(&str, &str)> = params.to_vec();
        let mut request = self.http.post(format!("{}{path}", self.base_url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        match auth {
            ClientAuth::Basic(id, secret) => request = request.basic_auth(id, Some(secret)),
            ClientAuth::Body(id, secret) => {
                params.push(("client_id", id));
                params.push(("client_secret", secret));
            }
            ClientAuth::Public(id) => params.push(("client_id", id)),
            ClientAuth::Anonymous => {}
        }
        let body = serde_urlencoded::to_string(&params).unwrap();
        let request = request
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        Answer::of(request.send().await.unwrap()).await
    }

    /// `POST /oauth/token`.
    pub async fn token(&self, auth: ClientAuth<'_>, params: &[(&str, &str)]) -> Answer {
        self.post_form("/oauth/token", auth, params).await
    }

    /// The password grant for `user`, as `auth`.
    pub async fn password(&self, auth: ClientAuth<'_>, user: &str, password: &str) -> Answer {
        let params = [
            ("grant_type", "password"),
            ("username", user),
            ("password", password),
        ];
        self.token(auth, &params).await
    }

    /// The refresh token grant, as `auth`.
    pub async fn refresh(&self, auth: ClientAuth<'_>, refresh_token: &str) -> Answer {
        let params = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.token(auth, &params).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Answer {
        Answer::of(
            self.http
                .get(format!("{}{path}", self.base_url))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `GET /tasks` with `access_token`: its status.
    pub async fn tasks_status(&self, access_token: &str) -> StatusCode {
        self.http
            .get(format!("{}/tasks", self.base_url))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
            .status()
    }
}

/// An answer, its body read as JSON (`Null` when empty or not JSON; `text` keeps it).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Answer {
    pub async fn of(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            body,
        }
    }

    pub fn header(&self, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }

    /// A string field of the JSON body.
    pub fn field(&self, name: &str) -> String {
        self.body[name]
            .as_str()
            .unwrap_or_else(|| panic!("no string `{name}` in {self:?}"))
            .to_owned()
    }

    /// A 200 token answer, never cached; answers `(access_token, refresh_token)`
    /// (`refresh_token` empty when there is none).
    pub fn tokens(&self) -> (String, String) {
        assert_eq!(self.status, StatusCode::OK, "{self:?}");
        assert_eq!(self.header(CACHE_CONTROL), Some("no-store"), "{self:?}");
        assert_eq!(self.body["token_type"], "Bearer", "{self:?}");
        assert!(self.body["expires_in"].as_u64().unwrap() > 0, "{self:?}");
        let refresh = self.body["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (self.field("access_token"), refresh)
    }

    /// An RFC 6749 error answer with `status` and `error`, never cached; the description
    /// quotes none of `secrets`.
    pub fn assert_error(&self, status: StatusCode, error: &str, secrets: &[&str]) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.body["error"], error, "{self:?}");
        assert!(
            self.body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{self:?}"
        );
        assert_eq!(self.header(CACHE_CONTROL), Some("no-store"), "{self:?}");
        for secret in secrets {
            assert!(
                !self.text.contains(secret),
                "the answer quotes a secret: {self:?}"
            );
        }
        if error == "invalid_client" {
            let challenge = self.header(WWW_AUTHENTICATE).unwrap_or_default();
            assert!(challenge.starts_with("Basic realm="), "{self:?}");
        }
    }

    pub fn assert_invalid_grant(&self) {
        self.assert_error(StatusCode::BAD_REQUEST, "invalid_grant", &[]);
    }
}

/// Everything logged on this thread at TRACE level, as text, from [`Logs::capture`] on.
#[derive(Clone, Default)]
pub struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Captures this thread's events until the guard drops. With the default current-thread
    /// test runtime, the server's tasks run on this thread too.
    pub fn capture() -> (Self, (tracing::subscriber::DefaultGuard, tracing::Dispatch)) {
        let logs = Self::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        // tracing caches whether a callsite is enabled once per process, asking only the
        // registering thread while one dispatcher is registered: a second one kept alive
        // makes it ask this thread's too, so no event watched here is lost to a sibling test.
        let anchor = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
        let guard = tracing::subscriber::set_default(subscriber);
        tracing::callsite::rebuild_interest_cache();
        (logs, (guard, anchor))
    }

    /// The text captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(
            &self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned()
    }
}
