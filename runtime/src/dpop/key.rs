// Input: a new key's algorithm, or a private key as PEM (PKCS#8) or JWK.
// Output: `DpopKey`, shared by every token it binds: the signer, the proof header made once
// (with the public JWK), the RFC 7638 thumbprint (`dpop_jkt`), the nonces servers gave, and
// the private text a store keeps. Never printed.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::nonces::Nonces;
use super::signer::{PrivateJwk, Signer};

/// The private key a client proves possession of with DPoP (RFC 9449).
///
/// A server that supports DPoP binds the tokens it issues to this key: an access token is
/// then useless without a proof signed by it, and so is the refresh token of a public client.
/// Give the key to a source with its `dpop` method; each token request then carries a proof,
/// and when the server answers `token_type: DPoP`, the token is bound: every request it goes
/// with carries `Authorization: DPoP <token>` and a fresh proof (generated clients, the
/// middleware and the tower layer do this themselves; see [`Token::dpop_proof`](crate::Token::dpop_proof)).
/// A server that answers `Bearer` gets bearer tokens used as before.
///
/// ES256 (P-256) is the default and what servers expect; Ed25519 (`EdDSA`) and RSA (`RS256`,
/// loaded from PEM only) are supported. Cloning shares the key (and the nonces servers sent
/// for it). `Debug` shows the algorithm and thumbprint, never the private key.
///
/// A store keeps the key with a bound token (in the same file or Redis entry, which only the
/// owner can read), so that a restarted process can still refresh a refresh token bound to
/// it.
///
/// ```
/// use freshtoken::dpop::DpopKey;
///
/// let key = DpopKey::generate()?;
/// assert_eq!(key.algorithm(), "ES256");
/// assert_eq!(key.thumbprint().len(), 43); // base64url of a SHA-256
/// assert!(!format!("{key:?}").contains("\"d\""));
/// # Ok::<(), freshtoken::dpop::DpopKeyError>(())
/// ```
#[derive(Clone)]
pub struct DpopKey {
    inner: Arc<Inner>,
}

struct Inner {
    signer: Signer,
    rng: SystemRandom,
    thumbprint: String,
    /// `base64url(header JSON) + "."`: the same for every proof of this key.
    header: String,
    /// PKCS#8 PEM or the private JWK, as a store keeps it.
    private: Zeroizing<String>,
    nonces: Nonces,
}

/// Why a DPoP key could not be made or loaded. The message says what was wrong and never
/// quotes the key.
#[derive(Debug, thiserror::Error)]
#[error("DPoP key: {0}")]
pub struct DpopKeyError(String);

