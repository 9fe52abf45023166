// Input: events counted by the token API shapes' handlers as they happen.
// Output: `TokenApiStats`, one `ShapeStats` per shape, part of `ServerStats`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::Shape;

/// What the routes of one token API shape have done since the server started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShapeStats {
    /// Requests to the shape's login and refresh routes, whatever their answer.
    pub token_requests: u64,
    /// Logins answered with a token.
    pub logins: u64,
    /// Refreshes answered with a token.
    pub refreshes: u64,
    /// Logins and refreshes refused (wrong password, a bad, expired, revoked or reused
    /// refresh token, a body the route does not take).
    pub refused: u64,
}

/// The counters of the token API shapes, one [`ShapeStats`] each (see the
/// [server's documentation](crate::server#token-apis-of-other-shapes)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenApiStats {
    /// `/fastapi/...`.
    pub fastapi: ShapeStats,
    /// `/flask/...`.
    pub flask: ShapeStats,
    /// `/cookie/...`.
    pub cookie: ShapeStats,
    /// `/keys/...`.
    pub keys: ShapeStats,
    /// `/refresh-only/...`.
    pub refresh_only: ShapeStats,
}

/// The live counters of one shape.
#[derive(Debug, Default)]
struct ShapeCounters {
    token_requests: AtomicU64,
    logins: AtomicU64,
    refreshes: AtomicU64,
    refused: AtomicU64,
}

impl ShapeCounters {
    fn snapshot(&self) -> ShapeStats {
        ShapeStats {
            token_requests: self.token_requests.load(Ordering::Relaxed),
            logins: self.logins.load(Ordering::Relaxed),
            refreshes: self.refreshes.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}

/// The live counters behind [`TokenApiStats`].
#[derive(Debug, Default)]
pub(crate) struct TokenApiCounters {
    fastapi: ShapeCounters,
    flask: ShapeCounters,
    cookie: ShapeCounters,
    keys: ShapeCounters,
    refresh_only: ShapeCounters,
}

impl TokenApiCounters {
    fn of(&self, shape: Shape) -> &ShapeCounters {
        match shape {
            Shape::FastApi => &self.fastapi,
            Shape::Flask => &self.flask,
            Shape::Cookie => &self.cookie,
            Shape::Keys => &self.keys,
            Shape::RefreshOnly => &self.refresh_only,
        }
    }

    pub(crate) fn token_request(&self, shape: Shape) {
        self.of(shape)
            .token_requests
            .fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn login(&self, shape: Shape) {
        self.of(shape).logins.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn refresh(&self, shape: Shape) {
        self.of(shape).refreshes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn refused(&self, shape: Shape) {
        self.of(shape).refused.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> TokenApiStats {
        TokenApiStats {
            fastapi: self.fastapi.snapshot(),
            flask: self.flask.snapshot(),
            cookie: self.cookie.snapshot(),
            keys: self.keys.snapshot(),
            refresh_only: self.refresh_only.snapshot(),
        }
    }
}
