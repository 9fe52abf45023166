// Input: events counted by the handlers as they happen.
// Output: `ServerStats`, a snapshot of the counters (in process and at `GET /admin/stats`).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::token_apis::{TokenApiCounters, TokenApiStats};

/// What the server has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerStats {
    /// Successful logins (`POST /auth/login` answered 200, and `/oauth/token` grants that
    /// start a session).
    pub logins: u64,
    /// Successful refreshes (`POST /auth/refresh` and the `refresh_token` grant answered 200).
    pub refreshes: u64,
    /// Access tokens issued, by logins, refreshes and JWT bearer grants.
    pub access_tokens_issued: u64,
    /// Refresh tokens issued, by logins and refreshes.
    pub refresh_tokens_issued: u64,
    /// 401 answers to requests that needed a bearer token (the Tasks API and logout): a
    /// missing, malformed, wrongly signed, expired or revoked access token. Refused logins
    /// and refreshes (`invalid_grant`) are not counted here.
    pub unauthorized_responses: u64,
    /// Refresh tokens presented a second time; each revoked its whole family.
    pub reuse_detected: u64,
    /// 403 `insufficient_scope` answers: a valid token without the scope a route needs.
    #[serde(default)]
    pub insufficient_scope_responses: u64,
    /// Clients registered at `POST /oauth/register` (RFC 7591).
    #[serde(default)]
    pub client_registrations: u64,
    /// Client ID Metadata Documents fetched (one per URL `client_id` the server has not
    /// seen before).
    #[serde(default)]
    pub client_metadata_document_fetches: u64,
    /// 400 `use_dpop_nonce` answers of `/oauth/token`: a DPoP proof without the token
    /// endpoint's current nonce.
    #[serde(default)]
    pub token_endpoint_use_dpop_nonce: u64,
    /// 401 `use_dpop_nonce` answers of the resource routes.
    #[serde(default)]
    pub resource_use_dpop_nonce: u64,
    /// `invalid_dpop_proof` answers at either side: a proof missing where one is needed,
    /// malformed, failing a check, replayed, or signed by another key than the token's.
    #[serde(default)]
    pub dpop_proofs_refused: u64,
    /// DPoP proofs refused because a proof with their `jti` was accepted before.
    #[serde(default)]
    pub dpop_proofs_replayed: u64,
    /// Access tokens issued bound to a DPoP key (`cnf.jkt`, `token_type: DPoP`).
    #[serde(default)]
    pub dpop_bound_tokens_issued: u64,
    /// The token API shapes (`/fastapi`, `/flask`, `/cookie`, `/keys`, `/refresh-only`),
    /// each counted on its own: their logins and refreshes are not in the counters above
    /// (their reuses are, in [`reuse_detected`](Self::reuse_detected)).
    #[serde(default)]
    pub token_apis: TokenApiStats,
}

/// The live counters behind [`ServerStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    logins: AtomicU64,
    refreshes: AtomicU64,
    access_tokens_issued: AtomicU64,
    refresh_tokens_issued: AtomicU64,
    unauthorized_responses: AtomicU64,
    reuse_detected: AtomicU64,
    insufficient_scope_responses: AtomicU64,
    client_registrations: AtomicU64,
    client_metadata_document_fetches: AtomicU64,
    token_endpoint_use_dpop_nonce: AtomicU64,
    resource_use_dpop_nonce: AtomicU64,
    dpop_proofs_refused: AtomicU64,
    dpop_proofs_replayed: AtomicU64,
    dpop_bound_tokens_issued: AtomicU64,
    pub(crate) token_apis: TokenApiCounters,
}

impl Counters {
    /// A login or a refresh issued one access and one refresh token.
    pub(crate) fn issued_pair(&self, by_login: bool) {
        let counter = if by_login {
            &self.logins
        } else {
            &self.refreshes
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.access_tokens_issued.fetch_add(1, Ordering::Relaxed);
        self.refresh_tokens_issued.fetch_add(1, Ordering::Relaxed);
    }

    /// A grant issued an access token alone (the JWT bearer grant).
    pub(crate) fn issued_access(&self) {
        self.access_tokens_issued.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn unauthorized(&self) {
        self.unauthorized_responses.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn insufficient_scope(&self) {
        self.insufficient_scope_responses
            .fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn client_registered(&self) {
        self.client_registrations.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn client_metadata_document_fetched(&self) {
        self.client_metadata_document_fetches
            .fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reuse_detected(&self) {
        self.reuse_detected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn use_dpop_nonce(&self, at_token_endpoint: bool) {
        let counter = if at_token_endpoint {
            &self.token_endpoint_use_dpop_nonce
        } else {
            &self.resource_use_dpop_nonce
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn dpop_proof_refused(&self, replayed: bool) {
        self.dpop_proofs_refused.fetch_add(1, Ordering::Relaxed);
        if replayed {
            self.dpop_proofs_replayed.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn dpop_bound_token_issued(&self) {
        self.dpop_bound_tokens_issued
            .fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> ServerStats {
        ServerStats {
            logins: self.logins.load(Ordering::Relaxed),
            refreshes: self.refreshes.load(Ordering::Relaxed),
            access_tokens_issued: self.access_tokens_issued.load(Ordering::Relaxed),
            refresh_tokens_issued: self.refresh_tokens_issued.load(Ordering::Relaxed),
            unauthorized_responses: self.unauthorized_responses.load(Ordering::Relaxed),
            reuse_detected: self.reuse_detected.load(Ordering::Relaxed),
            insufficient_scope_responses: self.insufficient_scope_responses.load(Ordering::Relaxed),
            client_registrations: self.client_registrations.load(Ordering::Relaxed),
            client_metadata_document_fetches: self
                .client_metadata_document_fetches
                .load(Ordering::Relaxed),
            token_endpoint_use_dpop_nonce: self
                .token_endpoint_use_dpop_nonce
                .load(Ordering::Relaxed),
            resource_use_dpop_nonce: self.resource_use_dpop_nonce.load(Ordering::Relaxed),
            dpop_proofs_refused: self.dpop_proofs_refused.load(Ordering::Relaxed),
            dpop_proofs_replayed: self.dpop_proofs_replayed.load(Ordering::Relaxed),
            dpop_bound_tokens_issued: self.dpop_bound_tokens_issued.load(Ordering::Relaxed),
            token_apis: self.token_apis.snapshot(),
        }
    }
}