impl DpopKey {
    /// A new P-256 key (proofs signed with ES256), from the operating system's randomness.
    ///
    /// # Errors
    /// [`DpopKeyError`] when the operating system's random number generator fails.
    pub fn generate() -> Result<Self, DpopKeyError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| DpopKeyError("no randomness to generate a key from".into()))?;
        Self::from_der(pkcs8.as_ref(), rng)
    }

    /// A new Ed25519 key (proofs signed with `EdDSA`), for servers that accept it.
    ///
    /// # Errors
    /// [`DpopKeyError`] when the operating system's random number generator fails.
    pub fn generate_ed25519() -> Result<Self, DpopKeyError> {
        let rng = SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| DpopKeyError("no randomness to generate a key from".into()))?;
        Self::from_der(pkcs8.as_ref(), rng)
    }

    /// The private key in `pem`: a PKCS#8 `PRIVATE KEY` block holding a P-256, Ed25519 or RSA
    /// key (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` writes one).
    ///
    /// # Errors
    /// [`DpopKeyError`] when `pem` is not PEM, is another kind of block (an `EC PRIVATE KEY`
    /// or `RSA PRIVATE KEY` is named with the `openssl pkcs8 -topk8 -nocrypt` command that
    /// converts it), or holds no key of those algorithms.
    pub fn from_pem(pem: &str) -> Result<Self, DpopKeyError> {
        let block =
            pem::parse(pem).map_err(|_| DpopKeyError("the text is not a PEM block".into()))?;
        match block.tag() {
            "PRIVATE KEY" => Self::from_der(block.contents(), SystemRandom::new()),
            tag @ ("EC PRIVATE KEY" | "RSA PRIVATE KEY") => Err(DpopKeyError(format!(
                "a {tag} block is not PKCS#8; convert it with `openssl pkcs8 -topk8 -nocrypt \
                 -in key.pem`"
            ))),
            tag => Err(DpopKeyError(format!(
                "a {tag} block is not a private key (expected PRIVATE KEY, PKCS#8)"
            ))),
        }
    }

    /// The private key in `jwk`, a JSON Web Key: `EC` on `P-256` (members `d`, `x`, `y`) or
    /// `OKP` `Ed25519` (`d`, `x`).
    ///
    /// # Errors
    /// [`DpopKeyError`] when `jwk` is not JSON, is a public key (no `d`), or another type or
    /// curve.
    pub fn from_jwk(jwk: &str) -> Result<Self, DpopKeyError> {
        let parsed: PrivateJwk = serde_json::from_str(jwk)
            .map_err(|_| DpopKeyError("the JWK is not a JSON object with a `kty`".into()))?;
        let signer = Signer::from_jwk(&parsed).map_err(DpopKeyError)?;
        Ok(Self::new(
            signer,
            SystemRandom::new(),
            Zeroizing::new(jwk.to_owned()),
        ))
    }

    fn from_der(der: &[u8], rng: SystemRandom) -> Result<Self, DpopKeyError> {
        let signer = Signer::from_pkcs8(der, &rng).map_err(DpopKeyError)?;
        let private = pem::encode(&pem::Pem::new("PRIVATE KEY", der.to_vec()));
        Ok(Self::new(signer, rng, Zeroizing::new(private)))
    }

    fn new(signer: Signer, rng: SystemRandom, private: Zeroizing<String>) -> Self {
        let members = signer.public_members();
        let jwk = json_object(&members);
        let thumbprint = URL_SAFE_NO_PAD.encode(Sha256::digest(jwk.as_bytes()));
        let header = format!(
            r#"{{"typ":"dpop+jwt","alg":"{}","jwk":{jwk}}}"#,
            signer.algorithm()
        );
        let mut header = URL_SAFE_NO_PAD.encode(header);
        header.push('.');
        Self {
            inner: Arc::new(Inner {
                signer,
                rng,
                thumbprint,
                header,
                private,
                nonces: Nonces::default(),
            }),
        }
    }

    /// The JWS algorithm of this key's proofs: `ES256`, `EdDSA` or `RS256`.
    #[must_use]
    pub fn algorithm(&self) -> &'static str {
        self.inner.signer.algorithm()
    }

    /// The key's JWK SHA-256 thumbprint (RFC 7638), base64url: the `jkt` a server puts in a
    /// bound token's `cnf` claim, and the `dpop_jkt` of an authorization request.
    #[must_use]
    pub fn thumbprint(&self) -> &str {
        &self.inner.thumbprint
    }

    /// The public key as a JWK (JSON), as every proof carries it.
    #[must_use]
    pub fn public_jwk(&self) -> String {
        json_object(&self.inner.signer.public_members())
    }

    /// Whether `other` is this very key (or a clone of it).
    pub(crate) fn is_same(&self, other: &DpopKey) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The private key as text (PKCS#8 PEM or JWK), for a store.
    pub(crate) fn private_text(&self) -> &str {
        &self.inner.private
    }

    /// The key a store kept as [`private_text`](Self::private_text).
    pub(crate) fn from_private_text(text: &str) -> Result<Self, DpopKeyError> {
        if text.trim_start().starts_with('{') {
            Self::from_jwk(text)
        } else {
            Self::from_pem(text)
        }
    }

    pub(super) fn header(&self) -> &str {
        &self.inner.header
    }

    pub(super) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.inner.signer.sign(message, &self.inner.rng)
    }

    pub(super) fn rng(&self) -> &SystemRandom {
        &self.inner.rng
    }

    pub(crate) fn nonces(&self) -> &Nonces {
        &self.inner.nonces
    }
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("algorithm", &self.algorithm())
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

/// `{"a":"1","b":"2"}` for members whose names and values need no escaping (key
/// parameters are fixed names and base64url values).
fn json_object(members: &[(&str, String)]) -> String {
    let members: Vec<String> = members
        .iter()
        .map(|(name, value)| format!(r#""{name}":"{value}""#))
        .collect();
    format!("{{{}}}", members.join(","))
}
