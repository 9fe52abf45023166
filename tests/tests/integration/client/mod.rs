//! `#[freshtoken::client]` clients over real HTTP, one module per concern.

pub mod auth;
pub mod call_options;
pub mod error_body;
pub mod events;
pub mod pages;
pub mod params;
pub mod redirects;
pub mod refused;
pub mod request_shape;
pub mod retries;
pub mod returns;
pub mod secrets;
pub mod step_up;
pub mod test_kit;
pub mod timeouts;
