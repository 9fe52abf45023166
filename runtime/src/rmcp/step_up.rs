// Input: the token a 403 `insufficient_scope` refused, and the server's challenge.
// Output: a token with the scopes the challenge asks for, from the cache.

use std::sync::Arc;

use crate::oauth::resource::Challenge;
use crate::{AuthError, Token, TokenCache, TokenSource};

/// Asks the cache for a token with the scopes `challenge` names on top of those `used` held.
///
/// `TokenCache::step_up` (one step-up for every waiting caller, bounded) is not in this
/// build yet; until it is, a step-up fails with an error that says so, and the caller gets
/// the 403.
pub(crate) async fn step_up<S: TokenSource>(
    cache: &TokenCache<S>,
    used: &Token,
    challenge: &Challenge,
) -> Result<Arc<Token>, AuthError> {
    let _ = (cache, used, challenge);
    Err(AuthError::rejected(
        "this version of freshtoken cannot step up a token's scope yet",
    ))
}
