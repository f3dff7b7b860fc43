//! Stage 3.2: the typed pass. Deserializes each checked document into the
//! model; an error (a value the schema lets through but the type refuses) is
//! located through the path `serde_path_to_error` reports.

use serde::de::DeserializeOwned;

use super::Documents;
use crate::diagnostics::Diagnostic;
use crate::load::{PathSegment, parse_pointer};
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
        Some(doc) if matches!(doc.root.kind, crate::load::NodeKind::Null) => {
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
