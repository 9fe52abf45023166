//! A Tasks API client written with freshtoken: the template to copy.
//!
//! Everything an SDK author writes is here, and nothing about tokens beyond one attribute:
//! - [`TasksClient`] holds a `reqwest::Client`, the API's base URL and a
//!   [`TokenCache`](freshtoken::TokenCache) fed by the runtime's
//!   [`JsonLogin`](freshtoken::oauth::JsonLogin) source (log in with username and
//!   password, then refresh with the rotating refresh token);
//! - each API method is an `async fn` with a `#[token]` parameter, under one
//!   `#[refresh_token(cache = self.auth)]` on the `impl` block;
//! - [`TasksError`] converts from [`AuthError`](freshtoken::AuthError) and says which errors
//!   are a 401 ([`Unauthorized`](freshtoken::Unauthorized)), so a revoked token is refreshed
//!   and the call retried once.

mod client;
mod error;
mod task;

pub use client::TasksClient;
pub use error::TasksError;
pub use task::Task;
