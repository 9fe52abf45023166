// The options: the trait's `error`, `name` and `unauthorized`, a method's `auth = none`,
// `timeout`, `unauthorized` and fixed `#[header]`s, and an explicit `Result<T, E>` beside the
// rewritten `Result<T>`.
use freshtoken_ui_tests::{cache, is_refused, refused_url};

#[derive(Debug)]
pub enum SdkError {
    Client(freshtoken::client::Error),
}

impl From<freshtoken::client::Error> for SdkError {
    fn from(error: freshtoken::client::Error) -> Self {
        Self::Client(error)
    }
}

#[derive(Debug)]
pub struct OtherError(freshtoken::client::Error);

impl From<freshtoken::client::Error> for OtherError {
    fn from(error: freshtoken::client::Error) -> Self {
        Self(error)
    }
}

mod refusals {
    /// flask-jwt-extended's answer to a token it cannot verify.
    pub fn bad_signature(error: &freshtoken::client::Error) -> bool {
        error.status().is_some_and(|status| status == 422)
            && error.body().is_some_and(|body| body.contains("Signature verification failed"))
    }
}

#[freshtoken::client(error = SdkError, name = TasksSdk, unauthorized = [401, 422])]
pub trait Tasks {
    #[get("/health", auth = none, timeout = "500ms")]
    async fn health(&self) -> Result<String>;

    #[get("/tasks", auth = bearer, timeout = "2s")]
    #[header("accept", "application/json")]
    #[header("X-Api-Version", "2")]
    async fn tasks(&self) -> Result<serde_json::Value>;

    #[post("/reports", timeout = "1m")]
    async fn report(&self) -> std::result::Result<String, OtherError>;

    #[get("/signed", unauthorized = refusals::bad_signature)]
    async fn signed(&self) -> Result<()>;

    #[get("/legacy", timeout = "2s", unauthorized = [403])]
    async fn legacy(&self) -> Result<()>;

    #[get("/plain")]
    async fn plain(&self) -> core::result::Result<(), freshtoken::client::Error>;
}

#[tokio::main]
async fn main() {
    let client = TasksSdk::builder(refused_url(), cache())
        .http_client(reqwest::Client::new())
        .timeout(std::time::Duration::from_secs(5))
        .default_header("user-agent", "tasks-sdk/1.0")
        .build()
        .unwrap();
    let SdkError::Client(error) = client.tasks().await.unwrap_err();
    assert!(is_refused(&error), "{error:?}");
    let OtherError(error) = client.report().await.unwrap_err();
    assert!(is_refused(&error), "{error:?}");
}
