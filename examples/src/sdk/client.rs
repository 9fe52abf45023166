// Input: a base URL and a user's credentials.
// Output: the Tasks API as async methods; freshtoken supplies and renews their tokens.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use freshtoken::oauth::{JsonLogin, Url};
use freshtoken::{CacheStats, Token, TokenCache, TokenCacheBuilder, refresh_token};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::{Task, TasksError};

/// A client of the Tasks API for one user.
///
/// Clone it freely: clones share one connection pool and one token.
#[derive(Clone)]
pub struct TasksClient {
    http: reqwest::Client,
    base_url: Url,
    auth: TokenCache<JsonLogin>,
    unauthorized: Arc<AtomicU64>,
}

impl TasksClient {
    /// A client of the API at `base_url` (for example `http://127.0.0.1:8080`) that logs in
    /// as `username` on first use.
    ///
    /// # Errors
    /// [`TasksError::InvalidBaseUrl`] when `base_url` is not an absolute `http(s)` URL.
    pub fn new(
        base_url: &str,
        username: &str,
        password: impl Into<String>,
    ) -> Result<Self, TasksError> {
        Self::with_cache(base_url, username, password, |cache| cache)
    }

    /// As [`new`](Self::new), with the token cache set up by `configure`: a
    /// [`name`](TokenCacheBuilder::name) for its metrics, a [`store`](TokenCacheBuilder::store)
    /// that keeps the login across restarts.
    ///
    /// # Errors
    /// [`TasksError::InvalidBaseUrl`] when `base_url` is not an absolute `http(s)` URL.
    pub fn with_cache(
        base_url: &str,
        username: &str,
        password: impl Into<String>,
        configure: impl FnOnce(TokenCacheBuilder<JsonLogin>) -> TokenCacheBuilder<JsonLogin>,
    ) -> Result<Self, TasksError> {
        let invalid = |reason: String| TasksError::InvalidBaseUrl {
            url: base_url.to_owned(),
            reason,
        };
        let base_url = base_url
            .parse::<Url>()
            .map_err(|error| invalid(error.to_string()))?;
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(invalid("only http and https are supported".to_owned()));
        }
        let endpoint = |path: &str| {
            let mut url = base_url.clone();
            url.set_path(&format!("{}{path}", base_url.path().trim_end_matches('/')));
            url
        };
        let login = JsonLogin::new(
            endpoint("/auth/login"),
            endpoint("/auth/refresh"),
            username,
            password.into(),
        );
        Ok(Self {
            http: reqwest::Client::new(),
            base_url,
            auth: configure(TokenCache::builder(login)).build(),
            unauthorized: Arc::default(),
        })
    }

    /// Counters of the token cache: logins and refreshes made, failures, callers that waited.
    #[must_use]
    pub fn auth_stats(&self) -> CacheStats {
        self.auth.stats()
    }

    /// How many times the API answered 401 to this client (and its clones).
    #[must_use]
    pub fn unauthorized_answers(&self) -> u64 {
        self.unauthorized.load(Ordering::Relaxed)
    }

    /// Forgets the session, so the next call logs in with the password again: what to do
    /// after an error for which [`TasksError::needs_login`] is true.
    pub fn log_in_again(&self) {
        self.auth.reset();
    }

    /// Makes the cached token look expired, so the next call refreshes it first. For demos
    /// and tests of expiry without waiting for it.
    pub fn expire_token_now(&self) {
        self.auth.expire_now();
    }

    fn request(&self, method: Method, path: &str, token: &Token) -> RequestBuilder {
        let mut url = self.base_url.clone();
        url.set_path(&format!(
            "{}{path}",
            self.base_url.path().trim_end_matches('/')
        ));
        self.http
            .request(method, url)
            .header(AUTHORIZATION, token.authorization().clone())
    }
}

#[refresh_token(cache = self.auth)]
impl TasksClient {
    /// The user's tasks.
    ///
    /// # Errors
    /// [`TasksError`]: no token could be had, the API could not be reached, or it answered
    /// with an error (a 401 only after one retry with a new token).
    pub async fn list_tasks(&self, #[token] token: &Token) -> Result<Vec<Task>, TasksError> {
        let response = self.request(Method::GET, "/tasks", token).send().await?;
        self.json_of(response).await
    }

    /// Adds a task.
    ///
    /// # Errors
    /// [`TasksError`]: no token could be had, the API could not be reached, or it answered
    /// with an error (a 401 only after one retry with a new token).
    pub async fn create_task(
        &self,
        title: &str,
        #[token] token: &Token,
    ) -> Result<Task, TasksError> {
        let body = serde_json::to_vec(&json!({ "title": title }))?;
        let response = self
            .request(Method::POST, "/tasks", token)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?;
        self.json_of(response).await
    }

    /// Marks a task done.
    ///
    /// # Errors
    /// [`TasksError`]: no token could be had, the API could not be reached, or it answered
    /// with an error (a 401 only after one retry with a new token).
    pub async fn complete_task(&self, id: u64, #[token] token: &Token) -> Result<Task, TasksError> {
        let path = format!("/tasks/{id}/complete");
        let response = self.request(Method::POST, &path, token).send().await?;
        self.json_of(response).await
    }

    /// Deletes a task.
    ///
    /// # Errors
    /// [`TasksError`]: no token could be had, the API could not be reached, or it answered
    /// with an error (a 401 only after one retry with a new token).
    pub async fn delete_task(&self, id: u64, #[token] token: &Token) -> Result<(), TasksError> {
        let path = format!("/tasks/{id}");
        let response = self.request(Method::DELETE, &path, token).send().await?;
        self.checked(response).await.map(drop)
    }

    /// Ends the session on the server: the access token and its refresh tokens are revoked.
    /// Call [`log_in_again`](Self::log_in_again) to use the client afterwards.
    ///
    /// # Errors
    /// [`TasksError`], as for the other calls; a 401 is not retried here.
    #[refresh_token(retry = false)]
    pub async fn log_out(&self, #[token] token: &Token) -> Result<(), TasksError> {
        let response = self
            .request(Method::POST, "/auth/logout", token)
            .send()
            .await?;
        self.checked(response).await.map(drop)
    }
}

impl TasksClient {
    /// The response, or the API's error for a status that is not a success.
    async fn checked(&self, response: Response) -> Result<Response, TasksError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status == StatusCode::UNAUTHORIZED {
            self.unauthorized.fetch_add(1, Ordering::Relaxed);
        }
        let body = response.bytes().await.unwrap_or_default();
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|json| {
                json.get("error_description")
                    .or_else(|| json.get("error"))
                    .and_then(|message| message.as_str().map(str::to_owned))
            })
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
        Err(TasksError::Api { status, message })
    }

    async fn json_of<T: DeserializeOwned>(&self, response: Response) -> Result<T, TasksError> {
        let body = self.checked(response).await?.bytes().await?;
        Ok(serde_json::from_slice(&body)?)
    }
}
