//! DPoP proofs (RFC 9449 §4.2) signed by the committed test-only keys, for the reference
//! server's unit tests (included by `src/server/dpop/mod.rs`) and its HTTP tests.

// Each test crate uses a part of this module; `pub` is for those test crates.
#![allow(dead_code, unreachable_pub)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A key that signs proofs, and its public JWK.
pub struct ProofKey {
    key: EncodingKey,
    pub jwk: Jwk,
    pub alg: Algorithm,
}

impl ProofKey {
    /// EC P-256, ES256.
    pub fn ec() -> Self {
        let pem = include_bytes!("../keys/test-only-ec-p256-private.pem");
        Self::of(EncodingKey::from_ec_pem(pem).unwrap(), Algorithm::ES256)
    }

    /// RSA 2048, RS256.
    pub fn rsa() -> Self {
        let pem = include_bytes!("../keys/test-only-rsa-private.pem");
        Self::of(EncodingKey::from_rsa_pem(pem).unwrap(), Algorithm::RS256)
    }

    /// Another RSA 2048 key, RS256.
    pub fn other_rsa() -> Self {
        let pem = include_bytes!("../keys/test-only-unregistered-rsa-private.pem");
        Self::of(EncodingKey::from_rsa_pem(pem).unwrap(), Algorithm::RS256)
    }

    /// Ed25519, `EdDSA`.
    pub fn ed25519() -> Self {
        let pem = include_bytes!("../keys/test-only-ed25519-private.pem");
        Self::of(EncodingKey::from_ed_pem(pem).unwrap(), Algorithm::EdDSA)
    }

    fn of(key: EncodingKey, alg: Algorithm) -> Self {
        let jwk = Jwk::from_encoding_key(&key, alg).unwrap();
        Self { key, jwk, alg }
    }

    /// The RFC 7638 thumbprint of the public key: the `jkt` of bound tokens.
    pub fn jkt(&self) -> String {
        self.jwk.thumbprint(ThumbprintHash::SHA256).unwrap()
    }

    /// A proof with `claims`: header `typ: dpop+jwt`, this key's `alg` and public `jwk`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.typ = Some("dpop+jwt".to_owned());
        header.jwk = Some(self.jwk.clone());
        self.sign_with(&header, claims)
    }

    /// A JWS of `claims` with `header` as given.
    pub fn sign_with(&self, header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &self.key).unwrap()
    }

    /// A proof for `htm` `htu` made at `iat` (seconds since the epoch), with `extra`
    /// claims (`nonce`, `ath`) merged in and a fresh random `jti`.
    pub fn proof(&self, htm: &str, htu: &str, iat: u64, extra: &Value) -> String {
        let mut claims = json!({ "jti": random_jti(), "htm": htm, "htu": htu, "iat": iat });
        if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
            claims.extend(extra.clone());
        }
        self.sign(&claims)
    }
}

/// The `ath` of `access_token`: base64url SHA-256, unpadded.
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// A compact JWS with `header` and `claims` as JSON and a made-up signature: for proofs a
/// signing library would not make (private keys in the header, `alg: none`).
pub fn unsigned(header: &Value, claims: &Value) -> String {
    let part = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
    format!(
        "{}.{}.{}",
        part(header),
        part(claims),
        URL_SAFE_NO_PAD.encode(b"signature")
    )
}

fn random_jti() -> String {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    URL_SAFE_NO_PAD.encode(bytes)
}
