//! What a token cache reports to an operator's dashboard (feature `metrics`): instruments named
//! the OpenTelemetry way, recorded through the [`metrics`](https://docs.rs/metrics) facade, so
//! that any exporter of that ecosystem (Prometheus, OpenTelemetry, StatsD) shows them.
//!
//! Nothing is recorded on the fast path (a fresh token served from the cache): only callers
//! that waited, refreshes, store operations and resends are.
//!
//! | instrument | kind | unit | attributes |
//! |---|---|---|---|
//! | `freshtoken.token.wait.duration` | histogram | s | `freshtoken.cache`, `freshtoken.outcome` |
//! | `freshtoken.token.request.duration` | histogram | s | `freshtoken.cache`, `freshtoken.grant_type`, `freshtoken.reason`, `freshtoken.outcome`, `error.type`, `oauth.error` |
//! | `freshtoken.token.refreshes` | counter | {refresh} | `freshtoken.cache`, `freshtoken.reason`, `freshtoken.outcome` |
//! | `freshtoken.token.coalesced` | counter | {caller} | `freshtoken.cache` |
//! | `freshtoken.token.remaining_lifetime` | histogram | s | `freshtoken.cache` |
//! | `freshtoken.token.refresh.failures` | gauge | {failure} | `freshtoken.cache` |
//! | `freshtoken.request.resends` | counter | {request} | `freshtoken.cache`, `freshtoken.reason` |
//! | `freshtoken.store.operation.duration` | histogram | s | `freshtoken.cache`, `freshtoken.operation`, `freshtoken.outcome` |
//! | `freshtoken.store.outages` | counter | {outage} | `freshtoken.cache` |
//!
//! - `freshtoken.cache`: the name given to [`TokenCacheBuilder::name`](crate::TokenCacheBuilder::name)
//!   (`default` if none): bounded by you, never a user key.
//! - `freshtoken.reason`: for refreshes `absent`, `expired`, `ageing`, `forced`,
//!   `unauthorized`, `step_up`; for resends `unauthorized` (a 401: a new token), `nonce` (a
//!   DPoP nonce demand: a new proof) and `step_up` (a 403 `insufficient_scope`: a token with
//!   wider scopes).
//! - `freshtoken.outcome`: `success` or `error`; for store operations also `timeout`,
//!   `conflict` (a compare-and-set found another token: a fleet host saved first) and
//!   `corrupt` (the store holds what is not a token).
//! - `freshtoken.grant_type`: what the source sends ([`TokenSource::grant_type`](crate::TokenSource::grant_type):
//!   `client_credentials`, `refresh_token`, `password`, `authorization_code`, `device_code`,
//!   `jwt_bearer`, `token_exchange`, `json_login`, `json_refresh`, or `custom`).
//! - `oauth.error` (failures only): the token endpoint's registered error code
//!   (`invalid_grant`, `invalid_client`, `slow_down`, ...; `other` for a code of the server's
//!   own, `none` when no endpoint answered with one).
//! - `error.type` (failures only): the kind of a failed token request (`refresh_failed`,
//!   `reauthentication_required`, `invalid_client`, `rejected`, `timeout`, ...).
//! - `freshtoken.operation`: `lock`, `load`, `save`, `clear`, `refresh_token_rejected`.
//!
//! No attribute ever holds a token, a client id, a user key or a URL.
//!
//! `freshtoken.token.coalesced` counts the callers that joined a refresh another caller
//! started: with `freshtoken.token.refreshes` it tells how many callers one refresh served.
//! `freshtoken.token.remaining_lifetime` is how long the replaced token still had when its
//! successor arrived (0 for a token that had expired): a refresh-ahead that works keeps it near
//! the refresh margin. `freshtoken.token.refresh.failures` is the refreshes failed in a row (0
//! after a success): above 0 the cache is backing off.
//!
//! Call `describe` (feature `metrics`) once (after installing your recorder) to give exporters each
//! instrument's unit and description.
//!
//! # Spans
//!
//! With or without this feature, the slow path runs in [`tracing`](https://docs.rs/tracing)
//! spans (target `freshtoken`) with the same attribute names, for a `tracing-opentelemetry`
//! layer to export:
//!
//! | span | level | attributes |
//! |---|---|---|
//! | `freshtoken.refresh` | info | `freshtoken.cache`, `freshtoken.reason`, `freshtoken.outcome`, `error.type` (on failure) |
//! | `freshtoken.store` | debug | `freshtoken.cache`, `freshtoken.operation`, `freshtoken.outcome` |
//! | `freshtoken.resend` | debug | `http.request.resend_count`, `freshtoken.cache`, `freshtoken.reason` |
//!
//! A refresh's span is a child of the span of the call that started it, and the parent of
//! the token source's own spans and events and of the store calls the refresh makes. Each
//! attempt after the first of `#[refresh_token]` methods, generated clients, `BearerAuth`,
//! `BearerLayer` and the rmcp client runs in a `freshtoken.resend` span (its new token
//! included), as OpenTelemetry's HTTP client conventions ask of a resend; the first attempt
//! runs in the caller's span. No span field ever holds a token, a user key or a URL.

