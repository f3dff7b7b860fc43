//! cfgen's integration tests: one binary, one module per feature.

mod build;
mod cli;
mod common;
mod crash;
mod distribution;
mod editor;
mod environments;
mod explain;
mod fixtures;
mod hardening;
mod init;
mod machines;
mod people;
mod release_flow;
mod robust;
mod schemas;
mod servers;
mod shard;
mod usage;
