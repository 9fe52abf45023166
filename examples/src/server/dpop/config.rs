// Input: what the person starting the server chooses about DPoP (RFC 9449).
// Output: `DpopConfig` and its defaults: DPoP on, no nonces, 5-minute nonce rotation, a
// 60 s window for a proof's `iat`.

use std::time::Duration;

/// How the reference server treats DPoP (RFC 9449, sender-constrained tokens): see
/// [`ServerConfig::dpop`](crate::server::ServerConfig::dpop).
///
/// ```
/// use std::time::Duration;
/// use freshtoken_examples::server::{DpopConfig, ServerConfig};
///
/// let config = ServerConfig {
///     dpop: DpopConfig {
///         nonce_required_at_resource: true,
///         nonce_rotation_interval: Duration::from_secs(60),
///         ..DpopConfig::default()
///     },
///     ..ServerConfig::default()
/// };
/// assert!(config.dpop.supported);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // independent switches, not a state machine
pub struct DpopConfig {
    /// Whether the server knows DPoP at all. Off, it behaves as a server that never heard of
    /// it: `DPoP` headers are ignored, every token is `Bearer`, the metadata announces no
    /// DPoP algorithm, and `Authorization: DPoP ...` is an unknown scheme. Default: `true`.
    pub supported: bool,
    /// Whether a DPoP proof at `/oauth/token` must carry the token endpoint's current nonce
    /// (`use_dpop_nonce` otherwise). The token endpoint then sends `DPoP-Nonce` on every
    /// answer. Default: `false`.
    pub nonce_required_at_token_endpoint: bool,
    /// Whether a DPoP proof at the Tasks API (and `/auth/logout`) must carry the resource's
    /// current nonce, which those routes then send on every answer. Default: `false`.
    pub nonce_required_at_resource: bool,
    /// How long a nonce stays current, on the server's clock; the token endpoint's and the
    /// resource's nonces are separate values. Must be above zero
    /// ([`start`](crate::server::start) fails with `InvalidInput` otherwise). Default: 5
    /// minutes.
    pub nonce_rotation_interval: Duration,
    /// How far a proof's `iat` may be from the server's clock, either way; a proof's `jti`
    /// is remembered that long, and a second proof with it is refused. Default: 60 s.
    pub proof_iat_window: Duration,
    /// Test switch for a misbehaving server: every DPoP request at `/oauth/token` is
    /// answered `use_dpop_nonce` with the same nonce, even one that carried it, to test
    /// that a client stops instead of looping. Default: `false`.
    pub token_endpoint_always_demands_nonce: bool,
    /// The same switch for the resource: every DPoP request to the Tasks API is answered
    /// 401 `use_dpop_nonce` with the same nonce. Default: `false`.
    pub resource_always_demands_nonce: bool,
}

impl Default for DpopConfig {
    fn default() -> Self {
        Self {
            supported: true,
            nonce_required_at_token_endpoint: false,
            nonce_required_at_resource: false,
            nonce_rotation_interval: Duration::from_secs(5 * 60),
            proof_iat_window: Duration::from_secs(60),
            token_endpoint_always_demands_nonce: false,
            resource_always_demands_nonce: false,
        }
    }
}
