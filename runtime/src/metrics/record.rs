// Input: the events of a cache's slow path (a wait, a refresh, a store call, a resend).
// Output: their instruments recorded through the `metrics` facade, or nothing at all without
// the feature (every function here is then an empty inline body).
//
// Never called on the fast path: a served token records nothing.

#![cfg_attr(not(feature = "metrics"), allow(unused_variables, dead_code))]

use std::time::Duration;

use crate::{AuthError, RefreshReason};

/// The name of a refresh reason as an attribute value.
pub(crate) fn reason_name(reason: RefreshReason) -> &'static str {
    match reason {
        RefreshReason::NoToken => "absent",
        RefreshReason::Expired => "expired",
        RefreshReason::RefreshAhead => "ageing",
        RefreshReason::Forced => "forced",
        RefreshReason::Unauthorized => "unauthorized",
        RefreshReason::StepUp => "step_up",
    }
}

fn outcome<T, E>(result: &Result<T, E>) -> &'static str {
    if result.is_ok() { "success" } else { "error" }
}

/// A caller waited `waited` for a token, and got one or an error.
#[inline]
pub(crate) fn token_waited(cache: &str, waited: Duration, result: &Result<impl Sized, AuthError>) {
    #[cfg(feature = "metrics")]
    ::metrics::histogram!(
        super::names::TOKEN_WAIT_DURATION,
        "freshtoken.cache" => cache.to_owned(),
        "freshtoken.outcome" => outcome(result),
    )
    .record(waited.as_secs_f64());
}

/// A caller joined a refresh another caller started.
#[inline]
pub(crate) fn refresh_joined(cache: &str) {
    #[cfg(feature = "metrics")]
    ::metrics::counter!(super::names::TOKEN_COALESCED, "freshtoken.cache" => cache.to_owned())
        .increment(1);
}

/// A refresh for `reason` ended after `took`.
pub(crate) fn refreshed(
    cache: &str,
    grant_type: &'static str,
    reason: RefreshReason,
    took: Duration,
    result: &Result<impl Sized, AuthError>,
) {
    #[cfg(feature = "metrics")]
    {
        let reason = reason_name(reason);
        // `error.type` and `oauth.error` only on failures, as OpenTelemetry's conventions
        // have it.
        let histogram = match result {
            Ok(_) => ::metrics::histogram!(
                super::names::TOKEN_REQUEST_DURATION,
                "freshtoken.cache" => cache.to_owned(),
                "freshtoken.grant_type" => grant_type,
                "freshtoken.reason" => reason,
                "freshtoken.outcome" => "success",
            ),
            Err(error) => ::metrics::histogram!(
                super::names::TOKEN_REQUEST_DURATION,
                "freshtoken.cache" => cache.to_owned(),
                "freshtoken.grant_type" => grant_type,
                "freshtoken.reason" => reason,
                "freshtoken.outcome" => "error",
                "error.type" => error.kind_name(),
                "oauth.error" => oauth_error(error),
            ),
        };
        histogram.record(took.as_secs_f64());
        ::metrics::counter!(
            super::names::TOKEN_REFRESHES,
            "freshtoken.cache" => cache.to_owned(),
            "freshtoken.reason" => reason,
            "freshtoken.outcome" => outcome(result),
        )
        .increment(1);
    }
}

/// The token endpoint's RFC 6749 error code (RFC 8628's, RFC 9449's, RFC 8707's), when a
/// failed refresh carries one: only the registered codes, so that a server's own cannot grow
/// the number of series (`other`); `none` when the failure had no endpoint's answer.
#[cfg(feature = "metrics")]
fn oauth_error(error: &AuthError) -> &'static str {
    #[cfg(feature = "reqwest")]
    {
        use crate::AuthErrorKind;
        const REGISTERED: [&str; 15] = [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "access_denied",
            "server_error",
            "temporarily_unavailable",
            "authorization_pending",
            "slow_down",
            "expired_token",
            "invalid_dpop_proof",
            "use_dpop_nonce",
            "invalid_target",
        ];
        let (AuthErrorKind::RefreshFailed { source, .. }
        | AuthErrorKind::ReauthenticationRequired { source }
        | AuthErrorKind::InvalidClient { source }
        | AuthErrorKind::Rejected { source }) = error.kind()
        else {
            return "none";
        };
        match source
            .downcast_ref::<crate::oauth::EndpointError>()
            .and_then(crate::oauth::EndpointError::error_code)
        {
            Some(code) => REGISTERED
                .iter()
                .find(|registered| **registered == code)
                .copied()
                .unwrap_or("other"),
            None => "none",
        }
    }
    #[cfg(not(feature = "reqwest"))]
    {
        let _ = error;
        "none"
    }
}

/// A token was replaced while it still had `remaining` to live (zero if it had expired).
pub(crate) fn token_replaced(cache: &str, remaining: Duration) {
    #[cfg(feature = "metrics")]
    ::metrics::histogram!(
        super::names::TOKEN_REMAINING_LIFETIME,
        "freshtoken.cache" => cache.to_owned(),
    )
    .record(remaining.as_secs_f64());
}

/// Refreshes failed in a row, now (0 after a success).
pub(crate) fn failures_in_a_row(cache: &str, failures: u32) {
    #[cfg(feature = "metrics")]
    ::metrics::gauge!(
        super::names::TOKEN_REFRESH_FAILURES,
        "freshtoken.cache" => cache.to_owned(),
    )
    .set(f64::from(failures));
}

/// A request is sent again, for `reason` (`unauthorized`, `nonce`).
pub(crate) fn resent(cache: &str, reason: &'static str) {
    #[cfg(feature = "metrics")]
    ::metrics::counter!(
        super::names::REQUEST_RESENDS,
        "freshtoken.cache" => cache.to_owned(),
        "freshtoken.reason" => reason,
    )
    .increment(1);
}

/// A store operation ended after `took` (`outcome`: `success`, `error`, `timeout`).
pub(crate) fn store_operation(
    cache: &str,
    operation: &'static str,
    took: Duration,
    outcome: &'static str,
) {
    #[cfg(feature = "metrics")]
    ::metrics::histogram!(
        super::names::STORE_OPERATION_DURATION,
        "freshtoken.cache" => cache.to_owned(),
        "freshtoken.operation" => operation,
        "freshtoken.outcome" => outcome,
    )
    .record(took.as_secs_f64());
}

/// The store started failing.
pub(crate) fn store_outage(cache: &str) {
    #[cfg(feature = "metrics")]
    ::metrics::counter!(super::names::STORE_OUTAGES, "freshtoken.cache" => cache.to_owned())
        .increment(1);
}
