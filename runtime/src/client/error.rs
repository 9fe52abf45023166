// Input: whatever went wrong in one call of a generated client method.
// Output: one error type that says whether it was a 401, carries the status and a bounded,
// redacted body, and never holds a secret or a full URL (query strings carry API keys).

use std::fmt;
use std::time::Duration;

use http::{Method, StatusCode};

use super::error_body::ErrorBody;
use crate::oauth::resource::Challenge;
use crate::{AuthError, NonceDemand, Unauthorized};

/// Why a call of a generated client method failed.
///
/// The text names the method and its path template (`get_task (GET /tasks/{id})`), never the URL with
/// its values, and never the token: a body the server echoed the token into has it cut out.
///
/// ```
/// use freshtoken::client::Error;
/// use freshtoken::Unauthorized;
///
/// fn retry_later(error: &Error) -> bool {
///     error.is_timeout() || error.status().is_some_and(|status| status.is_server_error())
/// }
/// # let _ = retry_later;
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No token could be had for the request.
    Auth(AuthError),
    /// The request could not be sent, or the answer not received (connection, TLS,
    /// timeout).
    Transport {
        /// `get_task (GET /tasks/{id})`.
        call: Call,
        /// reqwest's error, without the URL.
        source: reqwest::Error,
    },
    /// The server answered with a status that is not 2xx.
    Status {
        /// `get_task (GET /tasks/{id})`.
        call: Call,
        /// The status.
        status: StatusCode,
        /// The start of the body (at most [`Error::MAX_BODY`] bytes, lossy UTF-8, the token
        /// cut out).
        body: String,
        /// The answer's `WWW-Authenticate` challenge for the token's scheme (`Bearer`, or
        /// `DPoP` for a bound token), if it sent one (a 401 or 403 says there why it refused
        /// the token, and which scope it wants).
        challenge: Option<Box<Challenge>>,
        /// For a DPoP-bound token, what a 401 said about the server's nonce: a new one costs
        /// one resend with it ([`Unauthorized::dpop_nonce`]).
        dpop_nonce: NonceDemand,
        /// The body decoded into the method's `error_body = T`, or into
        /// [`Problem`](super::Problem) for `application/problem+json`; `None` when it did not
        /// decode (then [`body`](Error::body) still has the text). Read it with
        /// [`Error::error_body`].
        error_body: Option<ErrorBody>,
        /// How long the answer's `Retry-After` (seconds or an HTTP date) asked to wait, at
        /// most an hour.
        retry_after: Option<Duration>,
    },
    /// The server answered with a redirect to another origin (scheme, host or port) than the
    /// base URL's. It is not followed: the token, the method's headers and its body are sent
    /// to the base URL's origin only (see [`redirect_policy`](super::redirect_policy)).
    Redirected {
        /// `get_task (GET /tasks/{id})`.
        call: Call,
        /// The redirect's status (`302 Found`, `307 Temporary Redirect`...).
        status: StatusCode,
        /// The target's origin, `https://host[:port]`: never its path or query, which may
        /// hold a signature.
        origin: String,
    },
    /// The answer came from another origin than the base URL's: the HTTP client given to the
    /// builder followed a redirect there, by its own redirect policy, which may have sent that
    /// server the method's headers and body. The answer is not taken as the API's: a 401 in it
    /// does not invalidate the token. Build that client with
    /// [`redirect_policy`](super::redirect_policy).
    OtherOrigin {
        /// `get_task (GET /tasks/{id})`.
        call: Call,
        /// The other server's status (not the API's: [`Error::status`] is `None`).
        status: StatusCode,
        /// That server's origin, `https://host[:port]`.
        origin: String,
    },
    /// The answer could not be decoded into the method's return type.
    Decode {
        /// `get_task (GET /tasks/{id})`.
        call: Call,
        /// What did not fit, from the decoder (no body text).
        reason: String,
    },
    /// A middleware of the stack given to
    /// [`Builder::middleware_client`](super::Builder::middleware_client) failed the request
    /// (for example a retry middleware that gave up after a connection error).
    #[cfg(feature = "reqwest-middleware")]
    #[cfg_attr(docsrs, doc(cfg(feature = "reqwest-middleware")))]
    Middleware {
        /// `get_task (GET /tasks/{id})`.
        call: Call,
        /// The middleware's error and its causes, with the request's URL replaced by the
        /// path template.
        reason: String,
    },
    /// An argument cannot go into the request (a header value with a newline, a path value
    /// of `..`, a query value that is not a scalar).
    InvalidArgument {
        /// `get_task (GET /tasks/{id})`.
        call: Call,
        /// The parameter's name.
        param: &'static str,
        /// What is wrong with it (never its value).
        reason: String,
    },
    /// An event stream ([`Events`](super::Events)) lost its connection, and that many
    /// reconnections in a row failed (each refused, or closed before it brought an event):
    /// the stream ends with this error.
    Disconnected {
        /// `watch (GET /jobs/{id}/events)`.
        call: Call,
        /// How many reconnections were tried.
        attempts: u32,
        /// Why the last one failed; `None` when it connected but closed before an event.
        last: Option<Box<Error>>,
    },
    /// A paginated method's listing stopped before its end: an answer named a next page on
    /// another origin (the token goes to the base URL's origin only) or the page it answered,
    /// its `Link` header could not be read, or the listing ran past the method's
    /// `max_pages`.
    Pagination {
        /// `list_tasks (GET /tasks)`.
        call: Call,
        /// Why, and what to do (never a URL's path or query, which may hold a signature).
        reason: String,
    },
}

