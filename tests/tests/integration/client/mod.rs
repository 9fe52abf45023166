//! `#[freshtoken::client]` clients over real HTTP, one module per concern.

pub mod auth;
pub mod error_body;
pub mod pages;
pub mod params;
pub mod redirects;
pub mod refused;
pub mod request_shape;
pub mod returns;
pub mod secrets;
pub mod step_up;
pub mod timeouts;
