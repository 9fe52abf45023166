//! DPoP (RFC 9449): the reference server checks proofs at the token endpoint and at the
//! Tasks API, binds tokens to the proof's key, and hands out nonces.
//!
//! - `proof.rs`: a proof's header, key and signature; `verifier.rs`: the checks against
//!   the request (method, URL, time, access token hash, nonce, replay);
//! - `nonces.rs` and `replay.rs`: the state those checks read;
//! - `binding.rs`: `cnf.jkt` in access tokens, refresh tokens of public clients bound to
//!   a key; `token_endpoint.rs` and `resource.rs`: what each side answers;
//! - `nonce_header.rs`: the `DPoP-Nonce` header on every answer of a side with nonces.

mod binding;
mod config;
mod nonce_header;
mod nonces;
mod proof;
mod refusal;
mod replay;
mod resource;
#[cfg(test)]
#[path = "../../../../tests/examples/tests/integration/common/dpop_proofs.rs"]
mod test_proofs;
mod token_endpoint;
mod verifier;
#[cfg(test)]
mod verifier_tests;

use std::io;
use std::sync::{Mutex, MutexGuard, PoisonError};

pub use config::DpopConfig;

pub(crate) use binding::{Confirmation, cnf_claim};
pub(crate) use nonce_header::{resource_nonce_header, token_endpoint_nonce_header};
pub(crate) use proof::ALGORITHMS;
pub(crate) use resource::{BOUND_SENT_AS_BEARER, DpopChallenge, authenticate_dpop};
pub(crate) use token_endpoint::{
    DPOP_TOKEN_TYPE, bind_issued, check_refresh_binding, token_request_key,
};

use super::clock::Clock;
use binding::RefreshBindings;
use nonces::Nonce;
use replay::SeenProofs;

/// The two places that take proofs; each has its own nonce (RFC 9449 §8 and §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// `/oauth/token`.
    TokenEndpoint,
    /// The Tasks API and `/auth/logout`.
    Resource,
}

/// The server's DPoP state.
pub(crate) struct Dpop {
    pub(crate) config: DpopConfig,
    clock: Clock,
    token_endpoint_nonce: Nonce,
    resource_nonce: Nonce,
    seen: Mutex<SeenProofs>,
    refresh_bindings: Mutex<RefreshBindings>,
}

impl Dpop {
    /// Fresh nonces for both sides. Fails if the operating system's random number
    /// generator does.
    pub(crate) fn new(config: &DpopConfig, clock: Clock) -> io::Result<Self> {
        let now = clock.now();
        let interval = config.nonce_rotation_interval;
        Ok(Self {
            config: config.clone(),
            token_endpoint_nonce: Nonce::new(interval, now)?,
            resource_nonce: Nonce::new(interval, now)?,
            clock,
            seen: Mutex::default(),
            refresh_bindings: Mutex::default(),
        })
    }

    pub(crate) fn supported(&self) -> bool {
        self.config.supported
    }

    /// Whether `side` checks nonces and so sends `DPoP-Nonce` on every answer.
    pub(crate) fn uses_nonces(&self, side: Side) -> bool {
        let config = &self.config;
        config.supported
            && match side {
                Side::TokenEndpoint => {
                    config.nonce_required_at_token_endpoint
                        || config.token_endpoint_always_demands_nonce
                }
                Side::Resource => {
                    config.nonce_required_at_resource || config.resource_always_demands_nonce
                }
            }
    }

    /// The nonce of `side` current now.
    pub(crate) fn nonce(&self, side: Side) -> String {
        let now = self.clock.now();
        match side {
            Side::TokenEndpoint => self.token_endpoint_nonce.current(now),
            Side::Resource => self.resource_nonce.current(now),
        }
    }

    /// Replaces both nonces now.
    pub(crate) fn rotate_nonces(&self) {
        let now = self.clock.now();
        self.token_endpoint_nonce.rotate(now);
        self.resource_nonce.rotate(now);
    }

    fn seen(&self) -> MutexGuard<'_, SeenProofs> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn refresh_bindings(&self) -> MutexGuard<'_, RefreshBindings> {
        self.refresh_bindings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
