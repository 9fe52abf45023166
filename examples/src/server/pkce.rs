// Input: `grant_type=authorization_code` on `/oauth/token`: `code`, `redirect_uri`,
// `code_verifier` (RFC 6749 §4.1.3, RFC 7636 §4.5).
// Output: a new session for the user the code was issued for, or `invalid_grant`; and the
// S256 transform both sides of PKCE use.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::form::Form;
use super::oauth_clients::OAuthClient;
use super::oauth_errors::OAuthError;
use super::oauth_token::Issued;
use super::resource_indicator::{checked_resource, granted_resource};
use super::secrets::same_secret;
use super::state::Shared;

/// `BASE64URL(SHA256(verifier))` (RFC 7636 §4.2).
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `value` is 43 to 128 unreserved characters: the syntax of a code verifier (RFC
/// 7636 §4.1); an S256 challenge is 43 of them.
pub(crate) fn is_pkce_string(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The authorization code grant with PKCE.
pub(crate) fn code_grant(
    state: &Shared,
    client: &OAuthClient,
    form: &Form,
    proof_jkt: Option<&str>,
) -> Result<Issued, OAuthError> {
    let code = form.require("code", "code is missing")?;
    let redirect_uri = form.require("redirect_uri", "redirect_uri is missing")?;
    let verifier = form.require(
        "code_verifier",
        "code_verifier is missing (PKCE is required)",
    )?;
    let grant = state.codes().take(code).ok_or(OAuthError::invalid_grant(
        "the code is unknown or was already used",
    ))?;
    let refuse = |why: &'static str| {
        tracing::info!(client = %client.id, user = %grant.user, why, "authorization code refused");
        Err(OAuthError::invalid_grant(why))
    };
    if state.signer.now() >= grant.expires_at {
        return refuse("the code has expired");
    }
    if grant.client_id != client.id {
        return refuse("the code was issued to another client");
    }
    if grant.redirect_uri != redirect_uri {
        return refuse("redirect_uri differs from the one of the authorization request");
    }
    if !is_pkce_string(verifier) || !same_secret(&grant.challenge, &s256(verifier)) {
        return refuse("code_verifier does not match the code_challenge");
    }
    // RFC 9449 §10: a code bound to a key (`dpop_jkt`) needs a proof by that key.
    if let Some(bound) = grant.dpop_jkt.as_deref()
        && proof_jkt != Some(bound)
    {
        return refuse("the code is bound to a DPoP key (dpop_jkt): send a DPoP proof by that key");
    }
    let resource = granted_resource(grant.resource.as_deref(), checked_resource(form)?)?;
    let pair = state
        .sessions()
        .login_for(
            &state.signer,
            &grant.user,
            Some(&client.id),
            grant.scope.as_deref(),
            resource.as_deref(),
        )
        .map_err(|error| OAuthError::signing_failed(&error))?;
    state.counters.issued_pair(true);
    tracing::info!(client = %client.id, user = %grant.user, "authorization code grant");
    Ok(pair.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            s256(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(is_pkce_string(verifier));
        assert!(!is_pkce_string("too-short"));
        assert!(!is_pkce_string(&"a".repeat(129)));
        assert!(!is_pkce_string(&format!("{}+", "a".repeat(43))));
    }
}
