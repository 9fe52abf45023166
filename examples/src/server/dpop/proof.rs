// Input: the value of a request's `DPoP` header.
// Output: its claims and the RFC 7638 thumbprint (`jkt`) of its key, if it is a DPoP proof
// JWT (RFC 9449 §4.2) signed by the public key in its own header; the request-dependent
// checks (method, URL, time, nonce, replay) are `verifier.rs`'s.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::refusal::Refusal;

/// The proof algorithms the server accepts, as the metadata announces them.
pub(crate) const ALGORITHMS: [&str; 3] = ["ES256", "EdDSA", "RS256"];

/// JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1;
/// RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The claims of a proof that verified.
#[derive(Debug, Deserialize)]
pub(crate) struct ProofClaims {
    pub(crate) jti: String,
    pub(crate) htm: String,
    pub(crate) htu: String,
    pub(crate) iat: i64,
    #[serde(default)]
    pub(crate) nonce: Option<String>,
    #[serde(default)]
    pub(crate) ath: Option<String>,
}

/// A proof whose signature verified with the key in its header.
#[derive(Debug)]
pub(crate) struct SignedProof {
    pub(crate) claims: ProofClaims,
    /// The key's RFC 7638 SHA-256 thumbprint, base64url.
    pub(crate) jkt: String,
}

/// Checks `proof`'s header and signature, and reads its claims.
pub(crate) fn verify_signature(proof: &str) -> Result<SignedProof, Refusal> {
    let header = header_json(proof).ok_or(Refusal::Malformed)?;
    if header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
        return Err(Refusal::WrongType);
    }
    let algorithm = header
        .get("alg")
        .and_then(Value::as_str)
        .filter(|alg| ALGORITHMS.contains(alg))
        .and_then(|alg| alg.parse::<Algorithm>().ok())
        .ok_or(Refusal::UnsupportedAlgorithm)?;
    let jwk = header
        .get("jwk")
        .and_then(Value::as_object)
        .ok_or(Refusal::NoUsableKey)?;
    if PRIVATE_MEMBERS
        .iter()
        .any(|member| jwk.contains_key(*member))
    {
        return Err(Refusal::PrivateKey);
    }
    let jwk: Jwk =
        serde_json::from_value(Value::Object(jwk.clone())).map_err(|_| Refusal::NoUsableKey)?;
    let jkt = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|_| Refusal::NoUsableKey)?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| Refusal::NoUsableKey)?;
    let claims = jsonwebtoken::decode::<ProofClaims>(proof, &key, &validation(algorithm))
        .map_err(|error| match error.kind() {
            ErrorKind::Json(_) => Refusal::MissingClaims,
            ErrorKind::Base64(_) | ErrorKind::InvalidToken | ErrorKind::Utf8(_) => {
                Refusal::Malformed
            }
            _ => Refusal::BadSignature,
        })?
        .claims;
    Ok(SignedProof { claims, jkt })
}

/// The JSON object of a compact JWS's header; `None` unless there are exactly three parts.
fn header_json(proof: &str) -> Option<Map<String, Value>> {
    let mut parts = proof.split('.');
    let header = parts.next()?;
    if parts.count() != 2 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(header).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Signature only: the time, method and URL checks need the request and the server's clock.
fn validation(algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation
}

/// The RFC 7638 thumbprint of a JWK given as JSON, for tests and for `dpop_jkt` checks.
#[cfg(test)]
pub(crate) fn thumbprint(jwk: &Value) -> Option<String> {
    let jwk: Jwk = serde_json::from_value(jwk.clone()).ok()?;
    jwk.thumbprint(ThumbprintHash::SHA256).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_thumbprint_is_rfc_7638s_example() {
        // RFC 7638 §3.1.
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29",
        });
        assert_eq!(
            thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }
}
