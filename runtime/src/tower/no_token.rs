// Input: the `AuthError` of a request that got no token, and whether that request is gRPC.
// Output: the service's error for it: the `AuthError` itself, or for a gRPC call (with the
// `tonic` feature) a `tonic::Status` whose code a caller's retry policy can act on.

use super::BoxError;
use crate::AuthError;

/// The error of a request sent without a token. tonic turns an error it does not know into
/// `UNKNOWN`; a `Status` it passes on as it is, so a gRPC call gets `UNAVAILABLE` for a
/// failure that may pass (retry with a backoff) and `UNAUTHENTICATED` for one that will not
/// (dead credentials, a refused client, a closed cache), its message the `AuthError`'s and its
/// `source()` the `AuthError`.
pub(super) fn no_token_error(error: AuthError, grpc: bool) -> BoxError {
    #[cfg(feature = "tonic")]
    if grpc {
        let code = if error.is_retryable() {
            tonic::Code::Unavailable
        } else {
            tonic::Code::Unauthenticated
        };
        let mut status = tonic::Status::new(code, error.to_string());
        status.set_source(std::sync::Arc::new(error));
        return Box::new(status);
    }
    #[cfg(not(feature = "tonic"))]
    let _ = grpc;
    Box::new(error)
}

#[cfg(all(test, feature = "tonic"))]
mod tests {
    use std::error::Error as _;

    use super::*;

    fn status(error: AuthError) -> tonic::Status {
        *no_token_error(error, true)
            .downcast::<tonic::Status>()
            .expect("a gRPC call gets a Status")
    }

    #[test]
    fn a_grpc_call_gets_a_status_coded_by_whether_the_failure_may_pass() {
        let busy = status(AuthError::refresh_failed("endpoint answered 503"));
        assert_eq!(busy.code(), tonic::Code::Unavailable);
        assert!(busy.message().contains("endpoint answered 503"));
        assert!(
            busy.source()
                .and_then(|source| source.downcast_ref::<AuthError>())
                .is_some()
        );
        let dead = status(AuthError::invalid_client("invalid_client"));
        assert_eq!(dead.code(), tonic::Code::Unauthenticated);
    }

    #[test]
    fn another_request_gets_the_auth_error_itself() {
        let error = no_token_error(AuthError::refresh_failed("down"), false);
        assert!(error.downcast_ref::<AuthError>().is_some(), "{error:?}");
    }
}
