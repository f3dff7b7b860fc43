//! Rules of the manifest itself: its version.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::messages;
use crate::model::FileKind::Manifest;

/// A version-1 manifest is read, with a warning that says how to migrate.
pub fn version_1_is_deprecated(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    if *ctx.config.manifest.version.peek() != 1 {
        return Vec::new();
    }
    // Point at `version: 1` when written, else at the `app:` key of the old shape.
    let at: &[&str] = if ctx
        .documents
        .get(Manifest)
        .is_some_and(|d| d.root.entry("version").is_some())
    {
        &["version"]
    } else {
        &["app"]
    };
    let (source, span) = ctx.key(Manifest, at);
    vec![
        Diagnostic::warning(
            "rule::manifest-v1",
            messages::manifest_v1_warning().to_owned(),
            &source,
            span,
        )
        .with_label("the version-1 shape")
        .with_help(messages::manifest_v1_help()),
    ]
}
