//! The worked example of freshtoken: a reference auth server with a Tasks API (`server`), a
//! Tasks SDK written the way a user of freshtoken would write one by hand (`sdk`), the same SDK
//! written as a trait for `#[freshtoken::client]` (`trait_sdk`), and the demo that walks
//! through both (`src/bin/demo.rs`). `fastapi_sdk` is a client of a FastAPI-shaped backend
//! (one of the server's token APIs of other shapes) built from configuration alone.
//! `src/bin/metrics_demo.rs` walks through the demo again with freshtoken's metrics exported
//! as Prometheus text (`metrics_view` tables what each step changed; `outage_store` is the
//! store it takes down).

pub mod fastapi_sdk;
pub mod login_step;
pub mod mcp_client;
pub mod metrics_view;
pub mod outage_store;
pub mod sdk;
pub mod server;
pub mod trait_sdk;
pub mod walkthrough;
