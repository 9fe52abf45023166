//! DPoP (RFC 9449): tokens bound to a key the client proves it holds.
//!
//! A bearer token works for whoever holds it. A DPoP-bound token works only with a proof,
//! signed by the client's private key, made for each request: a token copied out of a log or
//! a proxy is useless without the key. Servers that bind tokens include FAPI 2.0
//! deployments, Okta, Auth0, Keycloak and MCP servers.
//!
//! Give a [`DpopKey`] to a source with its `dpop` method (or to an `Issuer` or a
//! `ProtectedResource` discovery, which pass it to every source they build). From then on:
//! - every token request carries a proof; a server that answers `token_type: DPoP` gets a
//!   bound token, one that answers `Bearer` a bearer token used as before;
//! - every request a bound token goes with carries `Authorization: DPoP <token>` and a fresh
//!   proof (new `jti`, the method, the URL without query, `ath`): generated clients, the
//!   middleware and the tower layer do it; code of your own calls
//!   [`Token::dpop_proof`](crate::Token::dpop_proof) or sends with
//!   [`BearerExt::send_with_token`](crate::BearerExt::send_with_token);
//! - a server's nonce (`DPoP-Nonce`, from any answer) is kept per server and origin, the
//!   authorization server's apart from the resource server's, and goes into the next proof;
//!   a `use_dpop_nonce` refusal costs one resend with the new nonce, never a loop;
//! - the key is kept in the store with a bound token, so that a restarted process can still
//!   refresh a refresh token bound to it.
//!
//! ```no_run
//! use freshtoken::TokenCache;
//! use freshtoken::dpop::DpopKey;
//! use freshtoken::oauth::{ClientAuth, ClientCredentials};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let source = ClientCredentials::new(
//!     "https://auth.example/oauth/token".parse()?,
//!     ClientAuth::basic("billing-worker", std::env::var("CLIENT_SECRET")?),
//! )
//! .dpop(DpopKey::generate()?);
//! let cache = TokenCache::new(source);
//! # Ok(()) }
//! ```

mod binding;
mod key;
pub(crate) mod nonces;
pub(crate) mod proof;
pub(crate) mod resource;
mod signer;
#[cfg(test)]
mod tests;
pub(crate) mod token_endpoint;
mod token_methods;

pub(crate) use binding::Binding;
pub use key::{DpopKey, DpopKeyError};
