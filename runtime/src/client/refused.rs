// Input: a method's rule for "the token was refused" (its `unauthorized = ...` option) and an
// attempt's error.
// Output: whether the retry policy (`__private::Call`) should treat the error as a 401: drop
// the token and resend once with a new one. The policy stays generic over `Unauthorized`; the
// rule reaches it through `Refusal`, a wrapper that answers `is_unauthorized` by the rule.

use http::StatusCode;

use super::Error;
use crate::{AuthError, NonceDemand, Unauthorized};

/// Which answers of the API mean that it refused the token, from the method's
/// `unauthorized = ...` option (a 401 when none is given).
#[derive(Debug, Clone, Copy)]
pub enum TokenRefused {
    /// A 401, the default.
    Status401,
    /// Any of these statuses (`unauthorized = [401, 422]`).
    Statuses(&'static [u16]),
    /// What the user's function says (`unauthorized = path::to::function`).
    Decide(fn(&Error) -> bool),
}

impl TokenRefused {
    /// Whether `error` is the API refusing the token.
    ///
    /// Only an answer of the API's own server ([`Error::Status`]) can be; and a 403
    /// `insufficient_scope` is left to the step-up, which gets a token with wider scopes,
    /// where a new token of the same scopes would be refused again.
    #[must_use]
    pub fn refuses(&self, error: &Error) -> bool {
        let Error::Status { status, .. } = error else {
            return false;
        };
        if error.insufficient_scope().is_some() {
            return false;
        }
        match self {
            Self::Status401 => *status == StatusCode::UNAUTHORIZED,
            Self::Statuses(statuses) => statuses.contains(&status.as_u16()),
            Self::Decide(decide) => decide(error),
        }
    }
}

/// An attempt's error with the method's verdict on it, for the retry policy.
pub(super) struct Refusal {
    pub(super) error: Error,
    token_refused: bool,
}

impl Refusal {
    pub(super) fn new(rule: TokenRefused, error: Error) -> Self {
        // A DPoP nonce demand is a 401 whatever the rule says: the policy resends it with the
        // same token and the server's nonce, as before.
        let token_refused = rule.refuses(&error) || error.dpop_nonce() != NonceDemand::None;
        Self {
            error,
            token_refused,
        }
    }
}

impl From<AuthError> for Refusal {
    fn from(error: AuthError) -> Self {
        Self {
            error: Error::Auth(error),
            token_refused: false,
        }
    }
}

impl Unauthorized for Refusal {
    fn is_unauthorized(&self) -> bool {
        self.token_refused
    }

    fn insufficient_scope(&self) -> Option<Vec<String>> {
        self.error.insufficient_scope()
    }

    fn dpop_nonce(&self) -> NonceDemand {
        self.error.dpop_nonce()
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, Method, StatusCode};

    use super::*;
    use crate::client::Call;
    use crate::oauth::resource::Challenge;

    fn status(code: u16, body: &str) -> Error {
        status_with(code, body, None, NonceDemand::None)
    }

    fn status_with(
        code: u16,
        body: &str,
        challenge: Option<Challenge>,
        dpop_nonce: NonceDemand,
    ) -> Error {
        Error::Status {
            call: Call {
                name: "me",
                method: Method::GET,
                template: "/me",
            },
            status: StatusCode::from_u16(code).unwrap(),
            body: body.to_owned(),
            challenge: challenge.map(Box::new),
            dpop_nonce,
            error_body: None,
        }
    }

    fn bad_signature(error: &Error) -> bool {
        error.body().is_some_and(|body| body.contains("Signature"))
    }

    #[test]
    fn by_default_only_a_401_refuses_the_token() {
        assert!(TokenRefused::Status401.refuses(&status(401, "")));
        for code in [400, 403, 422, 500] {
            assert!(
                !TokenRefused::Status401.refuses(&status(code, "")),
                "{code}"
            );
        }
    }

    #[test]
    fn a_status_set_refuses_exactly_its_statuses() {
        let rule = TokenRefused::Statuses(&[422, 498]);
        assert!(rule.refuses(&status(422, "")));
        assert!(rule.refuses(&status(498, "")));
        assert!(!rule.refuses(&status(401, "")), "401 left out");
    }

    #[test]
    fn a_function_decides_from_the_error() {
        let rule = TokenRefused::Decide(bad_signature);
        assert!(rule.refuses(&status(422, "Signature verification failed")));
        assert!(!rule.refuses(&status(422, "title: field required")));
    }

    #[test]
    fn only_an_answer_of_the_api_can_refuse_the_token() {
        let always: fn(&Error) -> bool = |_| true;
        let error = Error::Auth(AuthError::refresh_failed("down"));
        assert!(!TokenRefused::Decide(always).refuses(&error));
        assert!(!Refusal::from(AuthError::refresh_failed("down")).is_unauthorized());
    }

    #[test]
    fn a_403_insufficient_scope_is_left_to_the_step_up() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "www-authenticate",
            r#"Bearer error="insufficient_scope", scope="write""#
                .parse()
                .unwrap(),
        );
        let challenge = Challenge::bearer(&headers).expect("a challenge");
        let error = status_with(403, "", Some(challenge), NonceDemand::None);
        let refusal = Refusal::new(TokenRefused::Statuses(&[401, 403]), error);
        assert!(!refusal.is_unauthorized());
        assert_eq!(refusal.insufficient_scope(), Some(vec!["write".to_owned()]));
    }

    #[test]
    fn a_dpop_nonce_demand_is_resent_whatever_the_rule() {
        let error = status_with(401, "", None, NonceDemand::New);
        let refusal = Refusal::new(TokenRefused::Statuses(&[422]), error);
        assert!(refusal.is_unauthorized());
        assert_eq!(refusal.dpop_nonce(), NonceDemand::New);
    }
}
