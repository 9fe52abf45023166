//! The worked example of freshtoken: a reference auth server with a Tasks API (`server`), a
//! Tasks SDK written the way a user of freshtoken would write one by hand (`sdk`), the same SDK
//! written as a trait for `#[freshtoken::client]` (`trait_sdk`), and the demo that walks
//! through both (`src/bin/demo.rs`).

pub mod login_step;
pub mod mcp_client;
pub mod sdk;
pub mod server;
pub mod trait_sdk;
pub mod walkthrough;
