//! Which config values influence which artifacts, and why the others do not.
//!
//! Every leaf of every config file either feeds some target or is reported by
//! `cfgen build` as unused, with the reason. The table below is checked by
//! `tests/usage.rs`: each value listed as used changes the output when it
//! changes, and each value listed as unused does not.

use crate::load::{NodeKind, PathSegment, Span, display_path};
use crate::model::FileKind;
use crate::validate::Project;

/// What a config value is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// It shapes these artifacts.
    Used(&'static str),
    /// It shapes nothing cfgen generates, for this reason.
    Unused(&'static str),
}

use FileKind::{
    Backup, Checklist, Docker, Kubernetes, Logging, Manifest, Monitoring, Performance, Scripts,
    Security,
};
use Use::{Unused, Used};

/// Path patterns (dotted, `*` matches one key or index) and their use; the first match wins.
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
        "docker_config.build.*",
        Used("Dockerfile, workflow"),
    ),
    (
        Docker,
        "docker_config.runtime.*",
        Used("Dockerfile, docker-compose.yml, k8s"),
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
        Used("LOG_FORMAT in compose and the ConfigMap"),
    ),
    (Logging, "logging_config.*", Used("LOG_LEVEL, log volumes")),
    (Security, "security_config.*", Used("nginx, k8s, workflow")),
    (
        Backup,
        "backup_config.*",
        Used("scripts/backup_database.sh, backup CronJob"),
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
            let reason = match use_of(kind, &path) {
                Some(Used(_)) => continue,
                Some(Unused(reason)) => reason,
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
