// Input: an error of rmcp's reqwest client, or a token the cache could not give.
// Output: the same error as rmcp's `StreamableHttpError` over `AuthorizedHttpError`, the
// error type of `AuthorizedHttpClient`.

use std::fmt;

use ::rmcp::transport::streamable_http_client::StreamableHttpError;

use crate::AuthError;

/// The client error of an [`AuthorizedHttpClient`](super::AuthorizedHttpClient), found in
/// rmcp's `StreamableHttpError::Client`.
///
/// Its text never holds a secret: the token and the credentials behind it stay out of it,
/// and an [`AuthError`] says what went wrong with the login or the refresh, not with what.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizedHttpError {
    /// Sending the request or reading the answer failed (connection, TLS, body, an error
    /// status), as reqwest reported it, the URL cut out (a query may hold a key).
    #[error("MCP HTTP request failed: {0}")]
    Http(#[source] reqwest::Error),
    /// No token could be had, so the request was not sent.
    #[error("no bearer token for the MCP request: {0}")]
    NoToken(#[source] AuthError),
    /// The server refused the token for lack of scope (HTTP 403 `insufficient_scope`), and
    /// no token with the scopes it asked for could be had.
    #[error("the MCP server asked for more scope ({scopes}) and the step-up failed: {source}")]
    StepUp {
        /// The scopes the server's challenge named, space-separated (`none named` when it
        /// named none).
        scopes: String,
        /// Why the step-up failed.
        #[source]
        source: AuthError,
    },
}

impl AuthorizedHttpError {
    /// The [`AuthError`] behind a failed token request or step-up, if that is what failed.
    #[must_use]
    pub fn auth_error(&self) -> Option<&AuthError> {
        match self {
            Self::Http(_) => None,
            Self::NoToken(error) | Self::StepUp { source: error, .. } => Some(error),
        }
    }
}

/// `StreamableHttpError` over this module's error type.
pub(crate) type TransportError = StreamableHttpError<AuthorizedHttpError>;

/// Carries an error of rmcp's own reqwest client over to `AuthorizedHttpError`, variant for
/// variant, so the transport sees the same error it would without freshtoken.
pub(crate) fn from_reqwest_client(error: StreamableHttpError<reqwest::Error>) -> TransportError {
    use StreamableHttpError as E;
    match error {
        E::Client(error) => E::Client(AuthorizedHttpError::Http(error.without_url())),
        E::Sse(error) => E::Sse(error),
        E::Io(error) => E::Io(error),
        E::HttpStatus(error) => E::HttpStatus(error),
        E::UnexpectedEndOfStream => E::UnexpectedEndOfStream,
        E::UnexpectedServerResponse(text) => E::UnexpectedServerResponse(text),
        E::ResponseBodyTooLarge { max_size } => E::ResponseBodyTooLarge { max_size },
        E::UnexpectedContentType(content_type) => E::UnexpectedContentType(content_type),
        E::ServerDoesNotSupportSse => E::ServerDoesNotSupportSse,
        E::ServerDoesNotSupportDeleteSession => E::ServerDoesNotSupportDeleteSession,
        E::TokioJoinError(error) => E::TokioJoinError(error),
        E::Deserialize(error) => E::Deserialize(error),
        E::TransportChannelClosed => E::TransportChannelClosed,
        E::MissingSessionIdInResponse => E::MissingSessionIdInResponse,
        E::AuthRequired(error) => E::AuthRequired(error),
        E::InsufficientScope(error) => E::InsufficientScope(error),
        E::ReservedHeaderConflict(name) => E::ReservedHeaderConflict(name),
        E::SessionExpired => E::SessionExpired,
        E::SessionRecoveryTimeout => E::SessionRecoveryTimeout,
        E::ReinitializationFailed(error) => E::ReinitializationFailed(error),
        E::ControlRequestTimeout => E::ControlRequestTimeout,
        // A variant of a later rmcp (or of a feature another crate turned on): its text.
        other => E::UnexpectedServerResponse(other.to_string().into()),
    }
}

/// Shows the scopes of a challenge for [`AuthorizedHttpError::StepUp`].
pub(crate) struct ScopeList<'a>(pub(crate) &'a [String]);

impl fmt::Display for ScopeList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none named");
        }
        f.write_str(&self.0.join(" "))
    }
}
