// Input: the head of a response, or the trailers of a gRPC response.
// Output: whether the server rejected the token: HTTP 401, or gRPC status 16
// (`UNAUTHENTICATED`).

use http::{HeaderMap, StatusCode};

/// The header (or trailer) that carries a gRPC call's status code.
const GRPC_STATUS: &str = "grpc-status";

/// gRPC's `UNAUTHENTICATED`, as it is written on the wire.
const UNAUTHENTICATED: &[u8] = b"16";

/// Whether a response with this status and these headers rejects the token it was sent
/// with: an HTTP 401, or a gRPC "trailers-only" answer (the status in the headers, no body)
/// with `grpc-status: 16`, which is what a tonic server interceptor returning
/// `Status::unauthenticated` sends.
pub(super) fn rejects_token(status: StatusCode, headers: &HeaderMap) -> bool {
    status == StatusCode::UNAUTHORIZED || grpc_unauthenticated(headers)
}

/// Whether these headers or trailers carry `grpc-status: 16`.
pub(super) fn grpc_unauthenticated(headers: &HeaderMap) -> bool {
    headers
        .get(GRPC_STATUS)
        .is_some_and(|status| status.as_bytes().trim_ascii() == UNAUTHENTICATED)
}

/// Whether the response is a gRPC one, whose status may still come in its trailers.
pub(super) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|content_type| content_type.as_bytes().starts_with(b"application/grpc"))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|&(name, value)| {
                (
                    http::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn http_401_rejects_the_token_and_other_statuses_do_not() {
        assert!(rejects_token(StatusCode::UNAUTHORIZED, &HeaderMap::new()));
        for status in [
            StatusCode::OK,
            StatusCode::FORBIDDEN,
            StatusCode::BAD_GATEWAY,
        ] {
            assert!(!rejects_token(status, &HeaderMap::new()), "{status}");
        }
    }

    #[test]
    fn grpc_status_16_in_the_headers_rejects_the_token() {
        let trailers_only = headers(&[
            ("content-type", "application/grpc"),
            ("grpc-status", "16"),
            ("grpc-message", "token revoked"),
        ]);
        assert!(rejects_token(StatusCode::OK, &trailers_only));
        assert!(grpc_unauthenticated(&headers(&[("grpc-status", " 16 ")])));
    }

    #[test]
    fn other_grpc_statuses_do_not_reject_the_token() {
        // 7 is PERMISSION_DENIED: the token is fine, the caller may not do this.
        for status in ["0", "7", "1", "160", "", "sixteen"] {
            let map = headers(&[("grpc-status", status)]);
            assert!(
                !rejects_token(StatusCode::OK, &map),
                "grpc-status {status:?}"
            );
        }
        assert!(!grpc_unauthenticated(&headers(&[("grpc-message", "16")])));
    }

    #[test]
    fn grpc_responses_are_told_by_their_content_type() {
        assert!(is_grpc(&headers(&[("content-type", "application/grpc")])));
        assert!(is_grpc(&headers(&[(
            "content-type",
            "application/grpc+proto"
        )])));
        assert!(!is_grpc(&headers(&[("content-type", "application/json")])));
        assert!(!is_grpc(&HeaderMap::new()));
    }
}
