// Input: how one attempt of a request through a wrapping layer went wrong.
// Output: the error type `__private::Call::finish` decides on, shared by the layers that
// send a request themselves (reqwest-middleware, tower), so they all name a rejection alike.

use crate::{AuthError, NonceDemand, Unauthorized};

/// Why an attempt did not give the response to return, as the shared retry policy sees it.
/// A rejected response itself is kept aside by the layer: the policy drops what it decides
/// to retry.
pub(crate) enum AttemptFailure<E> {
    /// The server rejected the token (HTTP 401, gRPC `UNAUTHENTICATED`); for a bound token,
    /// maybe for want of its DPoP nonce.
    Rejected(NonceDemand),
    /// The server refused the token for lack of these scopes (HTTP 403 with
    /// `insufficient_scope`).
    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))] // the challenge parser needs it
    InsufficientScope(Vec<String>),
    /// The layer below failed; returned as it is.
    Below(E),
    /// No token could be had; nothing was sent.
    NoToken(AuthError),
}

impl<E> From<AuthError> for AttemptFailure<E> {
    fn from(error: AuthError) -> Self {
        Self::NoToken(error)
    }
}

impl<E> Unauthorized for AttemptFailure<E> {
    fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Rejected(_))
    }

    fn dpop_nonce(&self) -> NonceDemand {
        match self {
            Self::Rejected(demand) => *demand,
            _ => NonceDemand::None,
        }
    }

    fn insufficient_scope(&self) -> Option<Vec<String>> {
        match self {
            Self::InsufficientScope(scopes) => Some(scopes.clone()),
            _ => None,
        }
    }
}

/// The scopes a 403 answer asks for with a `Bearer` or `DPoP` challenge of `insufficient_scope`.
#[cfg(feature = "reqwest")]
pub(crate) fn insufficient_scope(
    status: http::StatusCode,
    headers: &http::HeaderMap,
) -> Option<Vec<String>> {
    if status != http::StatusCode::FORBIDDEN {
        return None;
    }
    crate::oauth::resource::Challenge::scope_refusal(headers)
}
