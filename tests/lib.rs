//! cfgen's integration tests: one binary, one module per feature.

mod build;
mod common;
mod fixtures;
mod schemas;
