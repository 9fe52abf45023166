//! The worked example of freshtoken: a reference auth server with a Tasks API (`server`), a
//! Tasks SDK written the way a user of freshtoken would write one (`sdk`), and the demo that
//! walks through them (`src/bin/demo.rs`).

pub mod sdk;
pub mod server;
pub mod walkthrough;
