// Input: JWTs signed by clients (RFC 7523): the `assertion` of the JWT bearer grant and
// the `client_assertion` of `private_key_jwt` client authentication.
// Output: the client and subject of an assertion that verifies (RS256 or ES256 against the
// client's registered keys; `iss`, `sub`, `aud`, `exp`, `nbf` and an unused `jti`), access
// tokens for the grant, or `invalid_grant` / `invalid_client`.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::HeaderMap;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use super::form::Form;
use super::oauth_clients::{OAuthClient, sends_basic};
use super::oauth_errors::OAuthError;
use super::oauth_token::{Issued, checked_scope};
use super::state::{AppState, Shared};

/// The `grant_type` of the JWT bearer grant (RFC 7523 §2.1).
pub(crate) const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The `client_assertion_type` of `private_key_jwt` (RFC 7523 §2.2).
pub(crate) const CLIENT_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How far `exp` and `nbf` may be off, for clocks that differ a little.
const LEEWAY_SECS: u64 = 10;

/// A public key of a client and the one algorithm it verifies.
pub(crate) struct VerifyingKey {
    algorithm: Algorithm,
    key: DecodingKey,
}

impl VerifyingKey {
    /// An RSA (RS256) or EC (ES256) public key from PEM; `None` for anything else.
    pub(crate) fn from_pem(pem: &str) -> Option<Self> {
        let pem = pem.as_bytes();
        if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            return Some(Self {
                algorithm: Algorithm::RS256,
                key,
            });
        }
        DecodingKey::from_ec_pem(pem).ok().map(|key| Self {
            algorithm: Algorithm::ES256,
            key,
        })
    }
}

/// What an assertion is presented for: the checks and the error code differ.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// The JWT bearer grant: `sub` is the client or its service account.
    Grant,
    /// `private_key_jwt`: `sub` is the client itself.
    ClientAuthentication,
}

/// The claims this server checks. `aud` may be a string or an array (RFC 7519 §4.1.3).
#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    aud: Value,
    exp: u64,
    #[serde(default)]
    nbf: Option<u64>,
    #[serde(default)]
    jti: Option<String>,
}

/// The `(iss, jti)` of assertions already accepted, with their `exp`: a second use is
/// refused until it has expired anyway. No `Debug`: nothing here is secret, but nothing
/// needs printing either.
#[derive(Default)]
pub(crate) struct SeenAssertions(HashMap<(String, String), u64>);

impl SeenAssertions {
    /// Records `(iss, jti)`; `false` when it was seen before.
    fn first_use(&mut self, iss: &str, jti: &str, exp: u64, now: Duration) -> bool {
        self.0
            .retain(|_, exp| now < Duration::from_secs(exp.saturating_add(LEEWAY_SECS)));
        self.0
            .insert((iss.to_owned(), jti.to_owned()), exp)
            .is_none()
    }
}

/// `private_key_jwt` (RFC 7523 §2.2, §3): the form's `client_assertion_type` and
/// `client_assertion`. Any other client authentication in the same request is
/// `invalid_request`; a failed check is `invalid_client`.
pub(crate) fn authenticate_with_assertion<'s>(
    state: &'s AppState,
    headers: &HeaderMap,
    form: &Form,
) -> Result<&'s OAuthClient, OAuthError> {
    if sends_basic(headers) || form.get("client_secret").is_some() {
        return Err(OAuthError::invalid_request(
            "use one client authentication method, not several",
        ));
    }
    if form.get("client_assertion_type") != Some(CLIENT_ASSERTION_TYPE) {
        return Err(OAuthError::invalid_client(
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ));
    }
    let assertion = form
        .get("client_assertion")
        .ok_or(OAuthError::invalid_client("client_assertion is missing"))?;
    let (client, _) = verify(state, assertion, Purpose::ClientAuthentication)
        .map_err(OAuthError::invalid_client)?;
    if form.get("client_id").is_some_and(|id| id != client.id) {
        return Err(OAuthError::invalid_client(
            "client_id differs from the issuer of the client assertion",
        ));
    }
    Ok(client)
}

