//! cfgen's integration tests: one binary, one module per feature.

mod common;
mod fixtures;
mod schemas;
