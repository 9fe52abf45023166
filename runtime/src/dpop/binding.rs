// Input: a token the server bound (`token_type: DPoP`) and the key it was requested with.
// Output: what every request with that token needs besides the token: the key and the
// token's `ath`, hashed once per token rather than once per request.

use std::sync::Arc;

use http::{HeaderMap, Method};
use url::Url;

use super::key::DpopKey;
use super::nonces::{DPOP_NONCE, Server};
use super::proof::{self, Proof, ath, origin};
use crate::AuthError;

/// The key a token is bound to, and the token's hash.
#[derive(Debug)]
pub(crate) struct Binding {
    pub(crate) key: DpopKey,
    pub(crate) ath: String,
}

impl Binding {
    pub(crate) fn new(key: DpopKey, access_token: &str) -> Self {
        Self {
            ath: ath(access_token),
            key,
        }
    }

    /// A new proof for a request with the token to `method` `url`, with the resource
    /// server's latest nonce.
    pub(crate) fn proof(&self, method: &Method, url: &Url) -> Result<Proof, AuthError> {
        proof::make(&self.key, Server::Resource, method, url, Some(&self.ath))
    }

    /// Keeps the resource server's nonce in the headers of an answer from `url`; returns it.
    pub(crate) fn remember_nonce(&self, url: &Url, headers: &HeaderMap) -> Option<Arc<str>> {
        self.key
            .nonces()
            .remember(Server::Resource, &origin(url), headers.get(DPOP_NONCE))
    }
}
