//! `#[freshtoken::client]` clients over real HTTP, one module per concern. One test binary
//! for all of them: each binary links the whole HTTP stack again, which costs the suite's
//! build seconds per file.

pub mod auth;
pub mod params;
pub mod redirects;
pub mod returns;
pub mod secrets;
pub mod step_up;
pub mod timeouts;
