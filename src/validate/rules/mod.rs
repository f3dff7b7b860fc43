//! Stage 3.3: cross-file rules. One rule, one function; each returns the
//! diagnostics it finds, located at the values involved.

mod alerts;
mod backup;
mod dependencies;
mod images;
mod logging;
mod manifest;
mod paths;
mod probes;
mod release;
mod resources;
mod rollout;
mod routing;
mod scanning;
mod scripts;
mod strategy;
mod values;
mod volumes;
mod workload;

use std::path::Path;

use super::Documents;
use crate::diagnostics::Diagnostic;
use crate::load::{PathSegment, Source, Span};
use crate::model::{Config, FileKind};

/// What a rule sees: the typed config, the documents (for locations), the project folder.
pub struct Ctx<'a> {
    /// The typed configuration.
    pub config: &'a Config,
    /// The loaded documents.
    pub documents: &'a Documents,
    /// The project folder.
    pub dir: &'a Path,
    /// The environment whose overlays are merged in, when checking one.
    pub environment: Option<&'a str>,
}

type Rule = fn(&Ctx<'_>) -> Vec<Diagnostic>;

/// Every rule, in the order they run.
const RULES: &[Rule] = &[
    manifest::version_1_is_deprecated,
    resources::requests_within_limits,
    resources::docker_agrees_with_kubernetes,
    rollout::rolling_update_can_progress,
    strategy::blue_green_can_work,
    strategy::argocd_can_work,
    probes::probe_paths_are_health_endpoints,
    scripts::referenced_scripts_exist,
    release::steps_name_rendered_objects,
    release::no_migration_after_rollout,
    alerts::escalation_covers_severities,
    alerts::business_thresholds_fit_metrics,
    logging::formatters_exist,
    logging::file_handlers_get_a_writable_volume,
    logging::collector_is_rendered,
    backup::schedule_meets_rpo,
    backup::backup_sites_are_honourable,
    backup::drill_frequency_is_periodic,
    workload::workload_is_honourable,
    volumes::volumes_are_honourable,
    dependencies::dependencies_are_honourable,
    images::images_are_supported,
    scanning::scan_settings_agree,
    paths::output_inside_project,
    paths::build_context_inside_repository,
    paths::workflow_location,
    routing::gateway_api_limits,
    values::step_values_are_single_lines,
];

/// Runs every rule.
#[must_use]
pub fn check(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    RULES.iter().flat_map(|rule| rule(ctx)).collect()
}

/// Builds a path from keys; numeric strings index lists.
fn path(keys: &[&str]) -> Vec<PathSegment> {
    keys.iter()
        .map(|k| match k.parse::<usize>() {
            Ok(i) => PathSegment::Index(i),
            Err(_) => PathSegment::Key((*k).to_owned()),
        })
        .collect()
}

impl Ctx<'_> {
    /// Source and span of the value at `keys` in the file of `kind`.
    fn at(&self, kind: FileKind, keys: &[&str]) -> (Source, Span) {
        self.documents.locate(kind, &path(keys), false)
    }

    /// Source and span of the key at the end of `keys`.
    fn key(&self, kind: FileKind, keys: &[&str]) -> (Source, Span) {
        self.documents.locate(kind, &path(keys), true)
    }

    fn error(
        &self,
        code: &'static str,
        message: String,
        kind: FileKind,
        keys: &[&str],
    ) -> Diagnostic {
        let (source, span) = self.at(kind, keys);
        Diagnostic::error(code, message, &source, span)
    }

    fn warning(
        &self,
        code: &'static str,
        message: String,
        kind: FileKind,
        keys: &[&str],
    ) -> Diagnostic {
        let (source, span) = self.at(kind, keys);
        Diagnostic::warning(code, message, &source, span)
    }

    /// An error at the key at the end of `keys` in the manifest.
    fn key_error(&self, code: &'static str, message: String, keys: &[&str]) -> Diagnostic {
        let (source, span) = self.key(FileKind::Manifest, keys);
        Diagnostic::error(code, message, &source, span)
    }

    /// Source and span of a value's origin, when it was written in a file.
    fn origin(&self, origin: crate::provenance::Origin) -> Option<(Source, Span)> {
        let crate::provenance::Origin::Input(file, span) = origin else {
            return None;
        };
        let doc = self.documents.get(FileKind::from_id(file)?)?;
        Some((doc.source.clone(), span))
    }

    /// An error at the place a value was written (`None` for a default).
    fn error_at(
        &self,
        code: &'static str,
        message: String,
        origin: crate::provenance::Origin,
    ) -> Option<Diagnostic> {
        let (source, span) = self.origin(origin)?;
        Some(Diagnostic::error(code, message, &source, span))
    }

    /// `d` with a related label at a value's origin, when it was written.
    fn related_origin(
        &self,
        d: Diagnostic,
        origin: crate::provenance::Origin,
        label: impl Into<String>,
    ) -> Diagnostic {
        match self.origin(origin) {
            Some((source, span)) => d.with_related(&source, span, label),
            None => d,
        }
    }

    fn related(
        &self,
        d: Diagnostic,
        kind: FileKind,
        keys: &[&str],
        label: impl Into<String>,
    ) -> Diagnostic {
        let (source, span) = self.at(kind, keys);
        d.with_related(&source, span, label)
    }
}
