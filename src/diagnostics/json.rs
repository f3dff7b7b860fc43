//! `--format json`: one versioned document on stdout for every command, the
//! whole [`RunReport`]. Its shape is documented in `docs/json.md`; a change
//! that removes or retypes a field bumps [`FORMAT_VERSION`].

use serde_json::{Value, json};

use super::Diagnostic;
use super::report::{ProjectReport, RunReport};

/// The version of the document's shape.
pub const FORMAT_VERSION: u32 = 1;

/// One diagnostic as JSON (secrets already masked); `project` names its project.
fn diagnostic(d: &Diagnostic, project: Option<&str>) -> Value {
    let mut item = json!({
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
    });
    if let Some(project) = project {
        item["project"] = project.into();
    }
    if let Some((source, span)) = &d.location {
        let (line, column) = source.line_col(span.start);
        let (end_line, end_column) = source.line_col(span.end);
        item["file"] = source.path().display().to_string().into();
        item["line"] = line.into();
        item["column"] = column.into();
        item["end_line"] = end_line.into();
        item["end_column"] = end_column.into();
    }
    if !d.label.is_empty() {
        item["label"] = d.label.clone().into();
    }
    if let Some(help) = &d.help {
        item["help"] = help.clone().into();
    }
    if !d.related.is_empty() {
        item["related"] = d
            .related
            .iter()
            .map(|r| {
                let (line, column) = r.source.line_col(r.span.start);
                json!({
                    "file": r.source.path().display().to_string(),
                    "line": line,
                    "column": column,
                    "label": r.label,
                })
            })
            .collect();
    }
    if let Some(reason) = &d.accepted {
        item["accepted"] = json!({ "reason": reason });
    }
    item
}

fn project(p: &ProjectReport) -> Value {
    let count = |f: fn(&Diagnostic) -> bool| p.diagnostics.iter().filter(|d| f(d)).count();
    let mut item = json!({
        "path": p.path,
        "name": p.name,
        "output": p.output,
        "errors": count(Diagnostic::is_error),
        "warnings": count(Diagnostic::is_warning),
        "accepted": count(Diagnostic::is_accepted),
    });
    if let Some(files) = &p.files {
        item["files"] = json!({
            "written": files.written,
            "unchanged": files.unchanged,
            "pruned": files.pruned,
            "modes_repaired": files.modes_repaired,
            "swept": files.swept,
            "adopted": files.adopted,
            "kept": files.kept,
            "stale": files.stale.iter().map(|s| json!({ "path": s.path, "change": s.change })).collect::<Vec<_>>(),
        });
        item["diff"] = p.diff.clone().into();
    }
    item["unused"] = p
        .unused
        .iter()
        .map(|u| {
            json!({
                "file": u.file,
                "line": u.line,
                "column": u.column,
                "path": u.path,
                "reason": u.reason,
            })
        })
        .collect();
    item
}

/// The document of a run (diagnostics already masked), pretty-printed with a final newline.
#[must_use]
pub fn document(report: &RunReport) -> String {
    let mut diagnostics: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| diagnostic(d, None))
        .collect();
    for p in &report.projects {
        diagnostics.extend(p.diagnostics.iter().map(|d| diagnostic(d, Some(&p.path))));
    }
    let doc = json!({
        "format": "cfgen-report",
        "format_version": FORMAT_VERSION,
        "cfgen_version": env!("CARGO_PKG_VERSION"),
        "command": report.command,
        "check": report.check,
        "exit_code": report.exit_code,
        "summary": report.summary(),
        "errors": report.errors(),
        "warnings": report.warnings(),
        "accepted": report.accepted(),
        "unused": report.unused(),
        "diagnostics": diagnostics,
        "projects": report.projects.iter().map(project).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
