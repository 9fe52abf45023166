// Input: one token request of a source: where it goes, its body, how to read the answer.
// Output: the new `Token`, or the `AuthError` that the answer (or its absence) means.

use http::{HeaderValue, StatusCode};

use super::error_response::{ErrorBody, Remedy, error_from_answer};
use super::exchange::{Http, post};
use super::redaction::Redactions;
use super::request_body::RequestBody;
use super::response_fields::TokenResponseFields;
use super::token_response::token_from_answer;
use super::url::Endpoint;
use crate::{AuthError, Token};

/// How a source reads a failed answer: what the cache should do, and a hint for the user to
/// add to the server's words.
pub(crate) type Judge = fn(StatusCode, Option<&str>) -> (Remedy, Option<&'static str>);

pub(crate) struct TokenRequest<'a> {
    pub(crate) endpoint: &'a Endpoint,
    pub(crate) body: RequestBody,
    pub(crate) authorization: Option<HeaderValue>,
    pub(crate) fields: &'a TokenResponseFields,
    /// The secrets the request carries, cut out of any text the endpoint sends back, in
    /// case it echoes them.
    pub(crate) secrets: Redactions<'a>,
    pub(crate) judge: Judge,
}

impl TokenRequest<'_> {
    pub(crate) async fn send(self, http: &Http) -> Result<Token, AuthError> {
        let answer = post(http, self.endpoint, self.body, self.authorization).await?;
        if answer.status.is_success() {
            return token_from_answer(self.endpoint.name(), &answer, self.fields);
        }
        let error_body = ErrorBody::read(&answer.body, &self.secrets);
        let (remedy, hint) = (self.judge)(answer.status, error_body.code.as_deref());
        Err(error_from_answer(
            self.endpoint,
            &answer,
            error_body,
            remedy,
            hint,
        ))
    }
}
