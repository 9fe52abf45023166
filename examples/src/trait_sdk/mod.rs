//! The Tasks SDK of [`crate::sdk`] again, written as a trait: `#[freshtoken::client]`
//! generates the client, and with it the URLs, the bearer header, the status check, the JSON
//! decoding, the error bodies, the pages and the retry after a 401. Compare with `src/sdk/`:
//! same API, same behaviour.

use freshtoken::TokenCache;
use freshtoken::client::{BuildError, Pages};
use freshtoken::oauth::{JsonLogin, Url};
use serde::{Deserialize, Serialize};

pub use crate::sdk::Task;

/// What the API says when it refuses a request: `{"error", "error_description"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiFault {
    /// A code: `not_found`, `invalid_request`, `invalid_token`...
    pub error: String,
    /// What went wrong, for a person.
    pub error_description: Option<String>,
}

/// The Tasks API. Every method is authenticated; errors are `freshtoken::client::Error`, whose
/// non-2xx bodies decode into [`ApiFault`] (`error.error_body::<ApiFault>()`).
#[freshtoken::client(error_body = ApiFault)]
pub trait Tasks {
    /// The user's tasks.
    #[get("/tasks")]
    async fn list_tasks(&self) -> Result<Vec<Task>>;

    /// Every task, asked for `limit` at a time: the server names each next page in a
    /// `Link` header.
    #[get("/tasks", paginate = link)]
    async fn all_tasks(&self, #[query] limit: u32) -> Result<Pages<Task>>;

    /// Adds a task.
    #[post("/tasks")]
    async fn create_task(&self, #[json] task: &NewTask<'_>) -> Result<Task>;

    /// Marks a task done.
    #[post("/tasks/{id}/complete")]
    async fn complete_task(&self, id: u64) -> Result<Task>;

    /// Deletes a task.
    #[delete("/tasks/{id}")]
    async fn delete_task(&self, id: u64) -> Result<()>;

    /// Ends the session on the server; the cache logs in again on the next call.
    #[post("/auth/logout")]
    async fn log_out(&self) -> Result<()>;
}

/// A task to add.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct NewTask<'a> {
    /// What to do.
    pub title: &'a str,
}

/// A client of the API at `base_url` (for example `http://127.0.0.1:8080`), and the token
/// cache that logs it in as `username` on first use: keep the cache for its counters, or to
/// [`reset`](TokenCache::reset) it when the user must log in again.
///
/// # Errors
/// [`BuildError::InvalidBaseUrl`] when `base_url` is not an absolute `http(s)` URL.
pub fn connect(
    base_url: &str,
    username: &str,
    password: impl Into<String>,
) -> Result<(TasksClient<JsonLogin>, TokenCache<JsonLogin>), BuildError> {
    let endpoint = |path: &str| {
        format!("{}{path}", base_url.trim_end_matches('/'))
            .parse::<Url>()
            .map_err(|error| BuildError::InvalidBaseUrl {
                url: base_url.to_owned(),
                reason: error.to_string(),
            })
    };
    let login = JsonLogin::new(
        endpoint("/auth/login")?,
        endpoint("/auth/refresh")?,
        username,
        password.into(),
    );
    let cache = TokenCache::new(login);
    let client = TasksClient::builder(base_url, cache.clone()).build()?;
    Ok((client, cache))
}
