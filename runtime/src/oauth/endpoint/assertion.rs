// Input: a private key in PEM, and who asserts what to which token endpoint.
// Output: a signed JWT assertion (RFC 7523): `iss`, `sub`, `aud`, `iat`, `exp` a few minutes
// ahead and a fresh `jti`, signed RS256 or ES256 by the `jsonwebtoken` crate; the key and
// the assertions are never shown.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::AuthError;

/// How long an assertion is valid: RFC 7523 asks for a short time; servers accept minutes.
const LIFETIME: Duration = Duration::from_secs(300);

/// A private key that signs JWT assertions (RFC 7523) for
/// [`JwtBearerGrant`](crate::oauth::JwtBearerGrant) and
/// [`ClientAuth::private_key_jwt`](crate::oauth::ClientAuth::private_key_jwt).
///
/// Each assertion has a fresh random `jti`, `iat` now and `exp` five minutes ahead.
/// `Debug` never shows the key.
///
/// ```no_run
/// use freshtoken::oauth::JwtSigner;
///
/// # fn demo() -> Result<(), freshtoken::AuthError> {
/// let pem = std::fs::read("service-account.pem").expect("the key file");
/// let signer = JwtSigner::rs256_pem(&pem)?.key_id("2026-key-1");
/// # let _ = signer;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct JwtSigner {
    key: Arc<EncodingKey>,
    algorithm: Algorithm,
    key_id: Option<String>,
}

impl std::fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtSigner")
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
}

impl JwtSigner {
    /// A signer with an RSA private key in PEM (PKCS#1 or PKCS#8), signing RS256.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when `pem` holds no RSA
    /// private key; the message never quotes it.
    pub fn rs256_pem(pem: &[u8]) -> Result<Self, AuthError> {
        let key = EncodingKey::from_rsa_pem(pem).map_err(|error| bad_key("RSA", &error))?;
        Ok(Self::new(key, Algorithm::RS256))
    }

    /// A signer with a P-256 private key in PEM (PKCS#8), signing ES256.
    ///
    /// # Errors
    /// [`AuthErrorKind::Rejected`](crate::AuthErrorKind::Rejected) when `pem` holds no P-256
    /// private key in PKCS#8; the message never quotes it.
    pub fn es256_pem(pem: &[u8]) -> Result<Self, AuthError> {
        let key = EncodingKey::from_ec_pem(pem).map_err(|error| bad_key("P-256 (EC)", &error))?;
        Ok(Self::new(key, Algorithm::ES256))
    }

    /// Names the key in the assertions' header (`kid`), for servers that hold several.
    #[must_use]
    pub fn key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = Some(key_id.into());
        self
    }

    fn new(key: EncodingKey, algorithm: Algorithm) -> Self {
        Self {
            key: Arc::new(key),
            algorithm,
            key_id: None,
        }
    }

    /// An assertion by `issuer` about `subject` for the endpoint `audience`.
    pub(crate) fn sign(
        &self,
        issuer: &str,
        subject: &str,
        audience: &str,
        scope: Option<&str>,
    ) -> Result<Zeroizing<String>, AuthError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut jti = [0; 16];
        getrandom::fill(&mut jti).map_err(|error| {
            AuthError::rejected(format!(
                "no randomness from the OS for the assertion's `jti`: {error}"
            ))
        })?;
        let jti = URL_SAFE_NO_PAD.encode(jti);
        let claims = Claims {
            iss: issuer,
            sub: subject,
            aud: audience,
            iat: now,
            exp: now + LIFETIME.as_secs(),
            jti: &jti,
            scope,
        };
        let mut header = Header::new(self.algorithm);
        header.kid.clone_from(&self.key_id);
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Zeroizing::new)
            .map_err(|error| {
                AuthError::rejected(format!(
                    "the JWT assertion could not be signed ({error}); check the signing key"
                ))
            })
    }
}

fn bad_key(kind: &str, error: &jsonwebtoken::errors::Error) -> AuthError {
    AuthError::rejected(format!(
        "the key is not a {kind} private key in PEM ({:?}); give the PEM file of the private key \
         the server knows the public half of",
        error.kind()
    ))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation};
    use serde_json::Value;

    use super::*;

    const RSA_PRIVATE: &[u8] = include_bytes!("../test_keys/rsa_private.pem");
    const RSA_PUBLIC: &[u8] = include_bytes!("../test_keys/rsa_public.pem");
    const EC_PRIVATE: &[u8] = include_bytes!("../test_keys/ec_private.pem");
    const EC_PUBLIC: &[u8] = include_bytes!("../test_keys/ec_public.pem");

    fn verify(assertion: &str, key: &DecodingKey, algorithm: Algorithm) -> Value {
        let mut validation = Validation::new(algorithm);
        validation.set_audience(&["https://auth.example/token"]);
        jsonwebtoken::decode::<Value>(assertion, key, &validation)
            .unwrap()
            .claims
    }

    #[test]
    fn rs256_and_es256_assertions_verify_with_the_public_keys() {
        for (signer, key, algorithm) in [
            (
                JwtSigner::rs256_pem(RSA_PRIVATE).unwrap(),
                DecodingKey::from_rsa_pem(RSA_PUBLIC).unwrap(),
                Algorithm::RS256,
            ),
            (
                JwtSigner::es256_pem(EC_PRIVATE).unwrap(),
                DecodingKey::from_ec_pem(EC_PUBLIC).unwrap(),
                Algorithm::ES256,
            ),
        ] {
            let signer = signer.key_id("k1");
            let first = signer
                .sign("svc", "svc", "https://auth.example/token", Some("tasks"))
                .unwrap();
            let second = signer
                .sign("svc", "svc", "https://auth.example/token", None)
                .unwrap();
            let (a, b) = (
                verify(&first, &key, algorithm),
                verify(&second, &key, algorithm),
            );
            assert_eq!(
                (a["iss"].as_str(), a["sub"].as_str()),
                (Some("svc"), Some("svc"))
            );
            assert_eq!(a["scope"], "tasks");
            assert_ne!(a["jti"], b["jti"], "a jti was reused");
            let (iat, exp) = (a["iat"].as_u64().unwrap(), a["exp"].as_u64().unwrap());
            assert_eq!(exp - iat, 300);
            assert_eq!(
                jsonwebtoken::decode_header(&first).unwrap().kid.as_deref(),
                Some("k1")
            );
        }
    }

    #[test]
    fn a_wrong_key_is_refused_without_quoting_it() {
        let not_a_key = b"-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n";
        for error in [
            JwtSigner::rs256_pem(not_a_key).unwrap_err(),
            JwtSigner::es256_pem(RSA_PRIVATE).unwrap_err(),
        ] {
            let text = error.to_string();
            assert!(text.contains("private key in PEM"), "{text}");
            assert!(!text.contains("SECRET") && !text.contains("MII"), "{text}");
        }
        assert!(!format!("{:?}", JwtSigner::rs256_pem(RSA_PRIVATE).unwrap()).contains("MII"));
    }
}
