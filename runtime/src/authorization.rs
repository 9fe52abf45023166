// Input: an authentication scheme and its credentials (a token type and an access token, or
// `Basic` and encoded client credentials).
// Output: the `Authorization` header value, built once per token, marked sensitive, and
// zeroed when the last clone of it is dropped.

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
