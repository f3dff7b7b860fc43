//! The command line: arguments (clap) and one module per subcommand.

mod build;
mod schema;
mod validate;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::diagnostics::Format;

/// Exit code: success (warnings allowed).
pub const EXIT_OK: i32 = 0;
/// Exit code: invalid input, or stale output/schemas with `--check`.
pub const EXIT_INVALID: i32 = 1;
/// Exit code: usage or I/O error.
pub const EXIT_USAGE: i32 = 2;

/// cfgen compiles declarative deployment config into validated artifacts.
#[derive(Debug, Parser)]
#[command(name = "cfgen", version, about, max_term_width = 100)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check projects: YAML syntax, JSON Schemas, types and cross-file rules.
    Validate(validate::ValidateArgs),
    /// Render every artifact of the projects, verify them, and write them (or check them with `--check`).
    Build(build::BuildArgs),
    /// Show what `cfgen build` would change, as a unified diff; exit 0.
    Diff(build::BuildArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the JSON Schemas of the config files to `schema/` (or check them with `--check`).
    Schema(schema::SchemaArgs),
}

/// Options shared by commands that print diagnostics.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

impl OutputArgs {
    /// Whether to colour human output: stderr is a terminal and `NO_COLOR` is unset.
    #[must_use]
    pub fn color(&self) -> bool {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
    }

    /// Width of human output.
    #[must_use]
    pub fn width(&self) -> usize {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(100)
    }
}

/// Writes to stdout, ignoring a closed pipe (`cfgen diff | head` must not panic).
pub(crate) fn stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Default for path arguments: the current folder.
fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    }
}

/// Parses `std::env::args` and runs the command; returns the exit code.
#[must_use]
pub fn main() -> i32 {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match args.command {
        Command::Validate(a) => validate::run(&a),
        Command::Schema(a) => schema::run(&a),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Args::command(), "cfgen", &mut script);
            stdout(&String::from_utf8_lossy(&script));
            EXIT_OK
        }
        Command::Build(a) => build::run(&a, build::Mode::Build),
        Command::Diff(a) => build::run(&a, build::Mode::Diff),
    }
}
