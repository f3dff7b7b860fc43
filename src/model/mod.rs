//! The typed config model: the manifest and the nine config files, one module
//! each, plus the typed values they share ([`values`]).
//!
//! Every struct denies unknown fields and documents every field: the doc
//! comments become the JSON Schema descriptions that editors show on hover.
//! A constraint beyond a field's Rust type (a range, a pattern, not empty)
//! is part of its type, `Tracked<u16, Between<1024, 65535>>` ([`constraint`]),
//! never a `#[schemars(range/length/regex)]` attribute: deserialization must
//! refuse all the schema refuses, for the typed-first pass to skip the schemas.

pub mod backup;
pub mod checklist;
pub mod constraint;
pub mod docker;
pub mod kubernetes;
pub mod logging;
pub mod manifest;
pub mod monitoring;
mod overlay_schema;
pub mod performance;
pub mod scripts;
pub mod security;
pub mod untagged;
pub mod values;

use schemars::generate::SchemaSettings;

/// One of the ten files of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// `cfgen.yaml`.
    Manifest,
    /// `docker.yaml`.
    Docker,
    /// `kubernetes.yaml`.
    Kubernetes,
    /// `scripts.yaml`.
    Scripts,
    /// `monitoring.yaml`.
    Monitoring,
    /// `logging.yaml`.
    Logging,
    /// `security.yaml`.
    Security,
    /// `backup.yaml`.
    Backup,
    /// `performance.yaml`.
    Performance,
    /// `checklist.yaml`.
    Checklist,
}

/// Where the nine config files live, relative to the manifest.
pub const CONFIG_DIR: &str = "config/deployment";

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "cfgen.yaml";

impl FileKind {
    /// All kinds, manifest first.
    pub const ALL: [Self; 10] = [
        Self::Manifest,
        Self::Docker,
        Self::Kubernetes,
        Self::Scripts,
        Self::Monitoring,
        Self::Logging,
        Self::Security,
        Self::Backup,
        Self::Performance,
        Self::Checklist,
    ];

    /// The id of the kind's file in a project's provenance records.
    #[must_use]
    pub fn id(self) -> crate::provenance::FileId {
        // The position in `ALL`; never more than ten kinds.
        #[allow(clippy::cast_possible_truncation)]
        let index = Self::ALL.iter().position(|k| *k == self).unwrap_or(0) as u16;
        crate::provenance::FileId(index)
    }

    /// The kind of the file with this id.
    #[must_use]
    pub fn from_id(id: crate::provenance::FileId) -> Option<Self> {
        Self::ALL.get(usize::from(id.0)).copied()
    }

    /// Short name: `cfgen`, `docker`, `kubernetes`…; names the schema file.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Manifest => "cfgen",
            Self::Docker => "docker",
            Self::Kubernetes => "kubernetes",
            Self::Scripts => "scripts",
            Self::Monitoring => "monitoring",
            Self::Logging => "logging",
            Self::Security => "security",
            Self::Backup => "backup",
            Self::Performance => "performance",
            Self::Checklist => "checklist",
        }
    }

    /// Path relative to the project folder.
    #[must_use]
    pub fn relative_path(self) -> String {
        match self {
            Self::Manifest => MANIFEST_FILE.to_owned(),
            _ => format!("{CONFIG_DIR}/{}.yaml", self.name()),
        }
    }

    /// The file's single top-level key, for config files.
    #[must_use]
    pub fn top_key(self) -> Option<&'static str> {
        Some(match self {
            Self::Manifest => return None,
            Self::Docker => "docker_config",
            Self::Kubernetes => "kubernetes_config",
            Self::Scripts => "deployment_scripts",
            Self::Monitoring => "monitoring_config",
            Self::Logging => "logging_config",
            Self::Security => "security_config",
            Self::Backup => "backup_config",
            Self::Performance => "performance_config",
            Self::Checklist => "deployment_checklist",
        })
    }

    /// The kind whose top-level key is `key`.
    #[must_use]
    pub fn from_top_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.top_key() == Some(key))
    }

    /// The schema file name under `schema/`.
    #[must_use]
    pub fn schema_file(self) -> String {
        format!("{}.schema.json", self.name())
    }

    /// The JSON Schema (Draft 2020-12) of the file, as committed under `schema/`.
    #[must_use]
    pub fn schema(self) -> serde_json::Value {
        self.schema_of_version(manifest::VERSION)
    }

    /// The schema of the file for a manifest of `version` (only the manifest
    /// has versions; version 1 is read, never written, so it is not committed).
    #[must_use]
    pub fn schema_of_version(self, version: u32) -> serde_json::Value {
        let generator = SchemaSettings::draft2020_12().into_generator();
        let schema = match self {
            Self::Manifest if version == 1 => {
                generator.into_root_schema_for::<manifest::v1::Manifest>()
            }
            Self::Manifest => generator.into_root_schema_for::<manifest::Manifest>(),
            Self::Docker => generator.into_root_schema_for::<docker::DockerFile>(),
            Self::Kubernetes => generator.into_root_schema_for::<kubernetes::KubernetesFile>(),
            Self::Scripts => generator.into_root_schema_for::<scripts::ScriptsFile>(),
            Self::Monitoring => generator.into_root_schema_for::<monitoring::MonitoringFile>(),
            Self::Logging => generator.into_root_schema_for::<logging::LoggingFile>(),
            Self::Security => generator.into_root_schema_for::<security::SecurityFile>(),
            Self::Backup => generator.into_root_schema_for::<backup::BackupFile>(),
            Self::Performance => generator.into_root_schema_for::<performance::PerformanceFile>(),
            Self::Checklist => generator.into_root_schema_for::<checklist::ChecklistFile>(),
        };
        let mut value = schema.to_value();
        if let Some(object) = value.as_object_mut() {
            let mut ordered = serde_json::Map::new();
            ordered.insert(
                "$schema".into(),
                object.remove("$schema").unwrap_or_default(),
            );
            ordered.insert("$id".into(), schema_url(self).into());
            ordered.extend(std::mem::take(object));
            *object = ordered;
        }
        for_editors(&mut value);
        value
    }
}

