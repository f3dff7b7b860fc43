//! Stage 3.5: each environment with overlays is validated as a project of its
//! own: its merged documents ([`layers::documents_for`]) go through the schema
//! pass, the typed pass and the rules, and every diagnostic is moved to the
//! file its value is in. What already holds in the base is reported once, by
//! the base; what holds only in one environment says which.
//!
//! Then two checks only an environment can fail (both errors, located at the
//! overlay's value): a value baked into the image (the image is built once and
//! promoted, so an environment cannot change it), and a value no artifact of
//! the environment reads (it would change nothing where the user expects it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::layers::{self, Layers};
use super::{Documents, Project, rules, schema, typed};
use crate::diagnostics::Diagnostic;
use crate::load::{NodeKind, PathSegment, Span, display_path, layer};
use crate::messages;
use crate::plan;
use crate::provenance;

/// A diagnostic's identity: two with the same one say the same thing at the same place.
fn identity(d: &Diagnostic) -> (&'static str, &str, Option<(String, Span)>) {
    (
        d.code,
        d.message.as_str(),
        d.location
            .as_ref()
            .map(|(s, span)| (s.path().display().to_string(), *span)),
    )
}

/// Validates every environment that has overlays. Returns their projects
/// (for those that are valid) and the diagnostics that hold in an
/// environment but not in the base (`base` holds the base's).
pub(super) fn check(
    dir: &Path,
    documents: &Documents,
    layers: &Layers,
    base: &[Diagnostic],
) -> (BTreeMap<String, Project>, Vec<Diagnostic>) {
    let known: BTreeSet<_> = base.iter().map(identity).collect();
    let mut projects = BTreeMap::new();
    let mut out = Vec::new();
    for env in layers.environments() {
        let docs = layers::documents_for(documents, layers, env, dir);
        let mut found = Vec::new();
        // The typed pass first, as for the base (see `super::check_project`).
        let first = typed::first(&docs);
        for overlay in layers.of(env) {
            if let Some(doc) = docs.get(overlay.kind) {
                if first.is_some() {
                    found.extend(schema::empty(overlay.kind, doc));
                } else {
                    found.extend(schema::check(overlay.kind, doc));
                }
            }
        }
        if found.iter().all(|d| !d.is_error()) {
            match first.map_or_else(|| typed::build(&docs), Ok) {
                Ok(config) => {
                    found.extend(rules::check(&rules::Ctx {
                        config: &config,
                        documents: &docs,
                        dir,
                        environment: Some(env),
                    }));
                    if found.iter().all(|d| !d.is_error()) {
                        projects.insert(env.to_owned(), Project::environment(dir, config, docs));
                    }
                }
                Err(errors) => found.extend(errors),
            }
        }
        for d in found {
            let d = layers.rehome(d);
            if known.contains(&identity(&d)) {
                continue;
            }
            out.push(Diagnostic {
                message: messages::in_environment(&d.message, env),
                ..d
            });
        }
    }
    (projects, out)
}

/// The errors of overlay values cfgen cannot honour: each value of an
/// environment's overlay must reach what is planned for that environment
/// (its `k8s/<env>/` folder, its deploy job, its URL in the scripts). One that only the image reads is baked into it (the
/// image is built once and promoted, so it cannot differ per environment);
/// one nothing reads would change nothing where the user expects it.
pub(super) fn honoured(project: &Project) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if project.environments.is_empty() {
        return out;
    }
    // Only what is planned per environment reads an environment's config.
    let reads = &project.plan().reads;
    for (env, env_project) in &project.environments {
        let (_, image_reads) = provenance::record(|| plan::docker::plan(env_project));
        for overlay in project.layers.of(env) {
            let mut leaves = Vec::new();
            overlay.doc.root.leaves(&mut Vec::new(), &mut leaves);
            for (path, span) in leaves {
                let removal = overlay
                    .doc
                    .root
                    .lookup(&path)
                    .is_some_and(|n| matches!(n.kind, NodeKind::Null));
                // A named list item's `name` says which item the overlay merges into.
                let item_name = matches!(
                    path.as_slice(),
                    [.., PathSegment::Index(_), PathSegment::Key(k)] if k == "name"
                );
                if removal || item_name || reads.covers(overlay.kind.id(), span) {
                    continue;
                }
                let baked = image_reads.covers(overlay.kind.id(), span);
                // A shared policy serves projects that read different values:
                // one this project does not read is no mistake of its own.
                if overlay.policy.is_some() && !baked {
                    continue;
                }
                let shown = display_path(&path);
                let d = if baked {
                    Diagnostic::error(
                        "overlay::baked-into-image",
                        messages::baked_into_image(&shown, env),
                        &overlay.doc.source,
                        layer::split(span).1,
                    )
                    .with_label("read only by the Dockerfile")
                    .with_help(messages::baked_into_image_help())
                } else {
                    Diagnostic::error(
                        "overlay::unused",
                        messages::overlay_unused(&shown, env),
                        &overlay.doc.source,
                        layer::split(span).1,
                    )
                    .with_label(crate::usage::reason(overlay.kind, &path))
                    .with_help(messages::overlay_unused_help())
                };
                out.push(with_base(project, overlay, &path, d));
            }
        }
    }
    out
}

/// `d` with a related label at the base value the overlay overrides, if any.
fn with_base(
    project: &Project,
    overlay: &layers::Overlay,
    path: &[PathSegment],
    d: Diagnostic,
) -> Diagnostic {
    match project.documents.get(overlay.kind) {
        Some(base) if base.root.lookup(path).is_some() => {
            let (source, span) = project.documents.locate(overlay.kind, path, false);
            d.with_related(
                &source,
                span,
                messages::overridden_base(overlay.env.as_deref().unwrap_or_default()),
            )
        }
        _ => d,
    }
}
