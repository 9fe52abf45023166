//! How a program names itself to an authorization server it did not know beforehand:
//! dynamic client registration (RFC 7591), kept per server in a store so that it happens
//! once, client ID metadata documents, or a pre-registered client.

// Input: client metadata, the authorization server's metadata, and a store.
// Output: the client to log in with.

mod client;
mod identity;
mod request;
mod store;

pub use client::RegisteredClient;
pub use identity::ClientIdentity;
pub use request::{ApplicationType, ClientRegistration};
pub use store::RegistrationStore;
