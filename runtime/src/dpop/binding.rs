// Input: a token the server bound (`token_type: DPoP`) and the key it was requested with.
// Output: what every request with that token needs besides the token: the key and the
// token's `ath`, hashed once per token rather than once per request.

use super::key::DpopKey;
use super::proof::ath;

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
}
