//! `cfgen validate [PATH…]`.

use std::path::PathBuf;

use super::console::Console;
use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, OutputArgs, output};
use crate::diagnostics::report::{ProjectReport, RunReport};
use crate::validate::check_project;

/// Arguments of `cfgen validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Projects to check: folders searched for `cfgen.yaml`, or files inside a project
    /// (its enclosing project); `-` reads these paths from stdin, one per line (default: `.`).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs the command.
pub fn run(args: &ValidateArgs, console: &Console) -> i32 {
    let mut report = RunReport {
        command: "validate",
        ..RunReport::default()
    };
    report.exit_code = match super::paths::find_projects(&args.paths) {
        Err(d) => {
            report.diagnostics.push(*d);
            EXIT_USAGE
        }
        Ok(projects) => {
            let mut io_failure = false;
            let deny = args.output.deny_warnings;
            for (dir, outcome) in projects
                .iter()
                .zip(crate::parallel::map(&projects, |dir| check_project(dir)))
            {
                io_failure |= outcome.io_failure;
                report.projects.push(ProjectReport {
                    path: dir.display().to_string(),
                    name: outcome
                        .project
                        .as_ref()
                        .map(|p| p.config.manifest.name.peek().to_string()),
                    diagnostics: outcome
                        .diagnostics
                        .into_iter()
                        .map(|d| if deny { d.denied() } else { d })
                        .collect(),
                    ..ProjectReport::default()
                });
            }
            if io_failure {
                EXIT_USAGE
            } else if report.errors() > 0 {
                EXIT_INVALID
            } else {
                EXIT_OK
            }
        }
    };
    output::finish(report, args.output.format, console, false)
}
