// Input: what a token endpoint returned (access token, type, lifetime, refresh token, scope).
// Output: a `Token` whose expiry is a monotonic deadline fixed at the moment it was built.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use http::HeaderValue;
use tokio::time::Instant;

use crate::authorization::header_value;
use crate::{AccessToken, AuthError, RefreshToken, jwt};

/// Tells tokens apart without comparing secrets, so a 401 for an old token cannot discard
/// a newer one. Process-wide, so ids of tokens from different caches never collide.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A lifetime longer than a century is no lifetime: the expiry is then unknown. This also
/// keeps every deadline far from the clocks' limits, so converting one from the monotonic
/// clock to the wall clock (as a store does) cannot overflow.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(3_155_760_000);

/// An access token with what is needed to use and renew it.
///
/// Built with [`Token::builder`], usually inside a [`TokenSource`](crate::TokenSource).
/// The expiry is a deadline on the monotonic clock, fixed when the token is built and counted
/// from its receipt (the call to [`build`](TokenBuilder::build), unless
/// [`received_at`](TokenBuilder::received_at) says when it was received):
/// - `expires_in`, if the server sent it;
/// - else, for a JWT access token, `exp - iat` when it has an `iat` before its `exp`. The
///   claims are read without verifying the signature, only to schedule the refresh, and are
///   never compared with the local clock then: an issuer whose clock is behind or ahead of
///   ours does not shorten or stretch the lifetime;
/// - else, for a JWT with `exp` alone, the time from now to `exp` on the local clock. An `exp`
///   already past gives an *unknown* expiry, not an expired token: a token from an issuer whose
///   clock is behind ours looks the same, so it is used and the server's 401 decides;
/// - else unknown: the token is then used until the server answers 401.
///
/// A lifetime beyond a century counts as unknown.
///
/// `Debug` shows the type, the time left and whether a refresh token is present, never a
/// secret.
///
/// ```
/// use std::time::Duration;
/// use freshtoken::Token;
///
/// let token = Token::builder("access-secret")
///     .expires_in(Duration::from_secs(3600))
///     .refresh_token("refresh-secret")
///     .build()?;
/// assert_eq!(token.authorization().to_str().unwrap(), "Bearer access-secret");
/// assert!(!format!("{token:?}").contains("secret"));
/// # Ok::<(), freshtoken::AuthError>(())
/// ```
#[derive(Clone)]
pub struct Token {
    id: u64,
    access_token: AccessToken,
    token_type: String,
    authorization: HeaderValue,
    received_at: Instant,
    expires_at: Option<Instant>,
    refresh_token: Option<RefreshToken>,
    scope: Option<String>,
    resource: Option<String>,
    /// The key a DPoP-bound token is bound to, and the token's hash.
    #[cfg(feature = "dpop")]
    pub(crate) dpop: Option<std::sync::Arc<crate::dpop::Binding>>,
}

impl Token {
    /// A token that holds only `refresh_token`: its access token has already expired, so it
    /// is never served, and the next fetch renews it with the refresh token.
    pub(crate) fn refresh_only(refresh_token: RefreshToken) -> Self {
        // `build` cannot fail on this fixed, valid access token.
        Self::builder("refresh-only")
            .expires_in(Duration::ZERO)
            .refresh_token(refresh_token)
            .build()
            .expect("a fixed access token without a DPoP key builds")
    }

    /// Starts a token of type `Bearer` with the given access token.
    pub fn builder(access_token: impl Into<AccessToken>) -> TokenBuilder {
        TokenBuilder {
            access_token: access_token.into(),
            token_type: None,
            expires_in: None,
            received_at: None,
            refresh_token: None,
            scope: None,
            resource: None,
            #[cfg(feature = "dpop")]
            dpop_key: None,
        }
    }

