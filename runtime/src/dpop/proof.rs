// Input: a key, the request (method and URL), which server it goes to, and for a resource
// request the bound token's hash.
// Output: the `DPoP` header of one attempt: a JWS with a new `jti` from the OS's randomness,
// `htm`, `htu` (the URL without query and fragment), `iat`, `ath` and the server's latest
// nonce, and which nonce it carried (so a server repeating it can be told apart).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderValue, Method};
use ring::rand::SecureRandom;
use serde::Serialize;
use url::Url;

use super::key::DpopKey;
use super::nonces::Server;
use crate::AuthError;

/// The header that carries a proof.
pub(crate) const DPOP: &str = "dpop";

/// One attempt's proof.
pub(crate) struct Proof {
    pub(crate) header: HeaderValue,
    /// The nonce the proof carries, if the server had given one.
    pub(crate) nonce: Option<Arc<str>>,
}

#[derive(Serialize)]
struct Claims<'a> {
    jti: &'a str,
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

/// The proof for `method` `url` at `server`, signed by `key`; `ath` for a request with an
/// access token.
pub(crate) fn make(
    key: &DpopKey,
    server: Server,
    method: &Method,
    url: &Url,
    ath: Option<&str>,
) -> Result<Proof, AuthError> {
    let nonce = key.nonces().get(server, &origin(url));
    let mut jti = [0u8; 16];
    key.rng()
        .fill(&mut jti)
        .map_err(|_| AuthError::refresh_failed("no randomness for a DPoP proof's jti"))?;
    let jti = URL_SAFE_NO_PAD.encode(jti);
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let claims = Claims {
        jti: &jti,
        htm: method.as_str(),
        htu: htu(url),
        iat,
        ath,
        nonce: nonce.as_deref(),
    };
    // Strings and numbers always serialize.
    let claims = serde_json::to_vec(&claims).unwrap_or_default();

    let header = key.header();
    let mut jws = String::with_capacity(header.len() + claims.len() * 4 / 3 + 100);
    jws.push_str(header);
    URL_SAFE_NO_PAD.encode_string(&claims, &mut jws);
    let signature = key
        .sign(jws.as_bytes())
        .map_err(AuthError::refresh_failed)?;
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jws);

    let mut header = HeaderValue::try_from(jws)
        .map_err(|_| AuthError::refresh_failed("a DPoP proof is not a valid header value"))?;
    // No secret in it, but a proof can be replayed within its `iat` window where a server
    // keeps no `jti` list: kept out of logs and HPACK tables like the token.
    header.set_sensitive(true);
    Ok(Proof { header, nonce })
}

/// `htu`: the URL without query and fragment (RFC 9449 section 4.2).
pub(crate) fn htu(url: &Url) -> &str {
    &url[..url::Position::AfterPath]
}

/// The origin nonces are kept per: `scheme://host:port`.
pub(crate) fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The `ath` of an access token: base64url of its SHA-256 (RFC 9449 section 4.2).
pub(crate) fn ath(access_token: &str) -> String {
    use sha2::{Digest, Sha256};
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}
