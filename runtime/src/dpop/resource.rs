// Input: a request about to go to a resource server with a token, then the answer.
// Output: the request's `Authorization` and (for a bound token) `DPoP` headers; from the
// answer, the resource server's nonce kept and what a 401 said about it.

use std::sync::Arc;

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, Method, StatusCode};
use url::Url;

use super::proof::DPOP;
use crate::{AuthError, NonceDemand, Token};

/// What one attempt with a bound token sent: where (the answer's nonce is kept for that
/// origin), and the nonce its proof carried, if any.
#[derive(Debug, Default, Clone)]
pub(crate) struct Sent {
    pub(crate) url: Option<Url>,
    pub(crate) nonce: Option<Arc<str>>,
}

/// Sets `Authorization` on a request, and for a bound token a new `DPoP` proof for
/// `target`, the request's method and URL (`None` for a bearer token, which needs neither).
pub(crate) fn authorize(
    token: &Token,
    target: Option<(Method, Url)>,
    headers: &mut HeaderMap,
) -> Result<Sent, AuthError> {
    headers.insert(AUTHORIZATION, token.authorization().clone());
    let (Some(binding), Some((method, url))) = (token.dpop_binding(), target) else {
        return Ok(Sent::default());
    };
    let proof = binding.proof(&method, &url)?;
    headers.insert(DPOP, proof.header);
    Ok(Sent {
        url: Some(url),
        nonce: proof.nonce,
    })
}

/// Keeps the nonce of the answer to a request [`authorize`]d with `token`, and says whether
/// a 401 asks for the request again with it.
pub(crate) fn answered(
    token: &Token,
    sent: &Sent,
    status: StatusCode,
    headers: &HeaderMap,
) -> NonceDemand {
    let (Some(binding), Some(url)) = (token.dpop_binding(), &sent.url) else {
        return NonceDemand::None;
    };
    let nonce = binding.remember_nonce(url, headers);
    if status == StatusCode::UNAUTHORIZED && asks_for_nonce(headers) {
        return demand(nonce.as_deref(), sent.nonce.as_deref());
    }
    NonceDemand::None
}

/// A `use_dpop_nonce` answer with `new`, to a request that carried `sent`.
pub(crate) fn demand(new: Option<&str>, sent: Option<&str>) -> NonceDemand {
    match new {
        Some(new) if Some(new) != sent => NonceDemand::New,
        _ => NonceDemand::Repeated,
    }
}

/// Whether a `WWW-Authenticate: DPoP error="use_dpop_nonce"` challenge is among `headers`.
pub(crate) fn asks_for_nonce(headers: &HeaderMap) -> bool {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(crate::oauth::resource::Challenge::parse)
        .any(|challenge| {
            challenge.is_scheme("DPoP") && challenge.param("error") == Some("use_dpop_nonce")
        })
}
