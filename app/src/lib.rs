//! `shop`: the small e-commerce service (users, products, orders, payments) that cfgen's
//! generated artifacts deploy. See `app/README.md` for the environment and metric contract.
//!
//! The binary is a thin wrapper around [`cli::main`]; [`api::app`] builds the router so that
//! tests can drive it with `tower::ServiceExt::oneshot`.

pub mod api;
pub mod cache;
pub mod cli;
pub mod config;
pub mod error;
pub mod healthcheck;
pub mod metrics;
pub mod server;
pub mod store;
pub mod telemetry;

pub use api::{AppState, app};
