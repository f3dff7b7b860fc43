//! cfgen's integration tests: one binary, one module per feature.

mod build;
mod cli;
mod common;
mod crash;
mod distribution;
mod editor;
mod environments;
mod explain;
mod file_backup;
mod fixtures;
mod hardening;
mod init;
mod logship;
mod machines;
mod people;
mod policy;
mod release_flow;
mod robust;
mod routing;
mod schemas;
mod servers;
mod shard;
mod usage;
mod workflow_root;
