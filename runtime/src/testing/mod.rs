//! Helpers for the tests of code that uses freshtoken: a [`ScriptedSource`] that hands out
//! the tokens and failures a test scripts and counts its calls, and assertions about what a
//! cache or a client did with it ([`assert_one_refresh_for`], [`assert_one_retry_after_401`]).
//!
//! Behind the `testing` feature, for `[dev-dependencies]`:
//!
//! ```toml
//! [dev-dependencies]
//! freshtoken = { version = "*", features = ["testing"] }
//! ```
//!
//! The guide's chapter on testing shows them beside fakes of a generated client's trait and
//! an SDK tested against a mock server.
//!
//! ```
//! use std::time::Duration;
//!
//! use freshtoken::testing::{ScriptedSource, assert_one_refresh_for};
//! use freshtoken::{AuthError, TokenCache};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let source = ScriptedSource::new()
//!     .then_token("t1", Duration::from_secs(60))
//!     .then_error(AuthError::refresh_failed("token endpoint down"))
//!     .then_token("t2", Duration::from_secs(60))
//!     .with_delay(Duration::from_millis(50));
//! let cache = TokenCache::new(source.clone());
//!
//! // A hundred callers of an empty cache: one call of the source.
//! let token = assert_one_refresh_for(&cache, 100).await;
//! assert_eq!(token.access_token().expose_secret(), "t1");
//!
//! cache.expire_now();
//! assert!(cache.token().await.is_err(), "the scripted failure");
//! assert_eq!(source.calls(), 2);
//! # }
//! ```

mod assertions;
mod scripted_source;

pub use assertions::{assert_one_refresh_for, assert_one_retry_after_401};
pub use scripted_source::ScriptedSource;
