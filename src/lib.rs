//! cfgen: a declarative config compiler.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`discover`]: find projects (`cfgen.yaml`) under the given paths;
//! 2. [`load`]: read each file once into a tree that keeps the span of every value;
//! 3. [`validate`]: JSON Schema, then the typed [`model`], then cross-file rules;
//! 4. [`plan`]: per-target view models computed from the model;
//! 5. [`render`]: minijinja templates, one folder per target;
//! 6. [`verify`]: each output checked in-process;
//! 7. [`emit`]: atomic writes, or check/diff against what is on disk.
//!
//! [`cache`] lets a build skip stages 2–6 for a project whose inputs and output are as
//! an earlier run of the same cfgen recorded them.
//!
//! Problems at any stage are [`diagnostics::Diagnostic`]s, worded in [`messages`].

pub mod cache;
pub mod cli;
pub mod diagnostics;
pub mod discover;
pub mod emit;
pub mod explain;
pub mod generate;
pub mod load;
pub mod messages;
pub mod model;
pub mod parallel;
pub mod patch;
pub mod plan;
pub mod provenance;
pub mod render;
pub mod usage;
pub mod validate;
pub mod verify;

/// Runs the command line and returns the process exit code.
#[must_use]
pub fn run() -> i32 {
    cli::main()
}
