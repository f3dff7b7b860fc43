//! Which config values influence which artifacts, and why the others do not.
//!
//! Every leaf of every config file either feeds some target or is reported by
//! `cfgen build` as unused, with the reason. The table below is checked by
//! `tests/usage.rs`: each value listed as used changes the output when it
//! changes, and each value listed as unused does not.

use crate::load::{NodeKind, PathSegment, Span, display_path};
use crate::model::{Config, FileKind};
use crate::validate::Project;

/// What a config value is for.
#[derive(Debug, Clone, Copy)]
pub enum Use {
    /// It shapes these artifacts.
    Used(&'static str),
    /// It shapes nothing cfgen generates, for this reason.
    Unused(&'static str),
    /// Used, unless the condition holds for the project; then unused for the reason.
    UnusedIf(fn(&Config) -> bool, &'static str),
}

impl Use {
    /// Why the value is unused in this project, or `None` when it is used.
    #[must_use]
    pub fn unused_reason(self, config: &Config) -> Option<&'static str> {
        match self {
            Self::Used(_) => None,
            Self::Unused(reason) => Some(reason),
            Self::UnusedIf(condition, reason) => condition(config).then_some(reason),
        }
    }
}

use FileKind::{
    Backup, Checklist, Docker, Kubernetes, Logging, Manifest, Monitoring, Performance, Scripts,
    Security,
};
use Use::{Unused, UnusedIf, Used};

/// Path patterns (dotted, `*` matches one key or index, a final `*` everything
/// below) and their use; the first match wins.
pub const USAGE: &[(FileKind, &str, Use)] = &[
    (Manifest, "*", Used("all artifacts")),
    (
        Docker,
        "docker_config.base_images.node",
        Unused("documentation only: no Node.js stage in the app images"),
    ),
    (
        Docker,
        "docker_config.base_images.*",
        Used("Dockerfile, docker-compose.yml"),
    ),
    (
        Docker,
        "docker_config.build.security_scanning",
        UnusedIf(
            |c| c.security.container.scan_images,
            "the image scan already runs because `security_config.container.scan_images` is on",
        ),
    ),
    (
        Docker,
        "docker_config.build.size_optimization",
        Unused(
            "cfgen always builds small images: slim bases, no package caches, binary-only runtime",
        ),
    ),
    (
        Docker,
        "docker_config.*",
        Used("Dockerfile, docker-compose.yml, k8s"),
    ),
    (
        Kubernetes,
        "kubernetes_config.cluster.namespace",
        Unused("each environment in cfgen.yaml names its own namespace"),
    ),
    (
        Kubernetes,
        "kubernetes_config.cluster.replicas",
        UnusedIf(
            |c| {
                c.manifest
                    .environments
                    .values()
                    .all(|e| e.replicas.is_some())
            },
            "every environment in cfgen.yaml sets its own replicas",
        ),
    ),
    (Kubernetes, "kubernetes_config.*", Used("k8s")),
    (
        Scripts,
        "deployment_scripts.*",
        Used("workflow, scripts/deploy.sh"),
    ),
    (
        Monitoring,
        "monitoring_config.*",
        Used("monitoring, k8s probes"),
    ),
    (
        Logging,
        "logging_config.formatters.*",
        Unused(
            "only whether a format is a JSON object matters (`LOG_FORMAT=json`); the app formats its own fields",
        ),
    ),
    (
        Logging,
        "logging_config.handlers.*.filename",
        Used("writable log volume in compose and k8s"),
    ),
    (
        Logging,
        "logging_config.handlers.*.maxBytes",
        Used("size of the log volume"),
    ),
    (
        Logging,
        "logging_config.handlers.*.backupCount",
        Used("size of the log volume"),
    ),
    (
        Logging,
        "logging_config.handlers.*",
        Unused(
            "the app logs to stdout at the levels of `levels`; handler classes, levels and formatters are Python logging's",
        ),
    ),
    (
        Logging,
        "logging_config.collection.*",
        Unused(
            "cfgen renders no log collector: the node agent is cluster infrastructure, fed by the app's JSON on stdout",
        ),
    ),
    (
        Logging,
        "logging_config.*",
        Used("LOG_LEVEL in compose and the ConfigMap"),
    ),
    (
        Security,
        "security_config.container.scan_images",
        UnusedIf(
            |c| c.docker.build.security_scanning,
            "the image scan already runs because `docker_config.build.security_scanning` is on",
        ),
    ),
    (
        Security,
        "security_config.data.encryption_at_rest",
        Unused(
            "a property of the storage class and the database service, outside cfgen's artifacts",
        ),
    ),
    (
        Security,
        "security_config.data.backup_encryption",
        Unused("the backup script follows `backup_config.database.encryption`"),
    ),
    (
        Security,
        "security_config.data.key_rotation",
        Unused("key rotation is an operational process; nothing cfgen renders rotates keys"),
    ),
    (
        Security,
        "security_config.access.authentication",
        Unused("enforced by the application itself"),
    ),
    (Security, "security_config.*", Used("nginx, k8s, workflow")),
    (
        Backup,
        "backup_config.database.*",
        Used("scripts/backup_database.sh, backup CronJob"),
    ),
    (
        Backup,
        "backup_config.files.*",
        Unused("cfgen generates database backups only; no file backup job"),
    ),
    (
        Backup,
        "backup_config.configuration.*",
        Unused("configuration lives in version control; no backup job"),
    ),
    (
        Backup,
        "backup_config.disaster_recovery.rpo",
        Unused("checked against the backup schedule by `cfgen validate`; shapes no artifact"),
    ),
    (
        Backup,
        "backup_config.disaster_recovery.*",
        Unused("documentation only: recovery objectives and drills are not rendered"),
    ),
    (
        Performance,
        "performance_config.cdn.provider",
        Unused("no CDN configuration is rendered; only the cache headers every CDN honours"),
    ),
    (
        Performance,
        "performance_config.*",
        Used("app environment, nginx"),
    ),
    (
        Checklist,
        "deployment_checklist.*",
        Used(".github/pull_request_template.md"),
    ),
];

fn matches(pattern: &str, path: &[PathSegment]) -> bool {
    let parts: Vec<&str> = pattern.split('.').collect();
    // A trailing `*` covers everything below; other `*` match one segment.
    let (fixed, rest_any) = match parts.split_last() {
        Some((&"*", init)) => (init, true),
        _ => (&parts[..], false),
    };
    if path.len() < fixed.len() || (!rest_any && path.len() != fixed.len()) {
        return false;
    }
    fixed.iter().zip(path).all(|(p, seg)| match seg {
        _ if *p == "*" => true,
        PathSegment::Key(k) => k == p,
        PathSegment::Index(i) => p.parse::<usize>().ok() == Some(*i),
    })
}

/// The use of the value at `path` in a file of `kind`.
#[must_use]
pub fn use_of(kind: FileKind, path: &[PathSegment]) -> Option<Use> {
    USAGE
        .iter()
        .find(|(k, pattern, _)| *k == kind && matches(pattern, path))
        .map(|(_, _, u)| *u)
}

/// A config value no artifact uses.
#[derive(Debug, Clone)]
pub struct UnusedValue {
    /// The file.
    pub kind: FileKind,
    /// The value's path, as users write it.
    pub path: String,
    /// Where it stands.
    pub span: Span,
    /// Why it is not used.
    pub reason: &'static str,
}

/// Every leaf of the project's files that influences no artifact.
#[must_use]
pub fn unused(project: &Project) -> Vec<UnusedValue> {
    let mut out = Vec::new();
    for kind in FileKind::ALL {
        let Some(doc) = project.documents.get(kind) else {
            continue;
        };
        let mut leaves = Vec::new();
        doc.root.leaves(&mut Vec::new(), &mut leaves);
        for (path, span) in leaves {
            let reason = match use_of(kind, &path).map(|u| u.unused_reason(&project.config)) {
                Some(None) => continue,
                Some(Some(reason)) => reason,
                None => "no target reads it",
            };
            // An empty list or mapping is not a value anyone set.
            let node = doc.root.lookup(&path);
            if node.is_some_and(|n| {
                matches!(&n.kind, NodeKind::Seq(v) if v.is_empty())
                    || matches!(&n.kind, NodeKind::Map(m) if m.is_empty())
            }) {
                continue;
            }
            out.push(UnusedValue {
                kind,
                path: display_path(&path),
                span,
                reason,
            });
        }
    }
    out
}
