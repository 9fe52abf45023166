// A `Result<T>` alias named by its path (`api::Result<T>`) is the user's own: its error is
// used as written, not replaced with the client's.
use freshtoken_ui_tests::{cache, refused_url};

#[derive(Debug)]
pub enum ApiError {
    Client(freshtoken::client::Error),
}

impl From<freshtoken::client::Error> for ApiError {
    fn from(error: freshtoken::client::Error) -> Self {
        Self::Client(error)
    }
}

mod api {
    pub type Result<T> = std::result::Result<T, super::ApiError>;
}

#[freshtoken::client]
pub trait Tasks {
    #[get("/tasks")]
    async fn list(&self) -> api::Result<String>;
}

#[tokio::main]
async fn main() {
    let client = TasksClient::builder(refused_url(), cache()).build().unwrap();
    let error: ApiError = client.list().await.unwrap_err();
    assert!(matches!(error, ApiError::Client(_)), "{error:?}");
}
