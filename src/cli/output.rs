//! The end of every run: its [`RunReport`] rendered in the chosen format,
//! each part on its stream.
//!
//! | format | stdout | stderr |
//! |---|---|---|
//! | `human` | the diff (`--check`, `diff`) | diagnostics, notes, one summary line |
//! | `github` | annotations (diagnostics, stale files) | notes, the summary, the diff |
//! | `json`, `sarif`, `junit` | the one document (JSON holds the diff) | the diff (SARIF, JUnit) |

use super::console::{self, Console, Level};
use crate::diagnostics::report::RunReport;
use crate::diagnostics::{Diagnostic, Format, json, junit, masked, render_all, sarif};
use crate::messages;

/// The code of a stale output file's diagnostic.
pub const STALE: &str = "emit::stale";

/// Prints the report and returns its exit code.
pub fn finish(mut report: RunReport, format: Format, console: &Console, list_unused: bool) -> i32 {
    report.diagnostics = masked(&report.diagnostics);
    for p in &mut report.projects {
        p.diagnostics = masked(&p.diagnostics);
    }
    let diff: String = report.projects.iter().map(|p| p.diff.as_str()).collect();
    match format {
        Format::Json => console::stdout(&json::document(&report)),
        Format::Sarif => {
            console::stdout(&sarif::document(&report));
            console::stderr(&diff);
        }
        Format::Junit => {
            console::stdout(&junit::document(&report));
            console::stderr(&diff);
        }
        Format::Github => {
            let all: Vec<Diagnostic> = report.all_diagnostics().cloned().collect();
            console::stdout(&render_all(&all, Format::Github, false, console.width));
            notes(&report, console, list_unused);
            console::stderr(&diff);
        }
        Format::Human => {
            let (shown, repeats) = fold_repeats(&report, console.level);
            console::stderr(&render_all(
                &shown,
                Format::Human,
                console.color,
                console.width,
            ));
            for (d, others) in repeats {
                let place = d.position().map(|(f, _, _)| f).unwrap_or_default();
                console.say(&messages::repeated_warning(d.code, &place, &others));
            }
            console::stdout(&diff);
            notes(&report, console, list_unused);
        }
    }
    report.exit_code
}

/// The diagnostics human output shows, and the warnings it folds: a warning
/// that another project already showed, at the same place of the same file
/// with the same words (30 copies of one template), is shown once, followed
/// by one line naming the other projects; `--verbose` shows every one.
fn fold_repeats(
    report: &RunReport,
    level: Level,
) -> (Vec<Diagnostic>, Vec<(Diagnostic, Vec<String>)>) {
    type Key = (&'static str, String, String, String, usize, usize);
    let mut shown = Vec::new();
    let mut first: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
    let mut repeats: Vec<(Diagnostic, Vec<String>)> = Vec::new();
    let keep = |d: &Diagnostic| d.code != STALE && (d.is_error() || level >= Level::Normal);
    shown.extend(report.diagnostics.iter().filter(|d| keep(d)).cloned());
    for p in &report.projects {
        let prefix = format!("{}/", p.path);
        for d in p.diagnostics.iter().filter(|d| keep(d)) {
            let key = d.position().and_then(|(file, line, col)| {
                let rel = file.strip_prefix(&prefix)?.to_owned();
                Some((d.code, d.message.clone(), d.label.clone(), rel, line, col))
            });
            match key {
                Some(key) if d.is_warning() && level < Level::Verbose => match first.get(&key) {
                    Some(&i) => repeats[i].1.push(p.path.clone()),
                    None => {
                        first.insert(key, repeats.len());
                        repeats.push((d.clone(), Vec::new()));
                        shown.push(d.clone());
                    }
                },
                _ => shown.push(d.clone()),
            }
        }
    }
    repeats.retain(|(_, others)| !others.is_empty());
    (shown, repeats)
}

/// The lines for people after the diagnostics: accepted warnings
/// (`--verbose`), each project's results, the unused values, the summary.
fn notes(report: &RunReport, console: &Console, list_unused: bool) {
    for d in report.all_diagnostics().filter(|d| d.is_accepted()) {
        let place = d
            .position()
            .map_or_else(String::new, |(f, l, c)| format!("{f}:{l}:{c}"));
        console.detail(&messages::accepted_line(
            d.code,
            &place,
            d.accepted.as_deref().unwrap_or_default(),
        ));
    }
    for p in &report.projects {
        let (Some(files), Some(out)) = (&p.files, &p.output) else {
            continue;
        };
        let name = p.name.as_deref().unwrap_or(&p.path);
        if !files.swept.is_empty() {
            console.say(&messages::swept(files.swept.len(), out));
        }
        if !files.modes_repaired.is_empty() {
            console.say(&messages::modes_repaired(files.modes_repaired.len(), out));
        }
        if !files.adopted.is_empty() {
            console.say(&messages::adopted(name, out, &files.adopted));
        }
        if report.command == "build" && !report.check {
            let line = messages::build_summary(
                name,
                out,
                files.written.len(),
                files.unchanged.len(),
                files.pruned.len(),
            );
            if files.written.is_empty() && files.pruned.is_empty() {
                console.detail(&line);
            } else {
                console.say(&line);
            }
        } else if !files.stale.is_empty() {
            console.say(&messages::stale_output(files.stale.len(), out));
        }
    }
    let unused = report.unused();
    if list_unused {
        for p in report.projects.iter().filter(|p| !p.unused.is_empty()) {
            let name = p.name.as_deref().unwrap_or(&p.path);
            console.say(&messages::unused_heading(name, p.unused.len()));
            for u in &p.unused {
                console.say(&messages::unused_line(
                    &u.file, u.line, u.column, &u.path, u.reason,
                ));
            }
        }
    } else if unused > 0 {
        let projects = report
            .projects
            .iter()
            .filter(|p| !p.unused.is_empty())
            .count();
        console.say(&messages::unused_count(unused, projects));
    }
    // A run stopped by a usage error has nothing to sum up.
    if report.projects.is_empty() && report.command != "schema" {
        return;
    }
    let summary = report.summary();
    let summary = if report.errors() > 0 {
        console.paint(&summary, 31)
    } else if report.warnings() > 0 {
        console.paint(&summary, 33)
    } else {
        console.paint(&summary, 32)
    };
    console.say(&summary);
}
