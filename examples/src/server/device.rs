// Input: device authorizations started at `/oauth/device_authorization`, decisions from
// `/oauth/device/approve`, and polls of the device code grant (RFC 8628).
// Output: each poll's outcome: pending, slow down (the interval grows by 5 s), denied,
// expired, or approved for a user (once).

use std::collections::HashMap;
use std::io;
use std::time::Duration;

/// How much `slow_down` adds to a device code's interval (RFC 8628 §3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// How long an expired device code is kept to answer `expired_token` rather than
/// `invalid_grant`.
const KEEP_EXPIRED: Duration = Duration::from_secs(600);

/// The letters of user codes: no vowels (no words), no look-alikes (RFC 8628 §6.1).
const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// What the user answered, if anything yet.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    Pending,
    Approved(String),
    Denied,
}

/// One device authorization. No `Debug`: it is kept under its device code.
pub(crate) struct DeviceGrant {
    pub(crate) client_id: String,
    pub(crate) scope: Option<String>,
    /// The resource (RFC 8707) the device authorization request named.
    pub(crate) resource: Option<String>,
    /// The user code, normalized (see [`normalize_user_code`]).
    pub(crate) user_code: String,
    pub(crate) expires_at: Duration,
    /// The minimum time between two polls; grows with each `slow_down`.
    pub(crate) interval: Duration,
    last_poll: Option<Duration>,
    decision: Decision,
}

impl DeviceGrant {
    pub(crate) fn new(
        client_id: String,
        scope: Option<String>,
        user_code: String,
        expires_at: Duration,
        interval: Duration,
    ) -> Self {
        Self {
            client_id,
            scope,
            resource: None,
            user_code,
            expires_at,
            interval,
            last_poll: None,
            decision: Decision::Pending,
        }
    }
}

/// What a poll of the token endpoint gets.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Poll {
    /// No such device code for this client (or it was already exchanged).
    Unknown,
    Pending,
    /// Polled sooner than the interval after the previous poll; the interval grew.
    SlowDown,
    Denied,
    Expired,
    /// Approved for this user and scope: the device code is spent.
    Approved {
        user: String,
        scope: Option<String>,
    },
}

/// Why a decision was not recorded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DecideError {
    /// No live device authorization has that user code.
    Unknown,
    /// The user already approved or denied it.
    AlreadyDecided,
}

/// The device authorizations not exchanged yet, by device code. No `Debug`: the keys are
/// device codes.
#[derive(Default)]
pub(crate) struct DeviceGrants {
    by_device_code: HashMap<String, DeviceGrant>,
    /// Normalized user code -> device code.
    by_user_code: HashMap<String, String>,
}

impl DeviceGrants {
    /// Whether a live authorization already has this (normalized) user code.
    pub(crate) fn user_code_taken(&self, user_code: &str) -> bool {
        self.by_user_code.contains_key(user_code)
    }

    /// Remembers a new authorization, forgetting those long expired.
    pub(crate) fn insert(&mut self, device_code: String, grant: DeviceGrant, now: Duration) {
        self.by_device_code
            .retain(|_, grant| now < grant.expires_at.saturating_add(KEEP_EXPIRED));
        let live: &HashMap<String, DeviceGrant> = &self.by_device_code;
        self.by_user_code
            .retain(|_, device_code| live.contains_key(device_code));
        self.by_user_code
            .insert(grant.user_code.clone(), device_code.clone());
        self.by_device_code.insert(device_code, grant);
    }

    /// Records the user's answer for `user_code` (any case, dashes ignored): approved for
    /// `user`, or denied when `user` is `None`.
    pub(crate) fn decide(
        &mut self,
        user_code: &str,
        user: Option<String>,
        now: Duration,
    ) -> Result<(), DecideError> {
        let grant = self
            .by_user_code
            .get(&normalize_user_code(user_code))
            .and_then(|device_code| self.by_device_code.get_mut(device_code))
            .filter(|grant| now < grant.expires_at)
            .ok_or(DecideError::Unknown)?;
        if grant.decision != Decision::Pending {
            return Err(DecideError::AlreadyDecided);
        }
        grant.decision = user.map_or(Decision::Denied, Decision::Approved);
        Ok(())
    }

    /// The resource the authorization of `device_code` named, if any.
    pub(crate) fn resource(&self, device_code: &str) -> Option<String> {
        self.by_device_code.get(device_code)?.resource.clone()
    }

