//! The reference auth server and Tasks API the SDK and the demo talk to.
//!
//! An [axum] server that does what a real token-issuing API does, small enough to read:
//!
//! | route | answers |
//! |---|---|
//! | `POST /auth/login` `{"username", "password"}` | 200 token pair; 401 `invalid_grant`; 400 `invalid_request` |
//! | `POST /auth/refresh` `{"refresh_token"}` | 200 the next token pair (rotation); 401 `invalid_grant` |
//! | `POST /auth/logout` (bearer) | 204: the access token and its session's refresh tokens are revoked |
//! | `GET /tasks` (bearer) | 200 `[{"id", "title", "done"}]`, the caller's own tasks |
//! | `POST /tasks` `{"title"}` (bearer) | 201 the new task |
//! | `POST /tasks/{id}/complete` (bearer) | 200 the task, done; 404 `not_found` |
//! | `DELETE /tasks/{id}` (bearer) | 204; 404 `not_found` |
//! | `POST /admin/revoke-access/{username}` | 204: every access token issued to the user so far is refused |
//! | `POST /admin/revoke-refresh/{username}` | 204: every refresh family of the user is revoked |
//! | `GET /admin/stats` | 200 [`ServerStats`] |
//!
//! A token pair is `{"access_token", "refresh_token", "token_type": "Bearer", "expires_in"}`
//! (`expires_in` in seconds, for the access token), sent with `Cache-Control: no-store`.
//! Every error is JSON, `{"error", "error_description"}`; descriptions never quote the
//! request. A bearer route refuses a missing, malformed, wrongly signed, expired or revoked
//! access token with 401 and `WWW-Authenticate: Bearer error="invalid_token"`, counted in
//! [`ServerStats::unauthorized_responses`]. Unknown routes answer 404, unknown users on the
//! admin routes too.
//!
//! # Tokens
//!
//! Both tokens are HS256 JWTs, each kind signed with its own 256-bit key drawn from the
//! operating system's CSPRNG at start (never stored, logged or reused by another server), so
//! an access token is no refresh token and the other way round. Claims: `sub` (username),
//! `iat`, `exp`, a unique `jti`, `type` (`"access"` or `"refresh"`) and, in refresh tokens,
//! `family`: the login they descend from. Every request verifies signature, type, expiry and
//! revocation.
//!
//! - **Lifetimes** come from [`ServerConfig`] in whole seconds: rounded up, at least 1 s.
//!   `exp` is the issue time rounded up to a whole second plus the lifetime, and a token is
//!   expired once `now >= exp`, so it lives at least its lifetime and at most 1 s more.
//! - **Rotation**: each refresh spends its refresh token and issues a new one in the same
//!   family, living `refresh_ttl` from then.
//! - **Reuse detection**: presenting a spent refresh token revokes its whole family (the
//!   newest token included), answers `invalid_grant` and counts in
//!   [`ServerStats::reuse_detected`].
//! - **Revocation** (logout, admin routes) is kept in memory until the tokens it concerns
//!   have expired anyway.
//!
//! # Not for production
//!
//! State lives in memory; passwords are plain configuration; the admin routes need no
//! authentication. [`start`] and [`start_with_clock`] bind `127.0.0.1` only; give
//! [`start_on`] a loopback address too.
//!
//! ```no_run
//! use freshtoken_examples::server::{self, ServerConfig};
//!
//! # async fn run() -> std::io::Result<()> {
//! let server = server::start(ServerConfig::default()).await?;
//! println!("log in as alice/wonderland at {}/auth/login", server.base_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod admin_routes;
mod auth_routes;
mod bearer;
mod body;
mod clock;
mod config;
mod errors;
mod router;
mod running;
mod sessions;
mod state;
mod stats;
mod task_routes;
mod tasks;
mod tokens;

pub use clock::Clock;
pub use config::ServerConfig;
pub use running::{RunningServer, start, start_on, start_with_clock};
pub use stats::ServerStats;
