// Input: a token request of any grant, and the key the source proves possession of.
// Output: the answer to the request sent with a proof, resent once with the authorization
// server's nonce when it asks for one (400 `use_dpop_nonce`); the nonce of every answer kept
// for the next request, and the key kept on the answer so a `DPoP` token gets bound to it.
// The resend's body is made anew when the caller can (a new client assertion).

use http::{Method, StatusCode};

use super::key::DpopKey;
use super::nonces::Server;
use super::proof::{self, origin};
use super::resource::demand;
use crate::oauth::endpoint::error_response::ErrorBody;
use crate::oauth::endpoint::exchange::{Answer, CredentialHeader, Http, post as post_form};
use crate::oauth::endpoint::redaction::Redactions;
use crate::oauth::endpoint::request_body::RequestBody;
use crate::oauth::endpoint::token_request::Rebuild;
use crate::oauth::endpoint::url::Endpoint;
use crate::{AuthError, NonceDemand};

pub(crate) async fn post(
    http: &Http,
    key: &DpopKey,
    endpoint: &Endpoint,
    mut body: RequestBody,
    credential: Option<CredentialHeader>,
    secrets: &mut Redactions<'_>,
    rebuild: Option<&Rebuild<'_>>,
) -> Result<Answer, AuthError> {
    let url = endpoint.url();
    let origin = origin(url);
    let mut resent = false;
    loop {
        let proof = proof::make(key, Server::Authorization, &Method::POST, url, None)?;
        let mut answer = post_form(
            http,
            endpoint,
            body.clone(),
            credential.clone(),
            Some(proof.header),
        )
        .await?;
        let nonce =
            key.nonces()
                .remember(Server::Authorization, &origin, answer.dpop_nonce.as_ref());
        if !resent
            && answer.status == StatusCode::BAD_REQUEST
            && ErrorBody::read(&answer.body, secrets).code.as_deref() == Some("use_dpop_nonce")
            && demand(nonce.as_deref(), proof.nonce.as_deref()) == NonceDemand::New
        {
            tracing::debug!(target: "freshtoken", endpoint = %endpoint.name(), "the token endpoint asked for a DPoP nonce; sending the request once more with it");
            if let Some(rebuild) = rebuild {
                let (fresh, assertion) = rebuild()?;
                body = fresh;
                if let Some(assertion) = assertion {
                    secrets.add_owned(assertion);
                }
            }
            resent = true;
            continue;
        }
        answer.dpop_key = Some(key.clone());
        return Ok(answer);
    }
}
