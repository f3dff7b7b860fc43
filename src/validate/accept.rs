//! Stage 3.5: the warnings a project accepts (`accept:` in `cfgen.yaml`).
//! Each entry marks the warnings of its code (in its `file`, when given) as
//! accepted, with its reason; an entry that matches none is a warning itself,
//! at the entry, so a stale acceptance does not outlive the warning it silenced.

use std::path::Path;

use super::Documents;
use crate::diagnostics::Diagnostic;
use crate::load::PathSegment;
use crate::messages;
use crate::model::{Config, FileKind};

/// Marks the accepted warnings among `diagnostics` and adds one warning per
/// entry that matches nothing.
pub fn apply(
    config: &Config,
    documents: &Documents,
    dir: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut unmatched = Vec::new();
    for (i, entry) in config.manifest.accept.iter().enumerate() {
        let code = entry.code.peek().code();
        let file = entry.file.as_ref().map(|f| dir.join(f.peek()));
        let mut matched = false;
        for d in diagnostics.iter_mut() {
            let in_file = match (&file, &d.location) {
                (None, _) => true,
                (Some(want), Some((source, _))) => source.path() == want.as_path(),
                (Some(_), None) => false,
            };
            if d.code == code && d.is_warning() && in_file {
                d.accepted = Some(entry.reason.peek().clone());
                matched = true;
            }
        }
        if !matched {
            let at = [
                PathSegment::Key("accept".into()),
                PathSegment::Index(i),
                PathSegment::Key("code".into()),
            ];
            let (source, span) = documents.locate(FileKind::Manifest, &at, false);
            unmatched.push(
                Diagnostic::warning(
                    "accept::unmatched",
                    messages::accept_unmatched(
                        code,
                        entry.file.as_ref().map(|f| f.peek().as_str()),
                    ),
                    &source,
                    span,
                )
                .with_label(messages::ACCEPT_UNMATCHED_LABEL)
                .with_help(messages::ACCEPT_UNMATCHED_HELP),
            );
        }
    }
    diagnostics.extend(unmatched);
}
