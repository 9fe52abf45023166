// Input: the state that made the cache go to the token source.
// Output: a name for it, reported in tracing events.

use std::fmt;

/// Why the cache asked its [`TokenSource`](crate::TokenSource) for a new token.
///
/// Reported in the `reason` field of every refresh event (target `freshtoken`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefreshReason {
    /// The cache held no token yet (first use, or after [`reset`](crate::TokenCache::reset)).
    NoToken,
    /// The token expired, or came within the refresh margin of its expiry.
    Expired,
    /// The token is still good but ageing: it is renewed in the background while it serves.
    RefreshAhead,
    /// [`TokenCache::refresh`](crate::TokenCache::refresh) asked for a new token.
    Forced,
    /// The server answered 401 to the token, and it was
    /// [invalidated](crate::TokenCache::invalidate).
    Unauthorized,
    /// A resource refused the token for lack of scope (`insufficient_scope`), and a token
    /// with wider scopes was asked for ([`TokenCache::step_up_for`](crate::TokenCache::step_up_for)).
    StepUp,
}

impl RefreshReason {
    /// A short, stable name: `no_token`, `expired`, `refresh_ahead`, `forced`, `unauthorized`,
    /// `step_up`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoToken => "no_token",
            Self::Expired => "expired",
            Self::RefreshAhead => "refresh_ahead",
            Self::Forced => "forced",
            Self::Unauthorized => "unauthorized",
            Self::StepUp => "step_up",
        }
    }
}

impl fmt::Display for RefreshReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
