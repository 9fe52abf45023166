//! Keeps the bearer token of a hand-written API client fresh.
//!
//! Every method of an API client needs a valid access token. `freshtoken` holds it in a
//! [`TokenCache`]: callers ask it for a token; a fresh one comes back at once (no lock, no
//! await); an expired one is refreshed **once**, however many callers need it at the same
//! moment; an ageing one is renewed in the background while it keeps serving; a token the
//! server rejected with 401 is [invalidated](TokenCache::invalidate) so the next call gets a
//! new one. Failed refreshes back off instead of hammering the token endpoint, a rotated
//! refresh token is never lost, and secrets never reach `Debug` output or logs.
//!
//! Where tokens come from is a [`TokenSource`]: your own type, or a closure through
//! [`source_fn`].
//!
//! # Example: a small API client
//!
//! ```
//! use std::time::Duration;
//! use freshtoken::{AuthError, Token, TokenCache, TokenSource};
//!
//! /// Gets tokens from the service's login endpoint (a stand-in here).
//! struct Login {
//!     api_key: String,
//! }
//!
//! impl TokenSource for Login {
//!     async fn fetch(&self, previous: Option<&Token>) -> Result<Token, AuthError> {
//!         // A real source POSTs `self.api_key`, or `previous`'s refresh token, to the
//!         // token endpoint and builds the token from the JSON it gets back.
//!         let _ = (&self.api_key, previous);
//!         Token::builder("issued-access-token")
//!             .expires_in(Duration::from_secs(3600))
//!             .refresh_token("issued-refresh-token")
//!             .build()
//!     }
//! }
//!
//! #[derive(Clone)]
//! struct TasksClient {
//!     auth: TokenCache<Login>,
//! }
//!
//! impl TasksClient {
//!     async fn list_tasks(&self) -> Result<Vec<String>, AuthError> {
//!         let token = self.auth.token().await?;
//!         // http.get(url).header(AUTHORIZATION, token.authorization().clone()).send() ...
//!         // and on a 401: `self.auth.invalidate(&token)`, then try once more.
//!         assert_eq!(token.authorization().to_str().unwrap(), "Bearer issued-access-token");
//!         Ok(vec![])
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), AuthError> {
//! let client = TasksClient {
//!     auth: TokenCache::new(Login { api_key: "key".into() }),
//! };
//! client.list_tasks().await?; // logs in
//! client.list_tasks().await?; // reuses the token
//! assert_eq!(client.auth.stats().refreshes, 1);
//! # Ok(())
//! # }
//! ```
//!
//! # Expiry, margin and refresh-ahead
//!
//! A token's expiry is fixed on receipt, on the monotonic clock: from `expires_in`, else from
//! the `exp` claim of a JWT access token (read without verification, only to schedule), else
//! unknown (used until the server answers 401). It counts as expired a *refresh margin*
//! before that (default 60 s), and is renewed in the background during a *refresh-ahead
//! window* before the margin (default 60 s). Margin and window together never exceed half
//! the token's lifetime, so a 3-second token is renewed every 1.5 s, not on every call.
//!
//! # Failures
//!
//! Every caller waiting on one refresh gets its outcome, success or the same [`AuthError`].
//! A failure starts a backoff (1 s doubling up to 60 s by default, jittered, and never
//! shorter than a retry-after hint from the source): until it passes, callers holding no
//! valid token get the last error at once, and a still-valid token keeps serving.
//! [`AuthError::ReauthenticationRequired`] stops all attempts until
//! [`TokenCache::set_token`] gives the cache new credentials.
//!
//! # Observability
//!
//! Events with target `freshtoken`: `token refresh started` (debug), `token refreshed`
//! (info, with `elapsed_ms`) and `token refresh failed` (warn, with the error), each with a
//! `reason` field ([`RefreshReason`]). No event or error message contains a secret.
//! [`TokenCache::stats`] counts refreshes, failures and callers that waited.

#![forbid(unsafe_code)]

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
mod authorization;
mod cache;
mod error;
mod jwt;
mod reason;
mod secret;
mod source;
mod token;
mod unauthorized;

pub use cache::{CacheStats, TokenCache, TokenCacheBuilder};
pub use error::{AuthError, SourceError};
pub use reason::RefreshReason;
pub use secret::{AccessToken, RefreshToken};
pub use source::{SourceFn, TokenSource, source_fn};
pub use token::{Token, TokenBuilder};
pub use unauthorized::Unauthorized;

#[doc(inline)]
pub use freshtoken_macros::refresh_token;
