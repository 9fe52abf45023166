// Input: one token request of a source: where it goes, its body, how to read the answer.
// Output: the new `Token`, or the `AuthError` that the answer (or its absence) means.

use http::StatusCode;
use zeroize::Zeroizing;

use super::error_response::{ErrorBody, Remedy, error_from_answer};
use super::exchange::{Answer, CredentialHeader, Http, post};
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
    /// The header with the request's credential, if it is not in the body.
    pub(crate) credential: Option<CredentialHeader>,
    pub(crate) fields: &'a TokenResponseFields,
    /// The secrets the request carries, cut out of any text the endpoint sends back, in
    /// case it echoes them.
    pub(crate) secrets: Redactions<'a>,
    pub(crate) judge: Judge,
}

/// A token request's body made anew, and the new client assertion in it, if any.
pub(crate) type Rebuilt = (RequestBody, Option<Zeroizing<String>>);

/// Makes a token request's body anew, with a new client assertion (`private_key_jwt`), for
/// the resend a DPoP nonce asks for: a server that authenticated the client before it asked
/// for the nonce has spent the first assertion (its `jti`), and would refuse it again.
pub(crate) type Rebuild<'a> = dyn Fn() -> Result<Rebuilt, AuthError> + Send + Sync + 'a;

impl TokenRequest<'_> {
    pub(crate) async fn send(self, http: &Http) -> Result<Token, AuthError> {
        self.send_rebuilding(http, None).await
    }

    /// [`send`](Self::send), a resend's body made by `rebuild` rather than copied, if given.
    pub(crate) async fn send_rebuilding(
        mut self,
        http: &Http,
        rebuild: Option<&Rebuild<'_>>,
    ) -> Result<Token, AuthError> {
        let answer = post_token_request(
            http,
            self.endpoint,
            self.body,
            self.credential,
            &mut self.secrets,
            rebuild,
        )
        .await?;
        read_answer(
            self.endpoint,
            &answer,
            self.fields,
            &self.secrets,
            self.judge,
        )
    }
}

/// POSTs a token request. With a DPoP key, the request carries a proof and the answer
/// remembers the key (a `DPoP` token in it is bound to it); after a 400 `use_dpop_nonce` with
/// a nonce other than the one sent, the request goes once more with it, its body made by
/// `rebuild` if given (a new client assertion, added to `secrets`).
#[cfg_attr(not(feature = "dpop"), allow(unused_variables))]
pub(crate) async fn post_token_request(
    http: &Http,
    endpoint: &Endpoint,
    body: RequestBody,
    credential: Option<CredentialHeader>,
    secrets: &mut Redactions<'_>,
    rebuild: Option<&Rebuild<'_>>,
) -> Result<Answer, AuthError> {
    #[cfg(feature = "dpop")]
    if let Some(key) = &http.dpop {
        return crate::dpop::token_endpoint::post(
            http, key, endpoint, body, credential, secrets, rebuild,
        )
        .await;
    }
    post(http, endpoint, body, credential, None).await
}

/// The token of a 2xx answer, or the error a failed one means as `judge` reads it: what every
/// source does with an answer, and what [`TokenAnswer::read`](super::answer::TokenAnswer::read)
/// does for users' own requests.
pub(crate) fn read_answer(
    endpoint: &Endpoint,
    answer: &Answer,
    fields: &TokenResponseFields,
    secrets: &Redactions,
    judge: Judge,
) -> Result<Token, AuthError> {
    if answer.status.is_success() {
        return token_from_answer(endpoint.name(), answer, fields);
    }
    Err(refusal(endpoint, answer, secrets, judge))
}

/// The error a non-2xx answer means, as `judge` reads it, with `secrets` cut out of the
/// server's words: for token requests and for the other requests of a flow (revocation, the
/// device authorization request).
pub(crate) fn refusal(
    endpoint: &Endpoint,
    answer: &Answer,
    secrets: &Redactions,
    judge: Judge,
) -> AuthError {
    let error_body = ErrorBody::read(&answer.body, secrets);
    let (remedy, hint) = judge(answer.status, error_body.code.as_deref());
    error_from_answer(endpoint, answer, error_body, remedy, hint)
}
