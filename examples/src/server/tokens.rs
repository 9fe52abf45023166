// Input: random keys made at start, the clock, the configured lifetimes.
// Output: signed access and refresh JWTs, and the claims of a token that verifies.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::clock::Clock;
use super::config::{ServerConfig, whole_seconds};
use super::dpop::Confirmation;

/// The two kinds of token, written in the `type` claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TokenType {
    Access,
    Refresh,
}

/// The claims of both kinds of token; only refresh tokens carry a `family`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub(crate) sub: String,
    pub(crate) exp: u64,
    pub(crate) iat: u64,
    pub(crate) jti: String,
    #[serde(rename = "type")]
    pub(crate) token_type: TokenType,
    /// The login a refresh token descends from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) family: Option<String>,
    /// The scope granted to an access token (RFC 9068 §2.2.3: space-separated), for the
    /// resource routes to check; absent when the login asked for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<String>,
    /// The resource (RFC 8707) an access token is for, when its grant named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) aud: Option<String>,
    /// The DPoP key a bound access token is for (RFC 9449 §6.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cnf: Option<Confirmation>,
}

/// Why a token does not verify; the text is safe to send back (it quotes nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejected {
    Malformed,
    BadSignature,
    WrongType,
    Expired,
}

impl Rejected {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Malformed => "the token is not a well-formed JWT of this server",
            Self::BadSignature => "the token's signature does not verify",
            Self::WrongType => "the token is of the wrong type for this use",
            Self::Expired => "the token has expired",
        }
    }
}

/// A key pair for one kind of token (HS256: one secret for both).
struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    /// 256 random bits from the operating system's CSPRNG, never stored anywhere else.
    fn random() -> io::Result<Self> {
        let mut secret = Zeroizing::new([0_u8; 32]);
        getrandom::fill(secret.as_mut()).map_err(io::Error::other)?;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret.as_ref()),
            decoding: DecodingKey::from_secret(secret.as_ref()),
        })
    }
}

/// Makes and checks the server's JWTs. Access and refresh tokens have separate keys, so
/// neither verifies as the other.
pub(crate) struct Signer {
    access: Keys,
    refresh: Keys,
    validation: Validation,
    clock: Clock,
    access_ttl: u64,
    refresh_ttl: u64,
    ids: IdSequence,
}

impl Signer {
    pub(crate) fn new(config: &ServerConfig, clock: Clock) -> io::Result<Self> {
        let mut validation = Validation::new(Algorithm::HS256);
        // `exp` is checked against `clock` in `verify`, not against the system time.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        // `aud` (the resource a token is for) is checked by whoever takes the token: the
        // Tasks API takes tokens for itself or for no resource in particular.
        validation.validate_aud = false;
        Ok(Self {
            access: Keys::random()?,
            refresh: Keys::random()?,
            validation,
            clock,
            access_ttl: whole_seconds(config.access_ttl),
            refresh_ttl: whole_seconds(config.refresh_ttl),
            ids: IdSequence::random()?,
        })
    }

    /// The access token lifetime in whole seconds: the `expires_in` of token responses.
    pub(crate) fn access_ttl(&self) -> u64 {
        self.access_ttl
    }

    pub(crate) fn now(&self) -> Duration {
        self.clock.now()
    }

    /// A new identifier, unique for this server: for `jti`s and refresh families.
    pub(crate) fn new_id(&self) -> String {
        self.ids.next()
    }

    /// Signs a new token for `sub`. `exp` is the issue time rounded up plus the whole-second
    /// lifetime, so a token lives at least its lifetime and expires when `now >= exp`.
    pub(crate) fn issue(
        &self,
        token_type: TokenType,
        sub: &str,
        family: Option<&str>,
    ) -> Result<(String, Claims), jsonwebtoken::errors::Error> {
        self.issue_with(token_type, sub, family, None, None)
    }

    /// [`issue`](Self::issue), with a `scope` claim when `scope` is given and `aud` (the
    /// resource the token is for) when `aud` is.
    pub(crate) fn issue_with(
        &self,
        token_type: TokenType,
        sub: &str,
        family: Option<&str>,
        scope: Option<&str>,
        aud: Option<&str>,
    ) -> Result<(String, Claims), jsonwebtoken::errors::Error> {
        let now = self.now();
        let (keys, ttl) = match token_type {
            TokenType::Access => (&self.access, self.access_ttl),
            TokenType::Refresh => (&self.refresh, self.refresh_ttl),
        };
        let claims = Claims {
            sub: sub.to_owned(),
            exp: ceil_seconds(now).saturating_add(ttl),
            iat: now.as_secs(),
            jti: self.new_id(),
            token_type,
            family: family.map(str::to_owned),
            scope: scope.map(str::to_owned),
            aud: aud.map(str::to_owned),
            cnf: None,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding)?;
        Ok((token, claims))
    }

    /// Signs a new access token for `sub` with the claims of [`issue`](Self::issue)'s and
    /// `extra` besides (an exchanged token's `aud`, `scope`, `act`), which take the place of
    /// any claim of the same name; answers the token, its `jti` and its `exp`.
    pub(crate) fn issue_access_with(
        &self,
        sub: &str,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(String, String, u64), jsonwebtoken::errors::Error> {
        let now = self.now();
        let (jti, exp) = (
            self.new_id(),
            ceil_seconds(now).saturating_add(self.access_ttl),
        );
        let mut payload = serde_json::Map::new();
        payload.insert("sub".into(), sub.into());
        payload.insert("exp".into(), exp.into());
        payload.insert("iat".into(), now.as_secs().into());
        payload.insert("jti".into(), jti.clone().into());
        payload.insert("type".into(), "access".into());
        payload.extend(extra);
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &payload,
            &self.access.encoding,
        )?;
        Ok((token, jti, exp))
    }

