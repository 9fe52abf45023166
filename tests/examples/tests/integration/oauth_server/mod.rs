//! The reference server's OAuth endpoints over real HTTP, one module a flow.

mod client_credentials;
mod device;
mod dpop;
mod jwt;
mod metadata;
mod pkce;
mod protected_resource;
mod registration;
mod resource;
mod revoke;
mod token;
mod token_exchange;
