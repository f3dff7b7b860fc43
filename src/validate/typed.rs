//! Stage 3.2: the typed pass. Deserializes each checked document into the
//! model; an error (a value the schema lets through but the type refuses) is
//! located through the path `serde_path_to_error` reports.
//!
//! It also runs first, before any schema ([`first`]): the model's types carry
//! every constraint of the schemas generated from them
//! ([`crate::model::constraint`]), so documents that deserialize are documents
//! the schemas accept, and the schemas need not compile. They do when the
//! typed pass refuses a document, to explain why in today's words.

use serde::de::DeserializeOwned;

use super::Documents;
use crate::diagnostics::Diagnostic;
use crate::load::{Document, Node, NodeKind, PathSegment, parse_pointer};
use crate::model::{
    Config, FileKind, backup, checklist, docker, kubernetes, logging, manifest, monitoring,
    performance, scripts, security,
};

/// The typed content of the file of `kind`; a policy file that is absent or
/// empty is its defaults.
fn typed<T: DeserializeOwned + Default>(
    documents: &Documents,
    kind: FileKind,
    errors: &mut Vec<Diagnostic>,
) -> Option<T> {
    match documents.get(kind) {
        None => return Some(T::default()),
        Some(doc) if matches!(doc.root.kind, NodeKind::Null) => {
            return Some(T::default());
        }
        Some(_) => {}
    }
    typed_required(documents, kind, errors)
}

fn typed_required<T: DeserializeOwned>(
    documents: &Documents,
    kind: FileKind,
    errors: &mut Vec<Diagnostic>,
) -> Option<T> {
    let doc = documents.get(kind)?;
    let de = crate::load::NodeDeserializer::new(&doc.root, kind.id());
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Some(v),
        Err(e) => {
            let pointer: String = e.path().iter().map(|s| format!("/{s}")).collect();
            let path: Vec<PathSegment> = parse_pointer(&pointer);
            let (span, _) = doc.root.locate(&path, false);
            errors.push(
                Diagnostic::error(
                    "type",
                    format!("invalid value for `{}`", crate::load::display_path(&path)),
                    &doc.source,
                    span,
                )
                .with_label(e.into_inner().to_string()),
            );
            None
        }
    }
}

/// Builds the typed configuration, or the located errors that prevent it.
pub fn build(documents: &Documents) -> Result<Config, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let e = &mut errors;
    let version = documents
        .get(FileKind::Manifest)
        .and_then(|doc| manifest::version_of(&doc.root).ok());
    let manifest = if version == Some(1) {
        typed_required::<manifest::v1::Manifest>(documents, FileKind::Manifest, e)
            .map(manifest::v1::Manifest::into_v2)
    } else {
        typed_required::<manifest::Manifest>(documents, FileKind::Manifest, e)
    };
    let docker = typed::<docker::DockerFile>(documents, FileKind::Docker, e);
    let kubernetes = typed::<kubernetes::KubernetesFile>(documents, FileKind::Kubernetes, e);
    let scripts = typed::<scripts::ScriptsFile>(documents, FileKind::Scripts, e);
    let monitoring = typed::<monitoring::MonitoringFile>(documents, FileKind::Monitoring, e);
    let logging = typed::<logging::LoggingFile>(documents, FileKind::Logging, e);
    let security = typed::<security::SecurityFile>(documents, FileKind::Security, e);
    let backup = typed::<backup::BackupFile>(documents, FileKind::Backup, e);
    let performance = typed::<performance::PerformanceFile>(documents, FileKind::Performance, e);
    let checklist = typed::<checklist::ChecklistFile>(documents, FileKind::Checklist, e);
    match (
        manifest,
        docker,
        kubernetes,
        scripts,
        monitoring,
        logging,
        security,
        backup,
        performance,
        checklist,
    ) {
        (
            Some(manifest),
            Some(d),
            Some(k),
            Some(s),
            Some(m),
            Some(l),
            Some(sec),
            Some(b),
            Some(p),
            Some(c),
        ) if errors.is_empty() => Ok(Config {
            manifest,
            docker: d.docker_config,
            kubernetes: k.kubernetes_config,
            scripts: s.deployment_scripts,
            monitoring: m.monitoring_config,
            logging: l.logging_config,
            security: sec.security_config,
            backup: b.backup_config,
            performance: p.performance_config,
            checklist: c.deployment_checklist,
        }),
        _ => Err(errors),
    }
}

