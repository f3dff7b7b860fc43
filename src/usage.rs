//! The unused-value report: every leaf of every file that no artifact read.
//!
//! Which values are used is not kept here: it is the planner's record of what
//! each artifact read ([`crate::provenance`]), so a new field is covered the
//! moment a target reads it. This module only words *why* a value nobody read
//! is unused. `tests/usage.rs` proves the record: every value it calls used
//! changes some generated file when the value changes, and no unused one does.

use crate::load::{NodeKind, PathSegment, Span, display_path};
use crate::model::FileKind;
use crate::provenance::Reads;
use crate::validate::Project;

use FileKind::{Backup, Docker, Kubernetes, Logging, Manifest, Monitoring, Performance, Security};

/// Why values nobody reads are unused: path patterns (dotted, `*` matches one
/// key or index, a final `*` everything below) and the reason; the first match
/// wins. A value that matches none gets [`NO_READER`].
pub const REASONS: &[(FileKind, &str, &str)] = &[
    (
        Docker,
        "docker_config.base_images.node",
        "only a `build.runtime: node` image is built from it; this project builds none",
    ),
    (
        Docker,
        "docker_config.build.multi_stage",
        "the node, go, java and rust recipes are always multi-stage: compilers and package caches stay in the build stage",
    ),
    (
        Docker,
        "docker_config.build.security_scanning",
        "`security_config.container.scan_images` decides the image scan; `cfgen validate` checks that this agrees",
    ),
    (
        Docker,
        "docker_config.build.size_optimization",
        "cfgen always builds small images: slim bases, no package caches, binary-only runtime",
    ),
    (
        Kubernetes,
        "kubernetes_config.cluster.namespace",
        "each environment in cfgen.yaml names its own namespace",
    ),
    (
        Kubernetes,
        "kubernetes_config.cluster.replicas",
        "every environment in cfgen.yaml sets its own replicas",
    ),
    (
        Monitoring,
        "monitoring_config.application.health_endpoints.*",
        "checked by `cfgen validate` to declare every probe path of cfgen.yaml; shapes no artifact",
    ),
    (
        Logging,
        "logging_config.formatters.*",
        "only whether a format is a JSON object matters (`LOG_FORMAT=json`); the app formats its own fields",
    ),
    (
        Logging,
        "logging_config.handlers.*",
        "the app logs to stdout at the levels of `levels`; handler classes, levels and formatters are Python logging's",
    ),
    (
        Logging,
        "logging_config.collection.*",
        "the log collector is rendered with the Kubernetes, compose and scripts targets; this project renders none of them",
    ),
    (
        Security,
        "security_config.data.encryption_at_rest",
        "a property of the storage class and the database service, outside cfgen's artifacts",
    ),
    (
        Security,
        "security_config.data.backup_encryption",
        "the backup script follows `backup_config.database.encryption`",
    ),
    (
        Security,
        "security_config.data.key_rotation",
        "key rotation is an operational process; nothing cfgen renders rotates keys",
    ),
    (
        Security,
        "security_config.access.authentication",
        "enforced by the application itself",
    ),
    (
        Backup,
        "backup_config.files.*",
        crate::messages::logship::NO_DATA_VOLUME,
    ),
    (
        Backup,
        "backup_config.configuration.*",
        "configuration lives in version control; no backup job",
    ),
    (
        Backup,
        "backup_config.disaster_recovery.rpo",
        "checked against the backup schedule by `cfgen validate`; shapes no artifact",
    ),
    (
        Backup,
        "backup_config.disaster_recovery.backup_sites",
        "a dump is copied to a second site only with `backup_sites: 2` and cfgen.yaml `backup.second_site` (the bucket), for a project with a database",
    ),
    (
        Backup,
        "backup_config.disaster_recovery.*",
        "the restore drill (its schedule and the RTO it is timed against) renders only for a project with a database",
    ),
    (
        Performance,
        "performance_config.cdn.provider",
        "no CDN configuration is rendered; only the cache headers every CDN honours",
    ),
    (
        Manifest,
        "dependencies.cache.tls",
        "only scripts/redis_connection_test.sh reads it (`redis-cli --tls`): this project renders no scripts",
    ),
];

/// Values that tell cfgen itself how to read and judge the project rather
/// than describe the deployment: no artifact reads them by design, and cfgen
/// acts on every one (the manifest's shape, the warnings it accepts), so
/// listing them as unused would be noise. Patterns as in [`REASONS`].
pub const READ_BY_CFGEN: &[(FileKind, &str)] = &[
    (Manifest, "version"),
    (Manifest, "accept.*"),
    (Manifest, "extends"),
];

/// The reason of a value no artifact read and no entry of [`REASONS`] explains.
pub const NO_READER: &str = "no artifact cfgen renders for this project reads it";

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

/// Why the value at `path` of a file of `kind` is unused, given that no artifact read it.
#[must_use]
pub fn reason(kind: FileKind, path: &[PathSegment]) -> &'static str {
    REASONS
        .iter()
        .find(|(k, pattern, _)| *k == kind && matches(pattern, path))
        .map_or(NO_READER, |(_, _, why)| *why)
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

/// Every leaf of the project's files that no artifact read, but those of
/// [`READ_BY_CFGEN`].
#[must_use]
pub fn unused(project: &Project, reads: &Reads) -> Vec<UnusedValue> {
    let mut out = Vec::new();
    for kind in FileKind::ALL {
        let Some(doc) = project.documents.get(kind) else {
            continue;
        };
        let mut leaves = Vec::new();
        doc.root.leaves(&mut Vec::new(), &mut leaves);
        for (path, span) in leaves {
            if reads.covers(kind.id(), span)
                || READ_BY_CFGEN
                    .iter()
                    .any(|(k, pattern)| *k == kind && matches(pattern, &path))
            {
                continue;
            }
            // An empty list or mapping is not a value anyone set.
            let node = doc.root.lookup(&path);
            if node.is_some_and(|n| {
                matches!(&n.kind, NodeKind::Seq(v) if v.is_empty())
                    || matches!(&n.kind, NodeKind::Map(m) if m.is_empty())
            }) {
                continue;
            }
            let blue_green_limit = kind == Kubernetes
                && project.config.manifest.selects_blue_green()
                && matches("kubernetes_config.cluster.rolling_update.*", &path);
            out.push(UnusedValue {
                kind,
                path: display_path(&path),
                span,
                reason: if blue_green_limit {
                    crate::messages::release::BLUE_GREEN_ROLLING_UNUSED
                } else {
                    reason(kind, &path)
                },
            });
        }
    }
    out
}