/// The JWT bearer grant (RFC 7523 §2.1): an access token for the assertion's subject, with
/// the requested `scope`; no refresh token (a new assertion gets a new token). A client
/// that also authenticates must be the assertion's issuer.
pub(crate) fn jwt_bearer_grant(
    state: &Shared,
    client: Option<&OAuthClient>,
    form: &Form,
) -> Result<Issued, OAuthError> {
    let assertion = form.require("assertion", "assertion is missing")?;
    let scope = form.get("scope").map(checked_scope).transpose()?;
    let (issuer, subject) =
        verify(state, assertion, Purpose::Grant).map_err(OAuthError::invalid_grant)?;
    if client.is_some_and(|client| client.id != issuer.id) {
        return Err(OAuthError::invalid_grant(
            "the assertion was issued by another client than the one authenticated",
        ));
    }
    let access_token = state
        .sessions()
        .issue_access_only(&state.signer, &subject, &issuer.id, scope)
        .map_err(|error| OAuthError::signing_failed(&error))?;
    state.counters.issued_access();
    tracing::info!(client = %issuer.id, user = %subject, "JWT bearer grant");
    Ok(Issued {
        access_token,
        refresh_token: None,
        scope: scope.map(str::to_owned),
    })
}

/// The client that signed `assertion` and its `sub`, if every check passes; else a
/// description that quotes nothing from the assertion.
fn verify<'s>(
    state: &'s AppState,
    assertion: &str,
    purpose: Purpose,
) -> Result<(&'s OAuthClient, String), &'static str> {
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| "the assertion is not a well-formed JWT")?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err("the assertion must be signed with RS256 or ES256");
    }
    // The issuer names the client whose keys to try; nothing else is read before the
    // signature verifies.
    let issuer = unverified_issuer(assertion).ok_or("the assertion has no `iss` claim")?;
    let client = state
        .clients
        .get(&issuer)
        .ok_or("the assertion's issuer is not a registered client")?;
    let mut validation = Validation::new(header.alg);
    // `exp` and `nbf` are checked against the server's clock below; `aud` too.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = state
        .clients
        .keys(&client.id)
        .iter()
        .filter(|key| key.algorithm == header.alg)
        .find_map(|key| {
            jsonwebtoken::decode::<AssertionClaims>(assertion, &key.key, &validation).ok()
        })
        .ok_or("the assertion's signature does not verify with the client's keys")?
        .claims;
    let subject_ok = match purpose {
        Purpose::ClientAuthentication => claims.sub == client.id,
        Purpose::Grant => {
            claims.sub == client.id || client.service_account.as_deref() == Some(&claims.sub)
        }
    };
    if !subject_ok {
        return Err("the assertion's `sub` is not this client or its service account");
    }
    // The token endpoint's URL (RFC 7523) or the issuer identifier (which current practice
    // asks clients to use, and which no other server shares).
    let token_endpoint = state.url("/oauth/token");
    let for_us = |aud: &str| aud == token_endpoint || aud == state.issuer;
    let audience_ok = match &claims.aud {
        Value::String(aud) => for_us(aud),
        Value::Array(auds) => auds.iter().filter_map(Value::as_str).any(for_us),
        _ => false,
    };
    if !audience_ok {
        return Err("the assertion's `aud` is neither this server's token endpoint nor its issuer");
    }
    let now = state.signer.now();
    if now >= Duration::from_secs(claims.exp.saturating_add(LEEWAY_SECS)) {
        return Err("the assertion has expired");
    }
    if claims.nbf.is_some_and(|nbf| {
        now.saturating_add(Duration::from_secs(LEEWAY_SECS)) < Duration::from_secs(nbf)
    }) {
        return Err("the assertion is not valid yet");
    }
    let jti = claims.jti.ok_or("the assertion has no `jti`")?;
    if !state
        .seen_assertions()
        .first_use(&claims.iss, &jti, claims.exp, now)
    {
        return Err("the assertion's `jti` was already used");
    }
    Ok((client, claims.sub))
}

/// The `iss` claim of a JWT, read without verifying it: only to pick the keys.
fn unverified_issuer(jwt: &str) -> Option<String> {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1)?;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&payload).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}
