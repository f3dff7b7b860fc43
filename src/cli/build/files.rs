//! The report of a comparison: stale files and their diffs, refused manifest lines, kept
//! files, and emit failures as diagnostics.

use super::output;
use crate::diagnostics::Diagnostic;
use crate::diagnostics::report::{Files, ProjectReport, Stale};
use crate::emit::{self, Change};
use crate::generate::Output;
use crate::load::SourceFile;
use crate::messages;

/// The diagnostic of an emit failure, and whether it is an I/O failure (exit 2)
/// rather than a refusal of what the folder holds (exit 1).
pub(super) fn emit_failure(e: &emit::EmitError) -> (Diagnostic, bool) {
    match e {
        emit::EmitError::Io { .. } => (Diagnostic::unlocated("io", e.message()), true),
        emit::EmitError::NotRegular { .. } => (
            Diagnostic::unlocated("emit::not-regular", e.message())
                .with_help(messages::NOT_REGULAR_OUTPUT_HELP),
            false,
        ),
        emit::EmitError::Outside { .. } => {
            (Diagnostic::unlocated("emit::outside", e.message()), false)
        }
    }
}

/// The diagnostics of manifest lines cfgen refuses to act on.
pub(super) fn bad_entries(folder: &emit::Folder, comparison: &emit::Comparison) -> Vec<Diagnostic> {
    if comparison.bad_entries.is_empty() {
        return Vec::new();
    }
    let source = SourceFile::new(
        folder.shown().join(emit::MANIFEST_NAME),
        comparison.manifest_text.clone(),
    );
    comparison
        .bad_entries
        .iter()
        .map(|b| {
            Diagnostic::error(
                "emit::manifest-entry",
                messages::bad_manifest_entry(&b.path, b.reason),
                &source,
                b.span,
            )
            .with_label(messages::BAD_MANIFEST_ENTRY_LABEL)
            .with_help(messages::BAD_MANIFEST_ENTRY_HELP)
        })
        .collect()
}

/// The warnings of listed files cfgen no longer generates and leaves in place.
pub(super) fn kept(folder: &emit::Folder, comparison: &emit::Comparison) -> Vec<Diagnostic> {
    comparison
        .kept
        .iter()
        .map(|(rel, why)| {
            let why = match why {
                emit::KeptBecause::Changed => messages::KEPT_CHANGED.to_owned(),
                emit::KeptBecause::NoHash => messages::KEPT_NO_HASH.to_owned(),
                emit::KeptBecause::NotRegular(kind) => format!("it is {}", kind.words()),
            };
            let path = path_in(folder, rel);
            Diagnostic {
                severity: crate::diagnostics::Severity::Warning,
                ..Diagnostic::unlocated("emit::kept", messages::kept(&path, &why))
            }
        })
        .collect()
}

/// The shown path of `rel` in `folder`.
pub(super) fn path_in(folder: &emit::Folder, rel: &str) -> String {
    rel.split('/')
        .fold(folder.shown(), |p, c| p.join(c))
        .display()
        .to_string()
}

/// One change as a unified diff, and its name in the report.
pub(super) fn change_text(output: &Output, change: &Change) -> (String, &'static str, String) {
    match change {
        Change::Added(rel) => (
            rel.clone(),
            "added",
            similar::TextDiff::from_lines("", output.files[rel].text.as_str())
                .unified_diff()
                .header("/dev/null", &format!("b/{rel}"))
                .to_string(),
        ),
        Change::Modified(rel, diff) => (rel.clone(), "modified", diff.clone()),
        Change::Mode {
            path,
            found,
            wanted,
        } => (
            path.clone(),
            "mode",
            format!("--- a/{path}\n+++ b/{path}\n(mode {found:03o} -> {wanted:03o})\n"),
        ),
        Change::Removed(rel) => (
            rel.clone(),
            "pruned",
            format!("--- a/{rel}\n+++ /dev/null\n(pruned: no longer generated)\n"),
        ),
        Change::Leftover(rel) => (
            rel.clone(),
            "leftover",
            format!(
                "--- a/{rel}\n+++ /dev/null\n(removed: a temporary file an interrupted build left)\n"
            ),
        ),
    }
}

/// The files of a comparison: what is unchanged, adopted and kept, and (when
/// not writing) what is stale, with the diff and, with `--check`, one error per stale file.
pub(super) fn files_of(
    output: &Output,
    folder: &emit::Folder,
    comparison: &emit::Comparison,
    project: &mut ProjectReport,
    stale_is_error: bool,
    writing: bool,
) {
    let changed: std::collections::BTreeSet<&str> = comparison
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Added(p) | Change::Modified(p, _) | Change::Mode { path: p, .. } => {
                Some(p.as_str())
            }
            _ => None,
        })
        .collect();
    let mut files = Files {
        unchanged: output
            .files
            .keys()
            .filter(|k| !changed.contains(k.as_str()))
            .cloned()
            .collect(),
        adopted: comparison.adopted.clone(),
        kept: comparison.kept.iter().map(|(p, _)| p.clone()).collect(),
        ..Files::default()
    };
    for change in &comparison.changes {
        let (rel, kind, diff) = change_text(output, change);
        if writing {
            match kind {
                "added" | "modified" => files.written.push(rel),
                "mode" => files.modes_repaired.push(rel),
                "pruned" => files.pruned.push(rel),
                _ => files.swept.push(rel),
            }
            continue;
        }
        project.diff.push_str(&diff);
        if stale_is_error {
            let shown = path_in(folder, &rel);
            project.diagnostics.push(
                Diagnostic::error(
                    output::STALE,
                    messages::stale_file(&shown, kind),
                    &SourceFile::new(&shown, String::new()),
                    crate::load::Span::new(0, 0),
                )
                .with_help(messages::STALE_FILE_HELP),
            );
        }
        files.stale.push(Stale {
            path: rel,
            change: kind,
        });
    }
    project.files = Some(files);
}