/// The trait method, HTTP method and path template of a call, for messages:
/// `get_task (GET /tasks/{id})`.
#[derive(Debug, Clone)]
pub struct Call {
    /// The trait method's name.
    pub name: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template as written in the trait.
    pub template: &'static str,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} {})", self.name, self.method, self.template)
    }
}

impl Error {
    /// How much of an error body is kept.
    pub const MAX_BODY: usize = 4096;

    /// Whether the server answered 401 Unauthorized.
    #[must_use]
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
    }

    /// The status the API's server answered, when it answered with one that is not 2xx (a
    /// redirect to another origin included; not the status of another origin's answer).
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } | Self::Redirected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The `WWW-Authenticate: Bearer` challenge of a non-2xx answer, if the server sent one:
    /// why it refused the token (`invalid_token`, `insufficient_scope`), which scope it wants,
    /// where its metadata is.
    #[must_use]
    pub fn challenge(&self) -> Option<&Challenge> {
        match self {
            Self::Status { challenge, .. } => challenge.as_deref(),
            _ => None,
        }
    }

    /// The start of the body of a non-2xx answer.
    #[must_use]
    pub fn body(&self) -> Option<&str> {
        match self {
            Self::Status { body, .. } => Some(body),
            _ => None,
        }
    }

    /// The body of a non-2xx answer decoded into `T`: the type the method's (or the
    /// trait's) `error_body = T` names, or [`Problem`](super::Problem) for an
    /// `application/problem+json` answer. `None` for another type, for a body that did not
    /// decode (it was not JSON of that shape, or longer than [`Error::MAX_BODY`]), and for
    /// an error without an answer.
    ///
    /// It is decoded from [`body`](Error::body), the token already cut out. With
    /// `error = ApiError`, reach it through the `client::Error` your error wraps.
    ///
    /// ```
    /// use freshtoken::client::{Error, Problem};
    ///
    /// #[derive(Debug, serde::Deserialize)]
    /// pub struct ApiFault {
    ///     pub code: String,
    /// }
    ///
    /// #[freshtoken::client(error_body = ApiFault)]
    /// pub trait Tasks {
    ///     #[get("/tasks")]
    ///     async fn list(&self) -> Result<Vec<String>>;
    /// }
    ///
    /// fn is_rate_limited(error: &Error) -> bool {
    ///     error.error_body::<ApiFault>().is_some_and(|fault| fault.code == "rate_limited")
    ///         || error.error_body::<Problem>().is_some_and(|problem| problem.status == Some(429))
    /// }
    /// # let _ = is_rate_limited;
    /// ```
    #[must_use]
    pub fn error_body<T: std::any::Any>(&self) -> Option<&T> {
        match self {
            Self::Status {
                error_body: Some(body),
                ..
            } => body.downcast_ref(),
            _ => None,
        }
    }

    /// The token error, when no token could be had; `needs_reauthentication()` on it says
    /// whether the user must log in again.
    #[must_use]
    pub fn auth_error(&self) -> Option<&AuthError> {
        match self {
            Self::Auth(error) => Some(error),
            _ => None,
        }
    }

    /// How long the server asked to wait before the next request (`Retry-After`, in seconds
    /// or as an HTTP date), at most an hour; `None` without that header.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether sending the same request again later may succeed: a 429 Too Many Requests,
    /// 502 Bad Gateway, 503 Service Unavailable or 504 Gateway Timeout, or a request that
    /// could not be sent or got no answer (connection refused or reset, timeout).
    ///
    /// A 500 is not transient: it usually means the request hit a bug, which the same request
    /// hits again. A timeout or a reset connection may come after the server acted on the
    /// request, so only retry a method that is safe to repeat.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Status { status, .. } => matches!(status.as_u16(), 429 | 502 | 503 | 504),
            Self::Transport { source, .. } => {
                source.is_connect() || source.is_timeout() || source.is_request()
            }
            _ => false,
        }
    }

    /// Whether the call ran out of time (the method's or the client's timeout).
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Transport { source, .. } if source.is_timeout())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auth(error) => write!(f, "no token for the request: {error}"),
            Self::Transport { call, source } if source.is_timeout() => {
                write!(f, "{call}: timed out: {source}")
            }
            Self::Transport { call, source } => write!(f, "{call}: request failed: {source}"),
            Self::Status {
                call, status, body, ..
            } if body.is_empty() => {
                write!(f, "{call}: the server answered {status}")
            }
            Self::Status {
                call, status, body, ..
            } => {
                write!(f, "{call}: the server answered {status}: {body}")
            }
            Self::Redirected {
                call,
                status,
                origin,
            } => write!(
                f,
                "{call}: the server answered {status}, a redirect to another origin, {origin}, \
                 which is not followed: the token, headers and body go to the base URL's origin only"
            ),
            Self::OtherOrigin {
                call,
                status,
                origin,
            } => write!(
                f,
                "{call}: the answer ({status}) came from another origin, {origin}, through a \
                 redirect the HTTP client followed; that client may have sent it the call's \
                 headers and body: build it with `.redirect(freshtoken::client::redirect_policy())`"
            ),
            Self::Decode { call, reason } => {
                write!(
                    f,
                    "{call}: the answer does not fit the return type: {reason}"
                )
            }
            #[cfg(feature = "reqwest-middleware")]
            Self::Middleware { call, reason } => write!(f, "{call}: middleware failed: {reason}"),
            Self::InvalidArgument {
                call,
                param,
                reason,
            } => write!(f, "{call}: argument `{param}` cannot be sent: {reason}"),
            Self::Disconnected {
                call, attempts: 0, ..
            } => write!(
                f,
                "{call}: the event stream lost its connection, and does not reconnect (`max_reconnects(0)`)"
            ),
            Self::Disconnected {
                call,
                attempts,
                last: Some(last),
            } => write!(
                f,
                "{call}: the event stream lost its connection and {attempts} reconnects in a row failed; the last: {last}"
            ),
            Self::Disconnected {
                call,
                attempts,
                last: None,
            } => write!(
                f,
                "{call}: the event stream lost its connection and {attempts} reconnects in a row each closed before an event"
            ),
            Self::Pagination { call, reason } => {
                write!(f, "{call}: the listing stopped: {reason}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Auth(error) => Some(error),
            Self::Transport { source, .. } => Some(source),
            Self::Disconnected {
                last: Some(last), ..
            } => Some(&**last),
            _ => None,
        }
    }
}

