// Input: the error a wrapped method returned.
// Output: whether the server rejected the token (401), which is worth one retry.

/// Says whether an error means the server rejected the access token (HTTP 401).
///
/// A method wrapped by [`refresh_token`](crate::refresh_token) needs its error type to
/// implement this (unless it says `retry = false`): on an unauthorized error the used token is
/// invalidated and the method body runs once more with a new one.
///
/// Implemented for `reqwest::Error` (from `error_for_status`), `http::StatusCode`,
/// `http::Response`, [`AuthError`](crate::AuthError) (never unauthorized: the token
/// endpoint's own failures are not the API's 401) and, with the `anyhow` feature,
/// `anyhow::Error` (a 401 from reqwest or a generated client anywhere in its chain). For your
/// error type, delegate (example below).
///
/// # reqwest versions
///
/// The impl for `reqwest::Error` is for reqwest **0.13**, the version freshtoken is built on.
/// A client on reqwest 0.12 has two reqwests in its build, and `error.is_unauthorized()` on a
/// 0.12 error fails to compile with "no method named `is_unauthorized` found". Move the client
/// to reqwest 0.13, or answer from the status yourself:
/// `error.status() == Some(reqwest::StatusCode::UNAUTHORIZED)` (with 0.12's `StatusCode`).
///
/// ```
/// use freshtoken::{AuthError, Unauthorized};
///
/// #[derive(Debug)]
/// enum ApiError {
///     Auth(AuthError),
///     Status(http::StatusCode),
///     Decode(String),
/// }
///
/// impl Unauthorized for ApiError {
///     fn is_unauthorized(&self) -> bool {
///         match self {
///             ApiError::Status(status) => status.is_unauthorized(),
///             ApiError::Auth(_) | ApiError::Decode(_) => false,
///         }
///     }
/// }
///
/// assert!(ApiError::Status(http::StatusCode::UNAUTHORIZED).is_unauthorized());
/// assert!(!ApiError::Decode("bad json".into()).is_unauthorized());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot tell whether a request was unauthorized (HTTP 401)",
    label = "the error type of a method wrapped by `#[refresh_token]`",
    note = "a 401 is retried once with a new token, so return an error enum defined in your crate (a type from another crate, such as `String`, cannot get this impl): a variant for `freshtoken::AuthError` and one for the HTTP error, with `impl From<freshtoken::AuthError>` and `impl freshtoken::Unauthorized` for the enum (`is_unauthorized` asks the HTTP error)",
    note = "or turn the retry off: `#[refresh_token(cache = ..., retry = false)]`"
)]
pub trait Unauthorized {
    /// Whether the server answered 401 Unauthorized.
    fn is_unauthorized(&self) -> bool;

    /// The scopes the server asked for when it refused the token for lack of scope (HTTP 403
    /// with `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."`), if this error
    /// is such a refusal. The call then steps up once
    /// ([`TokenCache::step_up_for`](crate::TokenCache::step_up_for): one new authorization
    /// with wider scopes, shared by every caller) and runs again with the new token.
    ///
    /// The default is `None` (no step-up). Implemented for `http::Response` and for
    /// [`client::Error`](crate::client::Error), which keep the answer's headers; a
    /// `reqwest::Error` from `error_for_status` has lost them. For your error type, keep the
    /// 403's challenge and answer from it (with the `reqwest` feature,
    /// `freshtoken::oauth::resource::Challenge::bearer(response.headers())`).
    fn insufficient_scope(&self) -> Option<Vec<String>> {
        None
    }

    /// What a 401 said about the DPoP nonce (RFC 9449 section 9): whether the resource
    /// server refused a bound token's proof for want of its nonce (`WWW-Authenticate: DPoP
    /// error="use_dpop_nonce"`). A [`NonceDemand::New`] nonce costs one resend with the same
    /// token, which then carries the new nonce; a [`NonceDemand::Repeated`] one ends the call
    /// with this error (a server that repeats the nonce it was sent would loop).
    ///
    /// The default is [`NonceDemand::None`]: a 401 is then the token's fault, and the call
    /// retries once with a new token. Implemented for
    /// [`client::Error`](crate::client::Error) and `http::Response`.
    fn dpop_nonce(&self) -> NonceDemand {
        NonceDemand::None
    }
}

/// What a 401 said about the DPoP nonce; see [`Unauthorized::dpop_nonce`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonceDemand {
    /// Not a `use_dpop_nonce` refusal.
    #[default]
    None,
    /// The server asked for a nonce it sent with the refusal, not the one the request
    /// carried: one resend with it may succeed.
    New,
    /// The server asked for a nonce but sent none, or the one the request already carried:
    /// a resend would be refused again.
    Repeated,
}

impl Unauthorized for http::StatusCode {
    fn is_unauthorized(&self) -> bool {
        *self == http::StatusCode::UNAUTHORIZED
    }
}

impl<B> Unauthorized for http::Response<B> {
    fn is_unauthorized(&self) -> bool {
        self.status().is_unauthorized()
    }

    #[cfg(feature = "reqwest")]
    fn insufficient_scope(&self) -> Option<Vec<String>> {
        if self.status() != http::StatusCode::FORBIDDEN {
            return None;
        }
        crate::oauth::resource::Challenge::scope_refusal(self.headers())
    }

    /// [`NonceDemand::New`] for a 401 `use_dpop_nonce` with a `DPoP-Nonce` header; which nonce
    /// the request carried is not known here, so a repeated one is resent once.
    #[cfg(feature = "dpop")]
    fn dpop_nonce(&self) -> NonceDemand {
        if self.status() != http::StatusCode::UNAUTHORIZED
            || !crate::dpop::resource::asks_for_nonce(self.headers())
        {
            return NonceDemand::None;
        }
        let nonce = self.headers().get(crate::dpop::nonces::DPOP_NONCE);
        crate::dpop::resource::demand(nonce.and_then(|value| value.to_str().ok()), None)
    }
}

impl Unauthorized for crate::AuthError {
    fn is_unauthorized(&self) -> bool {
        false
    }
}

#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
/// For reqwest 0.13's error: a 401 turned into an error by `error_for_status`.
impl Unauthorized for reqwest::Error {
    fn is_unauthorized(&self) -> bool {
        self.status() == Some(reqwest::StatusCode::UNAUTHORIZED)
    }
}

impl<T: Unauthorized + ?Sized> Unauthorized for Box<T> {
    fn is_unauthorized(&self) -> bool {
        (**self).is_unauthorized()
    }

    fn insufficient_scope(&self) -> Option<Vec<String>> {
        (**self).insufficient_scope()
    }

    fn dpop_nonce(&self) -> NonceDemand {
        (**self).dpop_nonce()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_401_is_unauthorized() {
        assert!(http::StatusCode::UNAUTHORIZED.is_unauthorized());
        assert!(!http::StatusCode::FORBIDDEN.is_unauthorized());
        let response = http::Response::builder().status(401).body(()).unwrap();
        assert!(response.is_unauthorized());
        assert!(!crate::AuthError::refresh_failed("401 from the token endpoint").is_unauthorized());
        let boxed: Box<http::StatusCode> = Box::new(http::StatusCode::UNAUTHORIZED);
        assert!(boxed.is_unauthorized());
    }
}