/// Where the schema of `kind` is published: the file at this version's tag in
/// the repository (`repository` in Cargo.toml), as a raw URL any editor can
/// fetch, e.g. for a `# yaml-language-server: $schema=…` modeline.
#[must_use]
pub fn schema_url(kind: FileKind) -> String {
    let repository = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    let raw = repository.replacen(
        "https://github.com/",
        "https://raw.githubusercontent.com/",
        1,
    );
    format!(
        "{raw}/v{}/schema/{}",
        env!("CARGO_PKG_VERSION"),
        kind.schema_file()
    )
}

/// Adds what editors (yaml-language-server) need beyond the standard keywords:
/// - `markdownDescription` beside each `description`, so `code` renders as code in hover;
/// - a property that is a `$ref` with its own description becomes `allOf: [$ref]`,
///   so hover shows the property's description rather than the shared definition's.
fn for_editors(node: &mut serde_json::Value) {
    match node {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get_mut("properties") {
                for prop in props.values_mut() {
                    if let Some(obj) = prop.as_object_mut()
                        && obj.contains_key("description")
                        && let Some(reference) = obj.remove("$ref")
                    {
                        obj.insert("allOf".into(), serde_json::json!([{ "$ref": reference }]));
                    }
                }
            }
            if let Some(serde_json::Value::String(description)) = map.get("description").cloned()
                && !map.contains_key("markdownDescription")
            {
                map.insert("markdownDescription".into(), description.into());
            }
            for (key, child) in map.iter_mut() {
                if key == "properties" || key == "$defs" {
                    // Maps of names to schemas: recurse into each schema, not the map itself.
                    if let serde_json::Value::Object(named) = child {
                        named.values_mut().for_each(for_editors);
                    }
                } else {
                    for_editors(child);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(for_editors),
        _ => {}
    }
}

/// A project's configuration, typed and checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// `cfgen.yaml`.
    pub manifest: manifest::Manifest,
    /// `docker.yaml`.
    pub docker: docker::DockerConfig,
    /// `kubernetes.yaml`.
    pub kubernetes: kubernetes::KubernetesConfig,
    /// `scripts.yaml`.
    pub scripts: scripts::DeploymentScripts,
    /// `monitoring.yaml`.
    pub monitoring: monitoring::MonitoringConfig,
    /// `logging.yaml`.
    pub logging: logging::LoggingConfig,
    /// `security.yaml`.
    pub security: security::SecurityConfig,
    /// `backup.yaml`.
    pub backup: backup::BackupConfig,
    /// `performance.yaml`.
    pub performance: performance::PerformanceConfig,
    /// `checklist.yaml`.
    pub checklist: checklist::DeploymentChecklist,
}
