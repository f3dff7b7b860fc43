//! `cfgen validate [PATH…]`.

use std::path::PathBuf;

use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, OutputArgs};
use crate::diagnostics::{Diagnostic, Format, render_all};
use crate::validate::check_project;
use crate::{discover, messages};

/// Arguments of `cfgen validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Projects to check: folders searched for `cfgen.yaml` (default: the current folder).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
}

/// Finds the projects under `paths`, or the diagnostics saying why not.
pub(crate) fn find_projects(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let mut projects = Vec::new();
    for path in super::default_paths(paths) {
        let shown = path.display().to_string();
        match discover::projects(&path) {
            Ok(found) if found.is_empty() => {
                return Err(Box::new(Diagnostic::unlocated(
                    "usage",
                    messages::no_projects(&shown),
                )));
            }
            Ok(found) => projects.extend(found),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Box::new(Diagnostic::unlocated(
                    "usage",
                    messages::no_such_path(&shown),
                )));
            }
            Err(e) => {
                return Err(Box::new(Diagnostic::unlocated(
                    "io",
                    messages::read_failed(&shown, &e),
                )));
            }
        }
    }
    projects.sort();
    projects.dedup();
    Ok(projects)
}

/// Runs the command.
pub fn run(args: &ValidateArgs) -> i32 {
    // Compile the config schemas on another core while this one loads.
    std::thread::spawn(crate::validate::schema::warm);
    let out = &args.output;
    let projects = match find_projects(args.paths.clone()) {
        Ok(p) => p,
        Err(d) => {
            let rendered = render_all(&[*d], out.format, out.color(), out.width());
            // A JSON reader gets its one document on stdout, errors included.
            match out.format {
                Format::Json => super::stdout(&rendered),
                _ => eprint!("{rendered}"),
            }
            return EXIT_USAGE;
        }
    };
    let mut all = Vec::new();
    let mut io_failure = false;
    for outcome in crate::parallel::map(&projects, |dir| check_project(dir)) {
        io_failure |= outcome.io_failure;
        all.extend(outcome.diagnostics);
    }
    let errors = all.iter().filter(|d| d.is_error()).count();
    let rendered = render_all(&all, out.format, out.color(), out.width());
    match out.format {
        Format::Json => super::stdout(&rendered),
        Format::Github => {
            super::stdout(&rendered);
            eprintln!(
                "{}",
                messages::validate_summary(projects.len(), errors, all.len() - errors)
            );
        }
        Format::Human => {
            eprint!("{rendered}");
            eprintln!(
                "{}",
                messages::validate_summary(projects.len(), errors, all.len() - errors)
            );
        }
    }
    if io_failure {
        EXIT_USAGE
    } else if errors > 0 {
        EXIT_INVALID
    } else {
        EXIT_OK
    }
}
