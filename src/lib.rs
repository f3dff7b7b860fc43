//! cfgen: a declarative config compiler.

pub mod load;
pub mod model;

/// Runs the command line and returns the process exit code.
pub fn run() -> i32 {
    0
}
