//! What a protected resource says about itself after a 401 or 403: its `WWW-Authenticate`
//! challenges, its metadata (RFC 9728), found from the resource's URL or the challenge's
//! `resource_metadata`, and the scopes to ask for.
//!
//! - [`Challenge`]: one challenge (RFC 7235 sections 2.1 and 4.1, with the RFC 9110 section
//!   11.6.1 grammar): its scheme (`Bearer`, `DPoP`, `Basic`...), its parameters or its
//!   `token68`, and the parameters OAuth gives meaning to: `realm`, `error` (RFC 6750
//!   section 3; RFC 9449 sections 7.1 and 8 for the `DPoP` codes), `error_description`,
//!   `error_uri`, `scope`, and `resource_metadata` (RFC 9728 section 5.1), where the
//!   resource's metadata is.
//! - [`ChallengeError`]: the `error` parameter, as the cases a client acts on.
//! - [`ResourceDiscovery`] fetches a [`ResourceMetadata`] and checks that it describes the
//!   resource being accessed; [`select_scopes`] and [`step_up_scopes`] choose the scopes of
//!   the token request that follows.
//! - [`ClientRegistration`] registers a client (RFC 7591) and returns a [`RegisteredClient`];
//!   [`register_once`](ClientRegistration::register_once) keeps it in a
//!   [`RegistrationStore`] (the built-in token stores are ones) so that a program registers
//!   once per authorization server. [`ClientIdentity`] chooses how to name the client to a
//!   server: a pre-registered client, a client ID metadata document URL, or registration.
//!
//! ```
//! use freshtoken::oauth::resource::{Challenge, ChallengeError};
//! use http::{HeaderMap, HeaderValue, header::WWW_AUTHENTICATE};
//!
//! let mut headers = HeaderMap::new();
//! headers.insert(
//!     WWW_AUTHENTICATE,
//!     HeaderValue::from_static(
//!         r#"Bearer realm="example", error="insufficient_scope", scope="files:read files:write", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource""#,
//!     ),
//! );
//! let challenge = Challenge::bearer(&headers).expect("a Bearer challenge");
//! assert_eq!(challenge.error(), Some(ChallengeError::InsufficientScope));
//! assert_eq!(challenge.scopes().collect::<Vec<_>>(), ["files:read", "files:write"]);
//! let metadata = challenge.resource_metadata()?.expect("a metadata URL");
//! assert_eq!(metadata.path(), "/.well-known/oauth-protected-resource");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod challenge;

pub use challenge::{Challenge, ChallengeError, InvalidResourceMetadata};

// Protected resource metadata and scope sets.
mod metadata;
mod scopes;

pub use metadata::{ResourceDiscovery, ResourceMetadata};

// Dynamic client registration and the choice of a client identity.
mod registration;

pub use registration::{
    ApplicationType, ClientIdentity, ClientRegistration, RegisteredClient, RegistrationStore,
};
pub use scopes::{select_scopes, step_up_scopes};

// The chain from a resource's URL to a token cache.
mod protected;

pub use protected::{ProtectedResource, ProtectedResourceBuilder};
