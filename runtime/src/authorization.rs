// Input: an authentication scheme and its credentials (a token type and an access token, or
// `Basic` and encoded client credentials); a request about to be sent with a token, and
// later its answer.
// Output: the `Authorization` header value, built once per token, marked sensitive, and
// zeroed when the last clone of it is dropped; the headers a request with a token carries
// (for a DPoP-bound token, a new proof as well) and what its answer said about the nonce.
// The integrations call these two whether or not the `dpop` feature is on.

use bytes::Bytes;
use http::HeaderValue;
use zeroize::Zeroizing;

use crate::AuthError;

/// Builds `"{scheme} {credentials}"` without leaving an unzeroed copy behind.
pub(crate) fn header_value(scheme: &str, credentials: &str) -> Result<HeaderValue, AuthError> {
    let mut buf = Zeroizing::new(Vec::with_capacity(scheme.len() + 1 + credentials.len()));
    buf.extend_from_slice(scheme.as_bytes());
    buf.push(b' ');
    buf.extend_from_slice(credentials.as_bytes());
    // `Bytes::from_owner` keeps the zeroizing buffer as the header's storage: no copy is made,
    // and the buffer is wiped when the last `HeaderValue` clone goes away.
    let mut value = HeaderValue::from_maybe_shared(Bytes::from_owner(buf)).map_err(|_| {
        AuthError::invalid_token(
            "the access token contains characters that cannot be sent in an HTTP header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// What one attempt sent with its token (for a bound token, the nonce its proof carried).
#[cfg(any(feature = "reqwest", feature = "tower"))]
#[derive(Debug, Default, Clone)]
pub(crate) struct Sent {
    #[cfg(feature = "dpop")]
    dpop: crate::dpop::resource::Sent,
}

/// Sets `Authorization` on a request with `token`, and for a DPoP-bound token a new proof
/// for `target`, the request's method and URL: callers pass it only when
/// `token.is_dpop_bound()`, so a bearer token's request copies nothing.
#[cfg(any(feature = "reqwest", feature = "tower"))]
#[cfg_attr(
    not(feature = "dpop"),
    allow(
        unused_variables,
        clippy::unnecessary_wraps,
        clippy::needless_pass_by_value
    )
)]
pub(crate) fn authorize(
    token: &crate::Token,
    target: Option<(http::Method, url::Url)>,
    headers: &mut http::HeaderMap,
) -> Result<Sent, AuthError> {
    #[cfg(feature = "dpop")]
    return Ok(Sent {
        dpop: crate::dpop::resource::authorize(token, target, headers)?,
    });
    #[cfg(not(feature = "dpop"))]
    {
        headers.insert(http::header::AUTHORIZATION, token.authorization().clone());
        Ok(Sent {})
    }
}

/// After the answer to a request [`authorize`]d with `token`: keeps the server's nonce, and
/// says what a 401 asked of it.
#[cfg(any(feature = "reqwest", feature = "tower"))]
#[cfg_attr(not(feature = "dpop"), allow(unused_variables))]
pub(crate) fn answered(
    token: &crate::Token,
    sent: &Sent,
    status: http::StatusCode,
    headers: &http::HeaderMap,
) -> crate::NonceDemand {
    #[cfg(feature = "dpop")]
    return crate::dpop::resource::answered(token, &sent.dpop, status, headers);
    #[cfg(not(feature = "dpop"))]
    crate::NonceDemand::None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AuthErrorKind;

    #[test]
    fn builds_a_sensitive_header() {
        let value = header_value("Bearer", "abc.def").unwrap();
        assert_eq!(value.to_str().unwrap(), "Bearer abc.def");
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("abc.def"));
    }

    #[test]
    fn rejects_control_characters_without_echoing_the_token() {
        let err = header_value("Bearer", "abc\ndef").unwrap_err();
        assert!(matches!(err.kind(), AuthErrorKind::InvalidToken { .. }));
        assert!(!err.to_string().contains("abc"));
    }
}