/// The typed configuration when the typed pass alone decides that every
/// document passes its schema: each deserializes, and none holds what serde
/// reads more leniently than the schema ([`decides`]). `None` sends the
/// documents to the schemas, which explain (or, for what the typed pass
/// cannot decide, accept) them as they always have.
#[must_use]
pub fn first(documents: &Documents) -> Option<Config> {
    if !documents.docs.iter().all(|(kind, doc)| decides(*kind, doc)) {
        return None;
    }
    build(documents).ok()
}

/// Whether deserializing `doc` gives the schema's verdict, leaving aside the
/// constraints the types carry. Not in two corners, which go to the schema:
///
/// - a `null` below the top level: serde reads it as an absent value, but a
///   section whose schema is the section itself (`#[schemars(with = …)]`, so
///   that editors show its description) refuses `null`;
/// - a float that is not finite (`.inf`, `.nan`): serde reads the number,
///   the schema sees the text JSON has instead.
///
/// And not a manifest of a version cfgen does not know: the schema pass names it.
#[must_use]
pub fn decides(kind: FileKind, doc: &Document) -> bool {
    fn plain(node: &Node) -> bool {
        match &node.kind {
            NodeKind::Null => false,
            NodeKind::Float(f) => f.is_finite(),
            NodeKind::Seq(items) => items.iter().all(plain),
            NodeKind::Map(entries) => entries.iter().all(|e| plain(&e.value)),
            NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Str(_) => true,
        }
    }
    if matches!(doc.root.kind, NodeKind::Null) {
        // An empty file: its defaults (the manifest's fails to deserialize).
        return true;
    }
    (kind != FileKind::Manifest || manifest::version_of(&doc.root).is_ok()) && plain(&doc.root)
}

/// The typed pass's verdict on one document alone: [`decides`] it, and it
/// deserializes into its file's type (tests hold it to the schema's verdict).
#[must_use]
pub fn accepts(kind: FileKind, doc: &Document) -> bool {
    fn ok<T: DeserializeOwned + Default>(documents: &Documents, kind: FileKind) -> bool {
        typed::<T>(documents, kind, &mut Vec::new()).is_some()
    }
    if !decides(kind, doc) {
        return false;
    }
    let mut documents = Documents::default();
    documents.insert(kind, doc.clone());
    let d = &documents;
    match kind {
        FileKind::Manifest if manifest::version_of(&doc.root) == Ok(1) => {
            typed_required::<manifest::v1::Manifest>(d, kind, &mut Vec::new()).is_some()
        }
        FileKind::Manifest => {
            typed_required::<manifest::Manifest>(d, kind, &mut Vec::new()).is_some()
        }
        FileKind::Docker => ok::<docker::DockerFile>(d, kind),
        FileKind::Kubernetes => ok::<kubernetes::KubernetesFile>(d, kind),
        FileKind::Scripts => ok::<scripts::ScriptsFile>(d, kind),
        FileKind::Monitoring => ok::<monitoring::MonitoringFile>(d, kind),
        FileKind::Logging => ok::<logging::LoggingFile>(d, kind),
        FileKind::Security => ok::<security::SecurityFile>(d, kind),
        FileKind::Backup => ok::<backup::BackupFile>(d, kind),
        FileKind::Performance => ok::<performance::PerformanceFile>(d, kind),
        FileKind::Checklist => ok::<checklist::ChecklistFile>(d, kind),
    }
}
