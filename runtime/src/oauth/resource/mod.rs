//! What a protected resource says about itself after a 401: its metadata (RFC 9728), found
//! from the resource's URL or the challenge's `resource_metadata`, and the scopes to ask for.
//!
//! [`ResourceDiscovery`] fetches a [`ResourceMetadata`] and checks that it describes the
//! resource being accessed; [`select_scopes`] and [`step_up_scopes`] choose the scopes of the
//! token request that follows.

mod metadata;
mod scopes;

pub use metadata::{ResourceDiscovery, ResourceMetadata};
pub use scopes::{select_scopes, step_up_scopes};