    /// The access token. It has no `Display`, so that no `format!` can print or send it by
    /// accident: for the `Authorization` header use [`authorization`](Self::authorization)
    /// (or `BearerExt::bearer_token` on a reqwest request).
    /// rustc's hint to write `{:?}` instead would send `AccessToken([redacted])`; where the raw
    /// string must go over the wire another way, call
    /// [`expose_secret`](AccessToken::expose_secret).
    ///
    /// ```compile_fail
    /// let token = freshtoken::Token::builder("s3cr3t").build().unwrap();
    /// let header = format!("Bearer {}", token.access_token()); // use `token.authorization()`
    /// ```
    #[must_use]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The token type (`Bearer` unless the server said otherwise).
    #[must_use]
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// The value of the `Authorization` header, `"Bearer <access token>"`, built once when the
    /// token was built and marked sensitive (HTTP clients keep it out of their logs and out of
    /// HPACK tables). Cloning it copies no bytes. This, not `format!("Bearer {}", ...)`, is how
    /// a token goes into a header.
    ///
    /// ```
    /// let token = freshtoken::Token::builder("s3cr3t").build()?;
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(http::header::AUTHORIZATION, token.authorization().clone());
    /// assert_eq!(headers["authorization"], "Bearer s3cr3t");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(
        alias = "header",
        alias = "bearer",
        alias = "to_string",
        alias = "format"
    )]
    #[must_use]
    pub fn authorization(&self) -> &HeaderValue {
        &self.authorization
    }

    /// The refresh token, if the server issued one (or an earlier token's was carried over).
    #[must_use]
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// The scope the server granted, if it said.
    #[must_use]
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The protected resource the token was requested for (the `resource` indicator of
    /// RFC 8707 the OAuth sources send when given one), if any.
    #[must_use]
    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// When the token was built (received).
    #[must_use]
    pub fn received_at(&self) -> Instant {
        self.received_at
    }

    /// When the token expires, or `None` if that is unknown.
    #[must_use]
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// How long the token lives in all, from receipt to expiry, if known.
    #[must_use]
    pub fn lifetime(&self) -> Option<Duration> {
        self.expires_at.map(|at| at - self.received_at)
    }

    /// Whether the expiry is known and has passed.
    #[must_use]
    pub fn is_expired(&self) -> bool {
        self.expires_at.is_some_and(|at| at <= Instant::now())
    }

    /// Whether requests with this token need a DPoP proof as well.
    #[inline]
    #[cfg_attr(not(feature = "dpop"), allow(clippy::unused_self))]
    #[cfg_attr(
        not(any(feature = "reqwest", feature = "tower")),
        allow(dead_code) // only the integrations send tokens
    )]
    pub(crate) fn is_dpop_bound(&self) -> bool {
        #[cfg(feature = "dpop")]
        return self.dpop.is_some();
        #[cfg(not(feature = "dpop"))]
        false
    }

    /// Whether `other` is this very token (or a clone of it), not merely an equal string.
    pub(crate) fn is_same(&self, other: &Token) -> bool {
        self.id == other.id
    }

    /// Whether `other` carries the same access and refresh tokens (a token read back from a
    /// store is a new `Token` with the same secrets).
    pub(crate) fn same_secrets(&self, other: &Token) -> bool {
        fn refresh(token: &Token) -> Option<&str> {
            token.refresh_token().map(RefreshToken::expose_secret)
        }
        self.access_token.expose_secret() == other.access_token.expose_secret()
            && refresh(self) == refresh(other)
    }

    /// This token without its refresh token (after the server said the refresh token is dead).
    pub(crate) fn without_refresh_token(&self) -> Token {
        Token {
            refresh_token: None,
            ..self.clone()
        }
    }

    /// Keeps a refresh token that the server did not resend with this token, and the
    /// resource it was requested for when the source did not say (a refresh is for the
    /// resource of the grant it renews).
    pub(crate) fn inherit_refresh_token(&mut self, previous: &Token) {
        if self.refresh_token.is_none() {
            self.refresh_token.clone_from(&previous.refresh_token);
        }
        if self.resource.is_none() {
            self.resource.clone_from(&previous.resource);
        }
    }

    /// Marks the token as requested for `resource` (the sources do, after the answer).
    pub(crate) fn set_resource(&mut self, resource: Option<&str>) {
        if let Some(resource) = resource {
            self.resource = Some(resource.to_owned());
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expires_in = self
            .expires_at
            .map(|at| at.saturating_duration_since(Instant::now()));
        f.debug_struct("Token")
            .field("token_type", &self.token_type)
            .field("access_token", &self.access_token)
            .field("expires_in", &expires_in)
            .field("refresh_token", &self.refresh_token)
            .field("scope", &self.scope)
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Token`]; see [`Token::builder`].
#[derive(Debug)]
#[must_use]
pub struct TokenBuilder {
    access_token: AccessToken,
    token_type: Option<String>,
    expires_in: Option<Duration>,
    received_at: Option<SystemTime>,
    refresh_token: Option<RefreshToken>,
    scope: Option<String>,
    resource: Option<String>,
    #[cfg(feature = "dpop")]
    pub(crate) dpop_key: Option<crate::dpop::DpopKey>,
}

impl TokenBuilder {
    /// The token type the server sent. `bearer` in any case becomes `Bearer`; other schemes
    /// are kept as they are.
    pub fn token_type(mut self, token_type: impl Into<String>) -> Self {
        self.token_type = Some(token_type.into());
        self
    }

    /// The lifetime the server sent (`expires_in`), counted from receipt: when `build` is
    /// called, or [`received_at`](Self::received_at). Takes precedence over the JWT claims.
    /// More than a century counts as unknown.
    pub fn expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = Some(expires_in);
        self
    }

    /// When the token was received, on the wall clock, if that was before `build`: for a token
    /// read back from storage, so that every process sharing it gives it the same
    /// [`lifetime`](Token::lifetime) and renews it at the same time. The lifetime (from
    /// [`expires_in`](Self::expires_in) or the JWT claims) is counted from this time, and
    /// [`Token::received_at`] is this time on this process's monotonic clock.
    ///
    /// A time in the future (the clock of the host that saved the token is ahead, or ours was
    /// set back) counts as now. A time too far back for this process's monotonic clock keeps
    /// the expiry and makes the receipt now, with the lifetime that is left.
    ///
    /// A [`TokenStore`](crate::TokenStore) saves
    /// `SystemTime::now() - token.received_at().elapsed()` and
    /// [`lifetime`](Token::lifetime), and restores both:
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use freshtoken::Token;
    ///
    /// // Saved by another process, which received it 100 s ago with a 300 s lifetime.
    /// let received = SystemTime::now() - Duration::from_secs(100);
    /// let token = Token::builder("access")
    ///     .received_at(received)
    ///     .expires_in(Duration::from_secs(300))
    ///     .build()?;
    /// assert_eq!(token.lifetime(), Some(Duration::from_secs(300)));
    /// let left = token.expires_at().unwrap() - tokio::time::Instant::now();
    /// assert!(left <= Duration::from_secs(200) && left > Duration::from_secs(190));
    /// # Ok::<(), freshtoken::AuthError>(())
    /// ```
    pub fn received_at(mut self, received_at: SystemTime) -> Self {
        self.received_at = Some(received_at);
        self
    }

    /// The refresh token the server sent.
    pub fn refresh_token(mut self, refresh_token: impl Into<RefreshToken>) -> Self {
        self.refresh_token = Some(refresh_token.into());
        self
    }

    /// The scope the server granted.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The protected resource the token was requested for (RFC 8707's `resource`).
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Fixes the expiry deadline and builds the `Authorization` header.
    ///
    /// The deadline is the receipt plus `expires_in`, else plus a JWT's `exp - iat`, else the
    /// JWT's `exp` on the local clock if it has not passed, else unknown: see [`Token`] for why.
    ///
    /// # Errors
    /// [`AuthErrorKind::InvalidToken`](crate::AuthErrorKind::InvalidToken) when the access token is empty or holds characters that
    /// an HTTP header cannot carry, or when the token type is not a single word.
    pub fn build(self) -> Result<Token, AuthError> {
        let secret = self.access_token.expose_secret();
        if secret.is_empty() {
            return Err(AuthError::invalid_token("the access token is empty"));
        }
        let token_type = normalize_token_type(self.token_type)?;
        let authorization = header_value(&token_type, secret)?;
        // A key only binds a token the server said is bound; a `Bearer` answer is used as
        // one.
        #[cfg(feature = "dpop")]
        let dpop = self
            .dpop_key
            .filter(|_| token_type.eq_ignore_ascii_case("DPoP"))
            .map(|key| std::sync::Arc::new(crate::dpop::Binding::new(key, secret)));

        let now = Instant::now();
        let wall_now = SystemTime::now();
        // A receipt in the future is another host's clock, or ours set back: it counts as now.
        let received = self
            .received_at
            .filter(|at| *at < wall_now)
            .unwrap_or(wall_now);
        let ago = wall_now.duration_since(received).unwrap_or_default();
        let lifetime = self
            .expires_in
            .or_else(|| jwt::lifetime(secret, received))
            // An absurd lifetime means "no known expiry", not an overflow.
            .filter(|lifetime| *lifetime <= MAX_LIFETIME);
        let (received_at, expires_at) = match now.checked_sub(ago) {
            Some(received_at) => (
                received_at,
                lifetime.and_then(|lifetime| received_at.checked_add(lifetime)),
            ),
            // Before this monotonic clock's start (boot, on some platforms): received now,
            // expiring when it would have.
            None => (
                now,
                lifetime.and_then(|lifetime| now.checked_add(lifetime.saturating_sub(ago))),
            ),
        };

        Ok(Token {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            access_token: self.access_token,
            token_type,
            authorization,
            received_at,
            expires_at,
            refresh_token: self.refresh_token,
            scope: self.scope,
            resource: self.resource,
            #[cfg(feature = "dpop")]
            dpop,
        })
    }
}

fn normalize_token_type(token_type: Option<String>) -> Result<String, AuthError> {
    let Some(token_type) = token_type else {
        return Ok("Bearer".to_owned());
    };
    if token_type.eq_ignore_ascii_case("bearer") {
        return Ok("Bearer".to_owned());
    }
    let is_word = !token_type.is_empty()
        && token_type
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if is_word {
        Ok(token_type)
    } else {
        Err(AuthError::invalid_token(format!(
            "token type {token_type:?} is not a valid HTTP authentication scheme (expected a \
             single word such as \"Bearer\")"
        )))
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn jwt_expiring_in(secs: u64) -> String {
        let exp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + secs;
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#));
        format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig")
    }

    #[tokio::test(start_paused = true)]
    async fn expires_in_sets_a_monotonic_deadline() {
        let token = Token::builder("a")
            .expires_in(Duration::from_secs(60))
            .build()
            .unwrap();
        assert_eq!(token.lifetime(), Some(Duration::from_secs(60)));
        assert!(!token.is_expired());
        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(token.is_expired());
    }

    #[tokio::test(start_paused = true)]
    async fn jwt_exp_is_used_when_expires_in_is_absent() {
        let token = Token::builder(jwt_expiring_in(300)).build().unwrap();
        let lifetime = token.lifetime().unwrap();
        // The wall clock may tick between making and reading the JWT.
        assert!(lifetime <= Duration::from_secs(300) && lifetime > Duration::from_secs(298));
    }

    #[tokio::test(start_paused = true)]
    async fn expires_in_wins_over_jwt_exp() {
        let token = Token::builder(jwt_expiring_in(300))
            .expires_in(Duration::from_secs(10))
            .build()
            .unwrap();
        assert_eq!(token.lifetime(), Some(Duration::from_secs(10)));
    }

    #[test]
    fn opaque_token_without_expires_in_has_unknown_expiry() {
        let token = Token::builder("opaque").build().unwrap();
        assert_eq!(token.expires_at(), None);
        assert!(!token.is_expired());
    }

    #[test]
    fn absurd_expires_in_means_unknown_expiry() {
        let token = Token::builder("a")
            .expires_in(Duration::MAX)
            .build()
            .unwrap();
        assert_eq!(token.expires_at(), None);
    }

    #[test]
    fn a_lifetime_beyond_a_century_means_unknown_expiry() {
        let century = Token::builder("a")
            .expires_in(MAX_LIFETIME)
            .build()
            .unwrap();
        assert_eq!(century.lifetime(), Some(MAX_LIFETIME));
        // Past i64::MAX seconds since 1970: the monotonic clock can hold it, the wall clock
        // cannot, and saving the token converted it.
        let exp = 9_223_372_037_854_775_807_u64;
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#));
        for builder in [
            Token::builder("a").expires_in(MAX_LIFETIME + Duration::from_secs(1)),
            Token::builder(format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig")),
        ] {
            assert_eq!(builder.build().unwrap().expires_at(), None);
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let token = Token::builder("access-SECRET-1")
            .refresh_token("refresh-SECRET-2")
            .scope("tasks:read")
            .build()
            .unwrap();
        let debug = format!("{token:?} {:?}", token.authorization());
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(debug.contains("tasks:read"), "{debug}");
    }

    #[test]
    fn token_type_is_normalized_and_validated() {
        let token = Token::builder("a").token_type("bearer").build().unwrap();
        assert_eq!(token.authorization().to_str().unwrap(), "Bearer a");
        let token = Token::builder("a").token_type("DPoP").build().unwrap();
        assert_eq!(token.authorization().to_str().unwrap(), "DPoP a");
        for bad in ["", "Bearer x", "Bé"] {
            let err = Token::builder("a").token_type(bad).build().unwrap_err();
            assert!(err.to_string().contains("authentication scheme"), "{err}");
        }
    }

    #[test]
    fn empty_or_unsendable_access_tokens_are_rejected() {
        let err = Token::builder("").build().unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let err = Token::builder("line\r\nbreak").build().unwrap_err();
        assert!(err.to_string().contains("HTTP header"), "{err}");
        assert!(!err.to_string().contains("break"), "{err}");
    }

    #[test]
    fn clones_are_the_same_token_and_rebuilds_are_not() {
        let a = Token::builder("x").build().unwrap();
        let b = Token::builder("x").build().unwrap();
        assert!(a.is_same(&a.clone()));
        assert!(!a.is_same(&b));
    }

    #[test]
    fn a_refreshed_token_keeps_the_resource_of_the_token_it_renews_unless_it_names_one() {
        let old = Token::builder("1")
            .resource("https://mcp.example/")
            .build()
            .unwrap();
        let mut renewed = Token::builder("2").build().unwrap();
        renewed.inherit_refresh_token(&old);
        assert_eq!(renewed.resource(), Some("https://mcp.example/"));
        let mut other = Token::builder("3")
            .resource("https://other.example/")
            .build()
            .unwrap();
        other.inherit_refresh_token(&old);
        assert_eq!(other.resource(), Some("https://other.example/"));
        let debug = format!("{other:?}");
        assert!(debug.contains("https://other.example/"), "{debug}");
    }

    #[test]
    fn refresh_token_is_inherited_only_when_missing() {
        let old = Token::builder("1").refresh_token("r1").build().unwrap();
        let mut without = Token::builder("2").build().unwrap();
        without.inherit_refresh_token(&old);
        assert_eq!(without.refresh_token().unwrap().expose_secret(), "r1");
        let mut rotated = Token::builder("3").refresh_token("r2").build().unwrap();
        rotated.inherit_refresh_token(&old);
        assert_eq!(rotated.refresh_token().unwrap().expose_secret(), "r2");
    }
}

#[cfg(test)]
#[path = "token_lifetime_tests.rs"]
mod lifetime_tests;