impl From<AuthError> for Error {
    fn from(error: AuthError) -> Self {
        Self::Auth(error)
    }
}

impl Unauthorized for Error {
    fn is_unauthorized(&self) -> bool {
        Error::is_unauthorized(self)
    }

    fn insufficient_scope(&self) -> Option<Vec<String>> {
        match self {
            Self::Status {
                status: StatusCode::FORBIDDEN,
                challenge: Some(challenge),
                ..
            } => challenge.insufficient_scope(),
            _ => None,
        }
    }

    fn dpop_nonce(&self) -> NonceDemand {
        match self {
            Self::Status { dpop_nonce, .. } => *dpop_nonce,
            _ => NonceDemand::None,
        }
    }
}

/// Why a client could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The base URL is not an absolute `http(s)` URL without credentials, query or fragment.
    #[error("invalid base URL `{url}`: {reason}")]
    InvalidBaseUrl {
        /// The URL as given (without its credentials, when it had some).
        url: String,
        /// What is wrong with it and what to write instead.
        reason: String,
    },
    /// A default header has an invalid name or value.
    #[error("invalid default header `{name}`: {reason}")]
    InvalidHeader {
        /// The header's name as given.
        name: String,
        /// What is wrong with it (never the value).
        reason: String,
    },
    /// The HTTP client could not be built (for example no TLS backend for `https`).
    #[error("the HTTP client could not be built: {reason}")]
    HttpClient {
        /// reqwest's reason.
        reason: String,
    },
}
