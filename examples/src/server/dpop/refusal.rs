// Input: which check a DPoP proof failed.
// Output: `ProofError`, the reason as a fixed text that quotes nothing of the request (no
// proof, key or token ever comes back in an answer or a log line).

/// Why a request's DPoP proof is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProofError {
    /// `invalid_dpop_proof`.
    Refused(Refusal),
    /// `use_dpop_nonce`: the proof lacks the side's current nonce (or the server is told
    /// to demand one every time).
    UseNonce,
}

/// The check a proof failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No `DPoP` header where one is needed.
    Missing,
    /// More than one `DPoP` header.
    Repeated,
    /// Not a compact JWS with a JSON header.
    Malformed,
    /// The header's `typ` is not `dpop+jwt`.
    WrongType,
    /// The header's `alg` is not `ES256`, `EdDSA` or `RS256`.
    UnsupportedAlgorithm,
    /// The header has no `jwk`, or one this server cannot use.
    NoUsableKey,
    /// The `jwk` holds private key members.
    PrivateKey,
    /// The signature does not verify with the `jwk`, or the key does not fit the `alg`.
    BadSignature,
    /// The claims lack `jti`, `htm`, `htu` or `iat`, or one has the wrong type.
    MissingClaims,
    /// `htm` is not the request's method.
    WrongMethod,
    /// `htu` is not the request's URL.
    WrongUrl,
    /// `iat` is too far from the server's clock.
    StaleIat,
    /// `ath` is missing or is not the hash of the access token sent.
    WrongAth,
    /// A proof with this `jti` was accepted before.
    Replayed,
    /// The proof's key is not the one the token, the refresh token or the code is bound to.
    WrongKey,
}

impl Refusal {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Missing => "the request has no DPoP proof: send one in a DPoP header",
            Self::Repeated => "the request has more than one DPoP header: send exactly one",
            Self::Malformed => "the DPoP proof is not a compact JWS with a JSON header",
            Self::WrongType => "the DPoP proof's typ must be dpop+jwt",
            Self::UnsupportedAlgorithm => "the DPoP proof's alg must be ES256, EdDSA or RS256",
            Self::NoUsableKey => {
                "the DPoP proof's header must carry the public key as a jwk (EC P-256, OKP Ed25519 or RSA)"
            }
            Self::PrivateKey => {
                "the DPoP proof's jwk holds private key members: send the public key only"
            }
            Self::BadSignature => "the DPoP proof's signature does not verify with its jwk",
            Self::MissingClaims => {
                "the DPoP proof must carry jti (a string), htm, htu (strings) and iat (a number)"
            }
            Self::WrongMethod => "the DPoP proof's htm is not the method of the request",
            Self::WrongUrl => "the DPoP proof's htu is not the URL of the request",
            Self::StaleIat => "the DPoP proof's iat is too far from the server's time",
            Self::WrongAth => {
                "the DPoP proof's ath is not the base64url SHA-256 hash of the access token sent"
            }
            Self::Replayed => "the DPoP proof was used before: make a new proof with a new jti",
            Self::WrongKey => {
                "the DPoP proof is signed by another key than the one the grant is bound to"
            }
        }
    }
}

/// The description of a `use_dpop_nonce` answer.
pub(crate) const USE_NONCE: &str =
    "the DPoP proof must carry the nonce of the DPoP-Nonce header of this answer";
