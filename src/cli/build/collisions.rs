//! Two projects of one run that write the same repository-root workflow.

use std::path::PathBuf;

use crate::diagnostics::Diagnostic;
use crate::diagnostics::report::RunReport;
use crate::messages;

/// Reports, at each project's manifest, two projects of the run that write the same
/// repository-root workflow; true when there are any.
/// `roots` holds each project's index in the report and the repository-root files it
/// writes, in the order of the report.
pub(super) fn collisions(
    roots: &[(usize, Vec<PathBuf>)],
    anchors: &std::collections::BTreeMap<usize, (crate::load::Source, crate::load::Span)>,
    report: &mut RunReport,
) -> bool {
    let mut owners: std::collections::BTreeMap<PathBuf, usize> = std::collections::BTreeMap::new();
    let mut found = Vec::new();
    for (index, paths) in roots {
        for path in paths {
            let path = path.clone();
            match owners.get(&path) {
                Some(&other) => {
                    found.push((*index, other, path.clone()));
                    found.push((other, *index, path));
                }
                None => {
                    owners.insert(path, *index);
                }
            }
        }
    }
    for (index, other, path) in &found {
        let other_name = report.projects[*other]
            .name
            .clone()
            .unwrap_or_else(|| report.projects[*other].path.clone());
        let message =
            messages::workflow::workflow_collision(&path.display().to_string(), &other_name);
        let d = match anchors.get(index) {
            Some((source, span)) => {
                Diagnostic::error("emit::workflow-collision", message, source, *span)
                    .with_label(messages::workflow::WORKFLOW_COLLISION_LABEL)
            }
            None => Diagnostic::unlocated("emit::workflow-collision", message),
        };
        report.projects[*index]
            .diagnostics
            .push(d.with_help(messages::workflow::WORKFLOW_COLLISION_HELP));
    }
    !found.is_empty()
}
