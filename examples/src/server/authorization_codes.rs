// Input: authorization codes `/oauth/authorize` hands out, and codes presented to
// `/oauth/token`.
// Output: what each code was issued for, handed back once at most.

use std::collections::HashMap;
use std::time::Duration;

/// What an authorization code stands for: who logged in, for which client, redirect URI,
/// PKCE challenge, scope and DPoP key, until when.
pub(crate) struct CodeGrant {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    /// The S256 `code_challenge`.
    pub(crate) challenge: String,
    pub(crate) user: String,
    pub(crate) scope: Option<String>,
    /// The resource (RFC 8707) the authorization request named.
    pub(crate) resource: Option<String>,
    /// The DPoP key thumbprint (RFC 9449 §10) the exchange's proof must be signed with.
    pub(crate) dpop_jkt: Option<String>,
    /// Usable while the server's clock is before this.
    pub(crate) expires_at: Duration,
}

/// The codes not exchanged yet. No `Debug`: the keys are the codes.
#[derive(Default)]
pub(crate) struct AuthorizationCodes(HashMap<String, CodeGrant>);

impl AuthorizationCodes {
    /// Remembers `code`, forgetting codes that expired before `now`.
    pub(crate) fn insert(&mut self, code: String, grant: CodeGrant, now: Duration) {
        self.0.retain(|_, grant| now < grant.expires_at);
        self.0.insert(code, grant);
    }

    /// The grant of `code`, removed: a code is single-use, and a failed exchange spends it
    /// too (no second guess at the verifier).
    pub(crate) fn take(&mut self, code: &str) -> Option<CodeGrant> {
        self.0.remove(code)
    }
}
