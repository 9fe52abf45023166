//! The procedural macros of [`freshtoken`](https://docs.rs/freshtoken).
//!
//! Do not depend on this crate directly: depend on `freshtoken`, which re-exports what it
//! defines under the same version. The `#[refresh_token]` attribute is being built here
//! (issue 3); until it lands this crate exports nothing, and clients call
//! `TokenCache::token` themselves.