mod record;
#[cfg(all(test, feature = "metrics"))]
mod tests;

pub(crate) use self::record::*;

/// The instruments' names, as recorded.
pub mod names {
    /// How long a caller waited for a token (callers served at once are not recorded).
    pub const TOKEN_WAIT_DURATION: &str = "freshtoken.token.wait.duration";
    /// How long a refresh took, from the decision to the token in service.
    pub const TOKEN_REQUEST_DURATION: &str = "freshtoken.token.request.duration";
    /// Refreshes, by reason and outcome.
    pub const TOKEN_REFRESHES: &str = "freshtoken.token.refreshes";
    /// Callers that joined a refresh another caller started.
    pub const TOKEN_COALESCED: &str = "freshtoken.token.coalesced";
    /// What a token still had to live when it was replaced.
    pub const TOKEN_REMAINING_LIFETIME: &str = "freshtoken.token.remaining_lifetime";
    /// Refreshes failed in a row; above 0 the cache backs off.
    pub const TOKEN_REFRESH_FAILURES: &str = "freshtoken.token.refresh.failures";
    /// Requests sent again with a new token or proof, by reason.
    pub const REQUEST_RESENDS: &str = "freshtoken.request.resends";
    /// How long a token store operation took, by operation and outcome.
    pub const STORE_OPERATION_DURATION: &str = "freshtoken.store.operation.duration";
    /// Times a cache's store started failing (an error or a timeout after a call that
    /// answered, or as the first call): one per outage, not per failed call.
    pub const STORE_OUTAGES: &str = "freshtoken.store.outages";
}

/// Gives the installed recorder each instrument's unit and description; call it once after
/// installing the recorder (without one, it does nothing).
///
/// ```
/// freshtoken::metrics::describe();
/// ```
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub fn describe() {
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(
        names::TOKEN_WAIT_DURATION,
        Unit::Seconds,
        "How long a caller waited for a token"
    );
    describe_histogram!(
        names::TOKEN_REQUEST_DURATION,
        Unit::Seconds,
        "How long a token refresh took"
    );
    describe_counter!(
        names::TOKEN_REFRESHES,
        "Token refreshes, by reason and outcome"
    );
    describe_counter!(
        names::TOKEN_COALESCED,
        "Callers that joined a refresh another caller started"
    );
    describe_histogram!(
        names::TOKEN_REMAINING_LIFETIME,
        Unit::Seconds,
        "What a token still had to live when it was replaced"
    );
    describe_gauge!(
        names::TOKEN_REFRESH_FAILURES,
        "Token refreshes failed in a row"
    );
    describe_counter!(
        names::REQUEST_RESENDS,
        "Requests sent again with a new token or proof"
    );
    describe_histogram!(
        names::STORE_OPERATION_DURATION,
        Unit::Seconds,
        "How long a token store operation took"
    );
    describe_counter!(names::STORE_OUTAGES, "Times a token store started failing");
}
