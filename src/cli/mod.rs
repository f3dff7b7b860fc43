//! The command line: arguments (clap) and one module per subcommand.

mod build;
mod complete;
pub mod console;
mod explain;
mod init;
mod output;
mod paths;
mod schema;
mod shard;
mod validate;

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
    /// Print errors only: no warnings, notes or summary.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print every project's result and the warnings accepted in cfgen.yaml.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Colour human output: `auto` (a terminal, unless `NO_COLOR`; `FORCE_COLOR` or
    /// `CLICOLOR_FORCE` colour a pipe too), `always` or `never`.
    #[arg(long, value_enum, global = true, default_value_t = console::ColorChoice::Auto, value_name = "WHEN")]
    pub color: console::ColorChoice,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a project: write a commented `cfgen.yaml` into DIR that builds as it is.
    Init(init::InitArgs),
    /// Check projects: YAML syntax, JSON Schemas, types and cross-file rules.
    Validate(validate::ValidateArgs),
    /// Render every artifact of the projects, verify them, and write them (or check them with `--check`).
    Build(build::BuildArgs),
    /// Show what `cfgen build` would change, as a unified diff; exit 0 (1 with `--check` when stale).
    Diff(build::BuildArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the JSON Schemas of the config files to `schema/` (or check them with `--check`).
    Schema(schema::SchemaArgs),
    /// Say which config values produce a line of generated output (`FILE:LINE`), or where a
    /// config key's value comes from in an environment (`--env NAME KEY`).
    Explain(explain::ExplainArgs),
}

/// Options shared by commands that print diagnostics.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// How to report: `human` text on stderr, or one document on stdout (`json`, `sarif`,
    /// `junit`), or GitHub Actions annotations (`github`).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Make every warning not accepted in cfgen.yaml an error (for CI).
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Parses `std::env::args` and runs the command; returns the exit code.
#[must_use]
pub fn main() -> i32 {
    // `COMPLETE=bash cfgen` prints the dynamic completion script; the shell
    // then calls cfgen to complete each word (environment names for `--env`).
    clap_complete::CompleteEnv::with_factory(<Args as clap::CommandFactory>::command).complete();
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let console = console::Console::new(args.quiet, args.verbose, args.color);
    match args.command {
        Command::Init(a) => init::run(&a, &console),
        Command::Validate(a) => validate::run(&a, &console),
        Command::Schema(a) => schema::run(&a, &console),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Args::command(), "cfgen", &mut script);
            console::stdout(&String::from_utf8_lossy(&script));
            EXIT_OK
        }
        Command::Build(a) => build::run(&a, build::Mode::Build, &console),
        Command::Diff(a) => build::run(&a, build::Mode::Diff, &console),
        Command::Explain(a) => explain::run(&a, &console),
    }
}
