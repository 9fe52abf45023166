// Input: `grant_type=client_credentials` on `/oauth/token` (RFC 6749 §4.4), with optional
// `scope`, from an authenticated client.
// Output: an access token alone for the client itself (`sub` = its id), or
// `unauthorized_client` for a public client, which has no credentials to show.

use super::form::Form;
use super::oauth_clients::OAuthClient;
use super::oauth_errors::{OAuthError, OAuthErrorCode};
use super::oauth_token::{Issued, checked_scope};
use super::state::Shared;

/// The `grant_type` value.
pub(crate) const CLIENT_CREDENTIALS_GRANT: &str = "client_credentials";

/// RFC 6749 §4.4.3: no refresh token; a new request gets a new access token.
pub(crate) fn client_credentials_grant(
    state: &Shared,
    client: &OAuthClient,
    form: &Form,
) -> Result<Issued, OAuthError> {
    if !client.is_confidential() {
        return Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "only a confidential client may use the client_credentials grant",
        ));
    }
    let scope = form.get("scope").map(checked_scope).transpose()?;
    let access_token = state
        .sessions()
        .issue_access_only(&state.signer, &client.id, &client.id, scope)
        .map_err(|error| OAuthError::signing_failed(&error))?;
    state.counters.issued_access();
    tracing::info!(client = %client.id, "client credentials grant");
    Ok(Issued {
        access_token,
        refresh_token: None,
        scope: scope.map(str::to_owned),
    })
}
