//! The reference server's OAuth endpoints over real HTTP, one module a flow, in one test
//! binary (each binary links the whole server again). `oauth_secrets_in_logs.rs` stays apart:
//! it captures logs with a subscriber of its own thread.

#[path = "../common/mod.rs"]
mod common;
mod device;
mod jwt;
mod metadata;
mod pkce;
mod protected_resource;
mod registration;
mod resource;
mod revoke;
mod token;
mod token_exchange;
