// Input: the issuer a login expects (and whether the server announced `iss`), and the `iss`
// the authorization response carried.
// Output: whether the response may be used (RFC 9207 section 2.4): the code of a response
// from another authorization server is never exchanged.

use crate::AuthError;

/// The issuer a PKCE login's redirect must name in `iss`.
#[derive(Debug, Clone)]
pub(super) struct ExpectedIssuer {
    /// The issuer identifier, compared character for character (RFC 9207 section 2.4).
    pub(super) issuer: String,
    /// Whether a redirect without `iss` is refused: the server announced it
    /// (`authorization_response_iss_parameter_supported`), or the user asked for it.
    pub(super) required: bool,
}

/// Checks the `iss` of an authorization response against `expected`. Without an expected
/// issuer there is nothing to compare with, and every response passes.
pub(super) fn check(expected: Option<&ExpectedIssuer>, iss: Option<&str>) -> Result<(), AuthError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    match iss {
        Some(iss) if iss == expected.issuer => Ok(()),
        Some(iss) => Err(AuthError::rejected(format!(
            "the login's redirect names the issuer {:?} in `iss`, not {:?}: the answer comes \
             from another authorization server than the one the login started at (a mix-up \
             attack, RFC 9207), so its code was not used; log in again, and check the \
             authorization server's configuration if it happens again",
            shown(iss),
            expected.issuer
        ))),
        None if expected.required => Err(AuthError::rejected(format!(
            "the login's redirect has no `iss`, although the issuer {:?} announced it \
             (`authorization_response_iss_parameter_supported`, or \
             `AuthorizationCodePkce::expect_issuer`): the answer may come from another \
             authorization server (RFC 9207), so its code was not used; log in again",
            expected.issuer
        ))),
        None => Ok(()),
    }
}

/// `iss` as it may be shown: a URL is printable ASCII; anything else is not repeated.
fn shown(iss: &str) -> &str {
    if iss.len() <= 256 && iss.bytes().all(|b| b.is_ascii_graphic()) {
        iss
    } else {
        "(unprintable)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(required: bool) -> ExpectedIssuer {
        ExpectedIssuer {
            issuer: "https://auth.example".to_owned(),
            required,
        }
    }

    #[test]
    fn the_same_issuer_passes_and_another_is_refused_by_exact_comparison() {
        assert!(check(Some(&expected(true)), Some("https://auth.example")).is_ok());
        for other in [
            "https://auth.example/",
            "https://AUTH.example",
            "https://evil.example",
        ] {
            let error = check(Some(&expected(false)), Some(other)).unwrap_err();
            assert!(error.to_string().contains("mix-up"), "{error}");
        }
    }

    #[test]
    fn a_missing_iss_is_refused_only_when_announced_and_nothing_is_checked_unknown() {
        let error = check(Some(&expected(true)), None).unwrap_err();
        assert!(error.to_string().contains("has no `iss`"), "{error}");
        assert!(check(Some(&expected(false)), None).is_ok());
        assert!(check(None, Some("https://evil.example")).is_ok());
    }

    #[test]
    fn an_unprintable_iss_is_not_repeated() {
        let error = check(Some(&expected(true)), Some("\u{1b}[2Jx")).unwrap_err();
        assert!(error.to_string().contains("(unprintable)"), "{error}");
    }
}
