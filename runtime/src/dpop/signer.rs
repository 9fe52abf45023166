// Input: a private key in PKCS#8 DER, or the private members of a JWK.
// Output: a ring key pair that signs proofs, the public JWK members that go into every
// proof's header, and the private text a store keeps to load the same key again.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair, RsaPublicKeyComponents,
};
use zeroize::Zeroizing;

/// A key pair of one of the algorithms DPoP proofs are signed with.
pub(super) enum Signer {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
    Rs256(RsaKeyPair),
}

/// Why a key could not be used, without quoting any of it.
pub(super) type KeyError = String;

impl Signer {
    /// The key in `der` (PKCS#8): P-256, Ed25519 or RSA, whichever it is.
    pub(super) fn from_pkcs8(der: &[u8], rng: &SystemRandom) -> Result<Self, KeyError> {
        if let Ok(pair) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, rng) {
            return Ok(Self::Es256(pair));
        }
        if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(Self::EdDsa(pair));
        }
        match RsaKeyPair::from_pkcs8(der) {
            Ok(pair) => Ok(Self::Rs256(pair)),
            Err(rejected) => Err(format!(
                "not a P-256, Ed25519 or RSA private key in PKCS#8 ({rejected})"
            )),
        }
    }

    /// The key of a private JWK's members: `EC` P-256 (`d`, `x`, `y`) or `OKP` Ed25519 (`d`,
    /// `x`).
    pub(super) fn from_jwk(jwk: &PrivateJwk) -> Result<Self, KeyError> {
        let field = |name: &str, value: &Option<String>| -> Result<Zeroizing<Vec<u8>>, KeyError> {
            let value = value
                .as_deref()
                .ok_or_else(|| format!("the JWK has no `{name}`"))?;
            URL_SAFE_NO_PAD
                .decode(value)
                .map(Zeroizing::new)
                .map_err(|_| format!("the JWK's `{name}` is not base64url without padding"))
        };
        match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("EC", Some("P-256")) => {
                let (d, x, y) = (
                    field("d", &jwk.d)?,
                    field("x", &jwk.x)?,
                    field("y", &jwk.y)?,
                );
                let mut public = Vec::with_capacity(65);
                public.push(4);
                public.extend_from_slice(&x);
                public.extend_from_slice(&y);
                EcdsaKeyPair::from_private_key_and_public_key(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    &d,
                    &public,
                    &SystemRandom::new(),
                )
                .map(Self::Es256)
                .map_err(|rejected| format!("the P-256 JWK is not a valid key pair ({rejected})"))
            }
            ("OKP", Some("Ed25519")) => {
                let (d, x) = (field("d", &jwk.d)?, field("x", &jwk.x)?);
                Ed25519KeyPair::from_seed_and_public_key(&d, &x)
                    .map(Self::EdDsa)
                    .map_err(|rejected| {
                        format!("the Ed25519 JWK is not a valid key pair ({rejected})")
                    })
            }
            (kty, crv) => Err(format!(
                "a JWK of type {kty:?}{} cannot be loaded (expected EC P-256 or OKP Ed25519; \
                 load an RSA key from PEM)",
                crv.map(|crv| format!(" on curve {crv:?}"))
                    .unwrap_or_default()
            )),
        }
    }

    /// The JWS `alg` of the proofs this key signs.
    pub(super) fn algorithm(&self) -> &'static str {
        match self {
            Self::Es256(_) => "ES256",
            Self::EdDsa(_) => "EdDSA",
            Self::Rs256(_) => "RS256",
        }
    }

    /// The public JWK's members in the lexicographic order RFC 7638 hashes them in, as
    /// `(name, value)`: the thumbprint and the proof header are both made from this.
    pub(super) fn public_members(&self) -> Vec<(&'static str, String)> {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        match self {
            Self::Es256(pair) => {
                // Uncompressed point: 0x04, then x and y, 32 bytes each.
                let point = pair.public_key().as_ref();
                vec![
                    ("crv", "P-256".to_owned()),
                    ("kty", "EC".to_owned()),
                    ("x", b64(&point[1..33])),
                    ("y", b64(&point[33..65])),
                ]
            }
            Self::EdDsa(pair) => vec![
                ("crv", "Ed25519".to_owned()),
                ("kty", "OKP".to_owned()),
                ("x", b64(pair.public_key().as_ref())),
            ],
            Self::Rs256(pair) => {
                let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
                let trim = |bytes: &[u8]| {
                    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
                    b64(&bytes[start..])
                };
                vec![
                    ("e", trim(&public.e)),
                    ("kty", "RSA".to_owned()),
                    ("n", trim(&public.n)),
                ]
            }
        }
    }

    /// The signature of `message`, in the form JWS puts after the last `.`.
    pub(super) fn sign(&self, message: &[u8], rng: &SystemRandom) -> Result<Vec<u8>, KeyError> {
        let failed = |_| "the signature could not be made".to_owned();
        match self {
            Self::Es256(pair) => pair
                .sign(rng, message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(failed),
            Self::EdDsa(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            Self::Rs256(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, rng, message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
        }
    }
}

/// The members of a private JWK this crate reads; others are ignored.
#[derive(serde::Deserialize)]
pub(super) struct PrivateJwk {
    pub(super) kty: String,
    pub(super) crv: Option<String>,
    pub(super) d: Option<String>,
    pub(super) x: Option<String>,
    pub(super) y: Option<String>,
}

impl Drop for PrivateJwk {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.d.zeroize();
    }
}
