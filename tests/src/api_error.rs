//! The error type of the test clients: what an SDK's error looks like to `#[refresh_token]`.

use freshtoken::{AuthError, Unauthorized};
use http::StatusCode;

/// An SDK's error type: refresh failures, HTTP statuses and failed requests.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The token could not be had.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The API answered with this status.
    #[error("the API answered {0}")]
    Status(StatusCode),
    /// The request failed.
    #[error("the API request failed: {0}")]
    Http(#[source] reqwest::Error),
}

impl Unauthorized for ApiError {
    fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Status(status) if status.is_unauthorized())
    }
}
