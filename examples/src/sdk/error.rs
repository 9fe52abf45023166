// Input: what can go wrong in a call of the Tasks API.
// Output: the SDK's one error type, which tells freshtoken when the server said 401.

use freshtoken::{AuthError, Unauthorized};
use reqwest::StatusCode;

/// Why a Tasks API call failed.
#[derive(Debug, thiserror::Error)]
pub enum TasksError {
    /// No token could be had. When [`needs_login`](TasksError::needs_login) is true, call
    /// [`TasksClient::log_in_again`](crate::sdk::TasksClient::log_in_again).
    #[error(transparent)]
    Auth(#[from] AuthError),

    /// The request did not get an answer.
    #[error("the Tasks API could not be reached: {0}")]
    Http(#[from] reqwest::Error),

    /// The API answered with an error status.
    #[error("the Tasks API answered {status}: {message}")]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// The API's error message, or the status's reason.
        message: String,
    },

    /// The base URL given to [`TasksClient::new`](crate::sdk::TasksClient::new) is unusable.
    #[error("invalid base URL `{url}`: {reason} (expected something like `http://127.0.0.1:8080`)")]
    InvalidBaseUrl {
        /// What was given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The API answered, but not with the JSON this SDK expects.
    #[error("the Tasks API answered with unexpected JSON: {0}")]
    Decode(#[from] serde_json::Error),
}

impl TasksError {
    /// Whether the user must log in again (the refresh token was revoked or expired).
    #[must_use]
    pub fn needs_login(&self) -> bool {
        matches!(self, Self::Auth(error) if error.needs_reauthentication())
    }
}

// The one line that lets `#[refresh_token]` retry a revoked token: a 401 from the API.
impl Unauthorized for TasksError {
    fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Api { status, .. } if *status == StatusCode::UNAUTHORIZED)
    }
}
