// Input: a token's expiry and the cache's margins.
// Output: the instants at which the token starts ageing, goes stale and expires.

use std::time::Duration;

use tokio::time::Instant;

use super::config::Config;
use crate::Token;

/// Where a token stands at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Serve it.
    Fresh,
    /// Serve it, and renew it in the background.
    Ageing,
    /// Within the refresh margin: wait for a new one, but it may still be used if that fails.
    Stale,
    /// Past its expiry.
    Expired,
}

/// The deadlines of one token in one cache; `None` in [`Schedule::of`] means the expiry is
/// unknown and the token is fresh until invalidated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schedule {
    ageing_at: Instant,
    stale_at: Instant,
    expires_at: Instant,
}

impl Schedule {
    /// The lead time (margin plus refresh-ahead window) is capped at half the token's
    /// lifetime, so every token serves for at least half its life: a 3-second token with a
    /// 60-second margin is renewed every 1.5 s, not on every call. A capped lead is shared
    /// between the two in the configured proportion, so a short token still has its
    /// refresh-ahead window: with the default 60 s and 60 s, a 4-second token ages at 2 s and
    /// goes stale at 3 s, and a background refresh renews it before any caller must wait.
    pub(crate) fn of(token: &Token, config: &Config) -> Option<Self> {
        let expires_at = token.expires_at()?;
        let half_life = (expires_at - token.received_at()) / 2;
        let full_lead = config.refresh_margin.saturating_add(config.refresh_ahead);
        let lead = full_lead.min(half_life);
        let margin = if lead < full_lead {
            lead.mul_f64(config.refresh_margin.as_secs_f64() / full_lead.as_secs_f64())
        } else {
            config.refresh_margin
        };
        let before = |lead: Duration| expires_at.checked_sub(lead).unwrap_or(expires_at);
        Some(Self {
            ageing_at: before(lead),
            stale_at: before(margin),
            expires_at,
        })
    }

    /// A schedule by which a token is expired from `now` on (`TokenCache::expire_now`).
    pub(crate) fn expired_at(now: Instant) -> Self {
        Self {
            ageing_at: now,
            stale_at: now,
            expires_at: now,
        }
    }

    pub(crate) fn freshness(&self, now: Instant) -> Freshness {
        if now < self.ageing_at {
            Freshness::Fresh
        } else if now < self.stale_at {
            Freshness::Ageing
        } else if now < self.expires_at {
            Freshness::Stale
        } else {
            Freshness::Expired
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(margin: u64, ahead: u64) -> Config {
        Config {
            refresh_margin: Duration::from_secs(margin),
            refresh_ahead: Duration::from_secs(ahead),
            ..Config::default()
        }
    }

    fn token(lifetime: u64) -> Token {
        Token::builder("t")
            .expires_in(Duration::from_secs(lifetime))
            .build()
            .unwrap()
    }

    fn freshness_at(schedule: Schedule, token: &Token, secs: f64) -> Freshness {
        schedule.freshness(token.received_at() + Duration::from_secs_f64(secs))
    }

    #[test]
    fn long_token_ages_then_goes_stale_then_expires() {
        let token = token(3600);
        let schedule = Schedule::of(&token, &config(60, 60)).unwrap();
        assert_eq!(freshness_at(schedule, &token, 0.0), Freshness::Fresh);
        assert_eq!(freshness_at(schedule, &token, 3479.0), Freshness::Fresh);
        assert_eq!(freshness_at(schedule, &token, 3480.0), Freshness::Ageing);
        assert_eq!(freshness_at(schedule, &token, 3540.0), Freshness::Stale);
        assert_eq!(freshness_at(schedule, &token, 3600.0), Freshness::Expired);
    }

    #[test]
    fn short_token_serves_half_its_life_then_ages_before_going_stale() {
        let token = token(4);
        let schedule = Schedule::of(&token, &config(60, 60)).unwrap();
        assert_eq!(freshness_at(schedule, &token, 1.99), Freshness::Fresh);
        assert_eq!(freshness_at(schedule, &token, 2.0), Freshness::Ageing);
        assert_eq!(freshness_at(schedule, &token, 2.99), Freshness::Ageing);
        assert_eq!(freshness_at(schedule, &token, 3.0), Freshness::Stale);
        assert_eq!(freshness_at(schedule, &token, 4.0), Freshness::Expired);
    }

    #[test]
    fn a_capped_lead_is_shared_in_the_configured_proportion() {
        // 90 s margin and 30 s ahead on a 120 s token: 60 s of lead, 45 s of it margin.
        let token = token(120);
        let schedule = Schedule::of(&token, &config(90, 30)).unwrap();
        assert_eq!(freshness_at(schedule, &token, 59.9), Freshness::Fresh);
        assert_eq!(freshness_at(schedule, &token, 60.0), Freshness::Ageing);
        assert_eq!(freshness_at(schedule, &token, 74.9), Freshness::Ageing);
        assert_eq!(freshness_at(schedule, &token, 75.0), Freshness::Stale);
    }

    #[test]
    fn a_short_token_without_refresh_ahead_goes_stale_at_half_life() {
        let token = token(3);
        let schedule = Schedule::of(&token, &config(60, 0)).unwrap();
        assert_eq!(freshness_at(schedule, &token, 1.49), Freshness::Fresh);
        assert_eq!(freshness_at(schedule, &token, 1.5), Freshness::Stale);
    }

    #[test]
    fn no_refresh_ahead_goes_straight_to_stale() {
        let token = token(3600);
        let schedule = Schedule::of(&token, &config(60, 0)).unwrap();
        assert_eq!(freshness_at(schedule, &token, 3539.0), Freshness::Fresh);
        assert_eq!(freshness_at(schedule, &token, 3540.0), Freshness::Stale);
    }

    #[test]
    fn unknown_expiry_has_no_schedule() {
        let token = Token::builder("opaque").build().unwrap();
        assert!(Schedule::of(&token, &Config::default()).is_none());
    }
}