    /// `token`, an access token this server just issued, signed again with the claim
    /// `name` set to `value`; its `jti` and times stay, so the sessions still know it.
    pub(crate) fn with_access_claim(
        &self,
        token: &str,
        name: &str,
        value: serde_json::Value,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let mut claims = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
            token,
            &self.access.decoding,
            &self.validation,
        )?
        .claims;
        claims.insert(name.to_owned(), value);
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.access.encoding,
        )
    }

    /// The claims of `token` if it is a `token_type` token signed by this server and not
    /// expired. Revocation is the caller's business ([`Sessions`](super::sessions::Sessions)).
    pub(crate) fn verify(&self, token_type: TokenType, token: &str) -> Result<Claims, Rejected> {
        let (keys, other) = match token_type {
            TokenType::Access => (&self.access, &self.refresh),
            TokenType::Refresh => (&self.refresh, &self.access),
        };
        let claims = match jsonwebtoken::decode::<Claims>(token, &keys.decoding, &self.validation) {
            Ok(data) => data.claims,
            Err(error) if *error.kind() == ErrorKind::InvalidSignature => {
                // Say "wrong type" rather than "bad signature" when it is the other kind.
                let other =
                    jsonwebtoken::decode::<Claims>(token, &other.decoding, &self.validation);
                return Err(if other.is_ok() {
                    Rejected::WrongType
                } else {
                    Rejected::BadSignature
                });
            }
            Err(_) => return Err(Rejected::Malformed),
        };
        if claims.token_type != token_type
            || (token_type == TokenType::Refresh) != claims.family.is_some()
        {
            return Err(Rejected::WrongType);
        }
        if self.now() >= Duration::from_secs(claims.exp) {
            return Err(Rejected::Expired);
        }
        Ok(claims)
    }
}

/// `time` in whole seconds, rounded up.
fn ceil_seconds(time: Duration) -> u64 {
    time.as_secs()
        .saturating_add(u64::from(time.subsec_nanos() > 0))
}

/// Identifiers unique for one server: a random prefix (so two servers differ) and a counter.
struct IdSequence {
    prefix: String,
    next: AtomicU64,
}

impl IdSequence {
    fn random() -> io::Result<Self> {
        let mut bytes = [0_u8; 8];
        getrandom::fill(&mut bytes).map_err(io::Error::other)?;
        Ok(Self {
            prefix: format!("{:016x}", u64::from_be_bytes(bytes)),
            next: AtomicU64::new(1),
        })
    }

    fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn signer(access_ttl: Duration) -> (Signer, Clock) {
        let clock = Clock::manual(UNIX_EPOCH + Duration::from_secs(1_000));
        let config = ServerConfig {
            access_ttl,
            ..ServerConfig::default()
        };
        (Signer::new(&config, clock.clone()).unwrap(), clock)
    }

    #[test]
    fn a_token_expires_when_now_reaches_exp() {
        let (signer, clock) = signer(Duration::from_millis(200));
        let (token, claims) = signer.issue(TokenType::Access, "alice", None).unwrap();
        assert_eq!((claims.iat, claims.exp), (1_000, 1_001));
        clock.advance(Duration::from_millis(999));
        assert!(signer.verify(TokenType::Access, &token).is_ok());
        clock.advance(Duration::from_millis(1));
        assert_eq!(
            signer.verify(TokenType::Access, &token),
            Err(Rejected::Expired)
        );
    }

    #[test]
    fn exp_rounds_a_fractional_issue_time_up() {
        let (signer, clock) = signer(Duration::from_secs(1));
        clock.advance(Duration::from_millis(999));
        let (_, claims) = signer.issue(TokenType::Access, "alice", None).unwrap();
        assert_eq!((claims.iat, claims.exp), (1_000, 1_002));
    }

    #[test]
    fn kinds_do_not_verify_as_each_other() {
        let (signer, _) = signer(Duration::from_secs(60));
        let (access, _) = signer.issue(TokenType::Access, "bob", None).unwrap();
        let (refresh, _) = signer
            .issue(TokenType::Refresh, "bob", Some("family"))
            .unwrap();
        assert_eq!(
            signer.verify(TokenType::Refresh, &access),
            Err(Rejected::WrongType)
        );
        assert_eq!(
            signer.verify(TokenType::Access, &refresh),
            Err(Rejected::WrongType)
        );
        assert_eq!(
            signer.verify(TokenType::Access, "x.y.z"),
            Err(Rejected::Malformed)
        );
        assert_eq!(
            signer.verify(TokenType::Access, ""),
            Err(Rejected::Malformed)
        );
    }

    #[test]
    fn another_servers_token_has_a_bad_signature() {
        let (ours, _) = signer(Duration::from_secs(60));
        let (theirs, _) = signer(Duration::from_secs(60));
        let (token, _) = theirs.issue(TokenType::Access, "alice", None).unwrap();
        assert_eq!(
            ours.verify(TokenType::Access, &token),
            Err(Rejected::BadSignature)
        );
    }

    #[test]
    fn ids_are_unique() {
        let (signer, _) = signer(Duration::from_secs(60));
        let ids: std::collections::HashSet<String> = (0..100).map(|_| signer.new_id()).collect();
        assert_eq!(ids.len(), 100);
    }
}
