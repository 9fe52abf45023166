// Input: what went wrong at one endpoint: its answer (status, RFC 6749 error code, what it
// said) or the reason no answer came.
// Output: an error that prints without secrets and that SDK code can inspect.

use std::fmt;

use http::StatusCode;

use super::url::Endpoint;

/// What a token or login endpoint answered, or why it did not answer: the `source` of the
/// [`AuthError`](crate::AuthError) that the sources of this module return.
///
/// The message names the endpoint (scheme, host, port and path, never the query string) and
/// the status, and never contains a token, a client secret or a password: an
/// `error_description` from the server is kept only after every secret the request carried
/// has been cut out of it, in any spelling the request sent it in (form-urlencoded,
/// JSON-escaped, base64 Basic credentials) or the server re-spelled it in.
///
/// SDK code can look inside, for example to tell a locked account from a wrong password:
///
/// ```
/// use freshtoken::{AuthError, AuthErrorKind};
/// use freshtoken::oauth::EndpointError;
///
/// /// The RFC 6749 error code the endpoint answered, if that is why the refresh failed.
/// fn error_code(error: &AuthError) -> Option<&str> {
///     let source = match error.kind() {
///         AuthErrorKind::RefreshFailed { source, .. }
///         | AuthErrorKind::ReauthenticationRequired { source }
///         | AuthErrorKind::InvalidClient { source }
///         | AuthErrorKind::Rejected { source } => source,
///         _ => return None,
///     };
///     source.downcast_ref::<EndpointError>()?.error_code()
/// }
///
/// let unrelated = AuthError::reauthenticate("not from an endpoint");
/// assert_eq!(error_code(&unrelated), None);
/// ```
#[derive(Debug, Clone)]
pub struct EndpointError {
    endpoint: String,
    status: Option<StatusCode>,
    error_code: Option<String>,
    detail: String,
}

impl EndpointError {
    /// The endpoint answered `status`; `detail` says what that means (and holds no secret).
    pub(crate) fn answered(
        endpoint: &Endpoint,
        status: StatusCode,
        error_code: Option<String>,
        detail: String,
    ) -> Self {
        Self {
            endpoint: endpoint.name().to_owned(),
            status: Some(status),
            error_code,
            detail,
        }
    }

    /// No answer came, or no request could be sent; `detail` says why.
    pub(crate) fn unanswered(endpoint: &Endpoint, detail: String) -> Self {
        Self {
            endpoint: endpoint.name().to_owned(),
            status: None,
            error_code: None,
            detail,
        }
    }

    /// The endpoint: `scheme://host:port/path`, without the query string.
    #[must_use]
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The HTTP status the endpoint answered, or `None` if no answer came.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The `error` field of an RFC 6749 error response (`invalid_grant`, `invalid_client`,
    /// `invalid_scope`...), if the endpoint sent one.
    #[must_use]
    pub fn error_code(&self) -> Option<&str> {
        self.error_code.as_deref()
    }
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "POST {}", self.endpoint)?;
        if let Some(status) = self.status {
            write!(f, " answered {status}")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for EndpointError {}

#[cfg(test)]
mod tests {
    use reqwest::Url;

    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint::new(Url::parse("http://127.0.0.1:4000/token?key=k").unwrap())
    }

    #[test]
    fn an_answer_names_endpoint_and_status() {
        let error = EndpointError::answered(
            &endpoint(),
            StatusCode::BAD_REQUEST,
            Some("invalid_grant".into()),
            "invalid_grant (expired)".into(),
        );
        assert_eq!(
            error.to_string(),
            "POST http://127.0.0.1:4000/token answered 400 Bad Request: invalid_grant (expired)"
        );
        assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST));
        assert_eq!(error.error_code(), Some("invalid_grant"));
        assert_eq!(error.endpoint(), "http://127.0.0.1:4000/token");
    }

    #[test]
    fn no_answer_names_the_endpoint_and_the_reason() {
        let error = EndpointError::unanswered(&endpoint(), "connection refused".into());
        assert_eq!(
            error.to_string(),
            "POST http://127.0.0.1:4000/token: connection refused"
        );
        assert_eq!(error.status(), None);
    }
}