    /// A poll by `client_id` for `device_code` at `now`.
    pub(crate) fn poll(&mut self, device_code: &str, client_id: &str, now: Duration) -> Poll {
        let Some(grant) = self
            .by_device_code
            .get_mut(device_code)
            .filter(|grant| grant.client_id == client_id)
        else {
            return Poll::Unknown;
        };
        if now >= grant.expires_at {
            return Poll::Expired;
        }
        let too_soon = grant
            .last_poll
            .is_some_and(|last| now < last.saturating_add(grant.interval));
        grant.last_poll = Some(now);
        if too_soon {
            grant.interval = grant.interval.saturating_add(SLOW_DOWN_STEP);
            return Poll::SlowDown;
        }
        match grant.decision.clone() {
            Decision::Pending => Poll::Pending,
            Decision::Denied => Poll::Denied,
            Decision::Approved(user) => {
                let grant = self
                    .by_device_code
                    .remove(device_code)
                    .expect("the grant was just found");
                self.by_user_code.remove(&grant.user_code);
                Poll::Approved {
                    user,
                    scope: grant.scope,
                }
            }
        }
    }
}

/// A user code as typed: upper case, without dashes or spaces.
pub(crate) fn normalize_user_code(user_code: &str) -> String {
    user_code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// 8 random letters of [`USER_CODE_ALPHABET`] (about 34 bits), normalized; show it with
/// [`display_user_code`].
pub(crate) fn random_user_code() -> io::Result<String> {
    let mut code = String::with_capacity(8);
    while code.len() < 8 {
        let mut bytes = [0_u8; 16];
        getrandom::fill(&mut bytes).map_err(io::Error::other)?;
        // 240 is the largest multiple of 20 below 256: no letter is likelier than another.
        for byte in bytes.into_iter().filter(|&byte| byte < 240) {
            if code.len() < 8 {
                code.push(char::from(USER_CODE_ALPHABET[usize::from(byte % 20)]));
            }
        }
    }
    Ok(code)
}

/// `BCDFGHJK` as `BCDF-GHJK`, easier to read and type.
pub(crate) fn display_user_code(user_code: &str) -> String {
    let (head, tail) = user_code.split_at(user_code.len() / 2);
    format!("{head}-{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn grants() -> DeviceGrants {
        let mut grants = DeviceGrants::default();
        let grant = DeviceGrant::new("cli".into(), None, "BCDFGHJK".into(), 100 * SEC, 5 * SEC);
        grants.insert("device".into(), grant, Duration::ZERO);
        grants
    }

    #[test]
    fn polling_faster_than_the_interval_grows_it_by_five_seconds() {
        let mut grants = grants();
        assert_eq!(grants.poll("device", "cli", Duration::ZERO), Poll::Pending);
        assert_eq!(grants.poll("device", "cli", 4 * SEC), Poll::SlowDown);
        // Now 10 s from the last poll.
        assert_eq!(grants.poll("device", "cli", 13 * SEC), Poll::SlowDown);
        assert_eq!(grants.poll("device", "cli", 28 * SEC), Poll::Pending);
    }

    #[test]
    fn an_approval_is_handed_out_once() {
        let mut grants = grants();
        grants
            .decide("bcdf-ghjk", Some("alice".into()), SEC)
            .unwrap();
        assert_eq!(
            grants.decide("BCDFGHJK", None, SEC),
            Err(DecideError::AlreadyDecided)
        );
        assert_eq!(grants.poll("device", "other", SEC), Poll::Unknown);
        assert_eq!(
            grants.poll("device", "cli", SEC),
            Poll::Approved {
                user: "alice".into(),
                scope: None
            }
        );
        assert_eq!(grants.poll("device", "cli", 10 * SEC), Poll::Unknown);
        assert_eq!(
            grants.decide("BCDFGHJK", None, SEC),
            Err(DecideError::Unknown)
        );
    }

    #[test]
    fn denied_and_expired_stay_so() {
        let mut grants = grants();
        grants.decide("BCDFGHJK", None, SEC).unwrap();
        assert_eq!(grants.poll("device", "cli", SEC), Poll::Denied);
        assert_eq!(grants.poll("device", "cli", 10 * SEC), Poll::Denied);
        assert_eq!(grants.poll("device", "cli", 100 * SEC), Poll::Expired);
        assert_eq!(grants.poll("device", "cli", 200 * SEC), Poll::Expired);
    }

    #[test]
    fn user_codes_are_eight_letters_shown_in_two_halves() {
        let code = random_user_code().unwrap();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)));
        assert_eq!(display_user_code("BCDFGHJK"), "BCDF-GHJK");
        assert_eq!(normalize_user_code("bcdf-ghjk "), "BCDFGHJK");
    }
}
