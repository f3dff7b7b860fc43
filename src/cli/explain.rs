//! `cfgen explain OUTPUT:LINE`, `cfgen explain OUTPUT` (every line) and `cfgen explain [--env NAME] KEY`: see
//! [`crate::explain`]. The answer goes to stdout; a project that does not
//! validate is reported like `cfgen validate` reports it.

use std::path::{Path, PathBuf};

use super::console::{self, Console};
use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, output};
use crate::diagnostics::report::{ProjectReport, RunReport};
use crate::diagnostics::{Diagnostic, Format};
use crate::explain::{self, LineExplanation, Role, Setter};
use crate::messages;
use crate::render::Renderer;
use crate::validate::{Project, check_project};

/// Arguments of `cfgen explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A line of generated output, `FILE:LINE` (e.g. `deploy/k8s/dev/deployment-app.yaml:119`),
    /// every line of one, `FILE`, or a config key, dotted from its file's top-level key (e.g.
    /// `kubernetes_config.resources.requests.cpu`).
    pub what: String,
    /// For a key: the environment whose value to show (default: the base files).
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// For a key: the project folder (default: the current folder).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
    /// Template overrides, as for `cfgen build`.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

/// A project loaded and valid, or the report saying why not.
fn load(dir: &Path, report: &mut RunReport) -> Result<Project, i32> {
    let outcome = check_project(dir);
    match outcome.project {
        Some(project) => Ok(project),
        None => {
            report.projects.push(ProjectReport {
                path: dir.display().to_string(),
                diagnostics: outcome.diagnostics,
                ..ProjectReport::default()
            });
            Err(if outcome.io_failure {
                EXIT_USAGE
            } else {
                EXIT_INVALID
            })
        }
    }
}

fn shown(s: &Setter) -> String {
    format!(
        "{}:{}:{} `{}` = {}",
        s.file, s.line, s.column, s.key, s.value
    )
}

/// `FILE:LINE` when `what` has that shape: LINE is a number (a config key never holds a
/// `:`). Whether FILE exists is [`explain_lines`]'s to say.
fn output_line(what: &str) -> Option<(PathBuf, usize)> {
    let (file, line) = what.rsplit_once(':')?;
    let line = line.parse().ok()?;
    Some((PathBuf::from(file), line))
}

/// The lines to explain: one, or every line of the file.
#[derive(Clone, Copy)]
enum Lines {
    One(usize),
    All,
}

/// How one line of `file` is explained, as printed.
fn block(file: &Path, number: usize, content: &str, explanation: &LineExplanation) -> String {
    let mut out = format!("{}:{number}: {}\n", file.display(), content.trim());
    match explanation {
        LineExplanation::Header { exists } => {
            out.push_str(&format!("  {}\n", messages::EXPLAIN_HEADER));
            for s in exists {
                out.push_str(&format!("  {} {}\n", messages::EXPLAIN_EXISTS, shown(s)));
            }
        }
        LineExplanation::SetBy(setters) => {
            for s in setters {
                out.push_str(&format!("  {} {}\n", messages::EXPLAIN_SET_BY, shown(s)));
            }
        }
        LineExplanation::Fixed { unvaried, defaults } => {
            if defaults.is_empty() {
                out.push_str(&format!("  {}\n", messages::EXPLAIN_FIXED));
            }
            for d in defaults {
                out.push_str(&format!("  {}\n", messages::explain_default_line(d)));
            }
            for s in unvaried {
                out.push_str(&format!("  {} {}\n", messages::EXPLAIN_UNVARIED, shown(s)));
            }
        }
    }
    out
}

fn explain_lines(
    args: &ExplainArgs,
    file: &Path,
    lines: Lines,
    report: &mut RunReport,
) -> Result<String, i32> {
    let usage = |report: &mut RunReport, message: String| {
        report
            .diagnostics
            .push(Diagnostic::unlocated("usage", message));
        EXIT_USAGE
    };
    if !std::fs::symlink_metadata(file).is_ok_and(|m| m.is_file()) {
        return Err(usage(
            report,
            messages::explain_missing_file(&file.display().to_string()),
        ));
    }
    let dir = match super::paths::find_projects(&[file.to_path_buf()]) {
        Ok(found) if found.len() == 1 => found[0].clone(),
        Ok(_) => {
            return Err(usage(
                report,
                messages::no_enclosing_project(&file.display().to_string()),
            ));
        }
        Err(d) => {
            report.diagnostics.push(*d);
            return Err(EXIT_USAGE);
        }
    };
    let project = load(&dir, report)?;
    let Some(rel) = explain::output_relative(&project, file) else {
        return Err(usage(
            report,
            messages::explain_not_output(&file.display().to_string()),
        ));
    };
    let renderer =
        Renderer::new(args.templates.as_deref()).map_err(|e| usage(report, e.message(&rel)))?;
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let content = |number: usize| text.lines().nth(number - 1).unwrap_or_default();
    match lines {
        Lines::One(number) => {
            let explanation =
                explain::line(&project, &renderer, &rel, number).map_err(|m| usage(report, m))?;
            Ok(block(file, number, content(number), &explanation))
        }
        Lines::All => {
            let explained =
                explain::file(&project, &renderer, &rel).map_err(|m| usage(report, m))?;
            Ok(explained
                .iter()
                .enumerate()
                .map(|(i, e)| block(file, i + 1, content(i + 1), e))
                .collect())
        }
    }
}

fn explain_key(args: &ExplainArgs, report: &mut RunReport) -> Result<String, i32> {
    let project = load(&args.project, report)?;
    let explanation = explain::key(&project, args.env.as_deref(), &args.what).map_err(|m| {
        report.diagnostics.push(Diagnostic::unlocated("usage", m));
        EXIT_USAGE
    })?;
    let mut out = match &explanation.environment {
        Some(env) => format!(
            "{} in environment `{env}` = {}\n",
            explanation.key, explanation.effective
        ),
        None => format!("{} = {}\n", explanation.key, explanation.effective),
    };
    if explanation.layers.is_empty() {
        out.push_str(&format!("  {}\n", messages::EXPLAIN_DEFAULT));
    }
    for layer in &explanation.layers {
        let role = match layer.role {
            Role::Effective => messages::EXPLAIN_WINS,
            Role::Merged => messages::EXPLAIN_MERGED,
            Role::Overridden => messages::EXPLAIN_OVERRIDDEN,
        };
        match &layer.setter {
            Some(s) => out.push_str(&format!(
                "  {}:{}:{} {} ({role})\n",
                s.file, s.line, s.column, layer.value
            )),
            None => out.push_str(&format!("  {} ({role})\n", layer.value)),
        }
    }
    Ok(out)
}

/// Runs `cfgen explain`.
pub fn run(args: &ExplainArgs, console: &Console) -> i32 {
    let mut report = RunReport {
        command: "explain",
        ..RunReport::default()
    };
    let answer = match output_line(&args.what) {
        Some((file, number)) => explain_lines(args, &file, Lines::One(number), &mut report),
        // A key never holds a `/` and is not a file's name.
        None if args.what.contains('/') || Path::new(&args.what).is_file() => {
            explain_lines(args, Path::new(&args.what), Lines::All, &mut report)
        }
        None => explain_key(args, &mut report),
    };
    match answer {
        Ok(text) => {
            console::stdout(&text);
            EXIT_OK
        }
        Err(code) => {
            report.exit_code = code;
            output::finish(report, Format::Human, console, false)
        }
    }
}
