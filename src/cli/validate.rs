//! `cfgen validate [PATH…]`.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::console::Console;
use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, OutputArgs, output};
use crate::diagnostics::Diagnostic;
use crate::diagnostics::report::{ProjectReport, RunReport};
use crate::generate::check_patches;
use crate::render::Renderer;
use crate::validate::{Outcome, check_project};

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
            // Made when the first project with patches needs it (compiling the templates
            // costs a project without patches nothing).
            let renderer = OnceLock::new();
            let mut io_failure = false;
            let deny = args.output.deny_warnings;
            for (dir, outcome) in projects.iter().zip(crate::parallel::map(&projects, |dir| {
                with_patches_checked(check_project(dir), &renderer)
            })) {
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

/// A valid project's outcome with its patches checked as `cfgen build` checks
/// them (the objects they target rendered in memory): a patch that fails is
/// the same located error here, after the project's other diagnostics.
fn with_patches_checked(
    mut outcome: Outcome,
    renderer: &OnceLock<Result<Renderer, Box<Diagnostic>>>,
) -> Outcome {
    let Some(project) = outcome
        .project
        .as_ref()
        .filter(|p| crate::patch::declared(p))
    else {
        return outcome;
    };
    let renderer = renderer.get_or_init(|| {
        Renderer::new(None).map_err(|e| {
            Box::new(
                Diagnostic::unlocated("render", e.message("-"))
                    .with_help(crate::messages::template_fault_help(e.overridden)),
            )
        })
    });
    let checked = match renderer {
        Ok(renderer) => check_patches(project, renderer),
        Err(d) => Err(d.clone()),
    };
    if let Err(d) = checked {
        outcome.diagnostics.push(*d);
    }
    outcome
}
