//! What a protected resource says about itself: the `WWW-Authenticate` challenges of its
//! 401 and 403 answers.
//!
//! - [`Challenge`]: one challenge (RFC 7235 sections 2.1 and 4.1, with the RFC 9110 section
//!   11.6.1 grammar): its scheme (`Bearer`, `DPoP`, `Basic`...), its parameters or its
//!   `token68`, and the parameters OAuth gives meaning to: `realm`, `error` (RFC 6750
//!   section 3; RFC 9449 sections 7.1 and 8 for the `DPoP` codes), `error_description`,
//!   `error_uri`, `scope`, and `resource_metadata` (RFC 9728 section 5.1), where the
//!   resource's metadata is.
//! - [`ChallengeError`]: the `error` parameter, as the cases a client acts on.
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

// Protected resource metadata and scope sets (kept apart from the challenge lines above).
