// Input: the slow path's units of work: a refresh, a store operation, a resend.
// Output: a `tracing` span for each, with OpenTelemetry-style attribute names, so a
// `tracing-opentelemetry` layer exports them as spans an operator can follow.
//
// Always compiled: `tracing` is a dependency anyway, and a span no subscriber wants costs a
// cached interest check. Attribute values are names and counts only, never a token or a key.

use tracing::Span;
use tracing::field::Empty;

use crate::metrics::reason_name;
use crate::{AuthError, RefreshReason};

/// The span of one refresh of the cache named `cache`; [`refresh_ended`] records how it
/// ended.
pub(crate) fn refresh(cache: &str, reason: RefreshReason) -> Span {
    tracing::info_span!(
        target: "freshtoken",
        "freshtoken.refresh",
        "freshtoken.cache" = cache,
        "freshtoken.reason" = reason_name(reason),
        "freshtoken.outcome" = Empty,
        "error.type" = Empty,
    )
}

/// Records the outcome of the refresh `span` stands for.
pub(crate) fn refresh_ended<T>(span: &Span, outcome: &Result<T, AuthError>) {
    match outcome {
        Ok(_) => {
            span.record("freshtoken.outcome", "success");
        }
        Err(error) => {
            span.record("freshtoken.outcome", "error");
            span.record("error.type", error.kind_name());
        }
    }
}

/// The span of one call to the token store (`operation`: `lock`, `load`, `save`...);
/// [`store_ended`] records its outcome.
pub(crate) fn store_operation(cache: &str, operation: &'static str) -> Span {
    tracing::debug_span!(
        target: "freshtoken",
        "freshtoken.store",
        "freshtoken.cache" = cache,
        "freshtoken.operation" = operation,
        "freshtoken.outcome" = Empty,
    )
}

/// Records the outcome (`success`, `error`, `timeout`, `conflict`, `corrupt`) of the store
/// call `span` stands for.
pub(crate) fn store_ended(span: &Span, outcome: &'static str) {
    span.record("freshtoken.outcome", outcome);
}

/// The span of a request sent again (`resend_count`: 1 for the first resend) for `reason`
/// (`unauthorized`, `nonce`, `step_up`), as OpenTelemetry's HTTP client conventions ask of
/// a resend.
pub(crate) fn resend(cache: &str, resend_count: u32, reason: &'static str) -> Span {
    tracing::debug_span!(
        target: "freshtoken",
        "freshtoken.resend",
        "http.request.resend_count" = resend_count,
        "freshtoken.cache" = cache,
        "freshtoken.reason" = reason,
    )
}

#[cfg(test)]
pub(crate) mod capture;
#[cfg(test)]
mod tests;
