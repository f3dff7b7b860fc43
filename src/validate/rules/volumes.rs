//! Data volumes (`processes.<name>.volumes`) that cfgen can honour: a ReadWriteOnce claim is
//! mounted by one node, so its process must run one pod; mount paths do not collide.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::manifest::VolumeAccess;
use crate::plan::file_backup::many_pods;

/// A ReadWriteOnce volume on a process that runs (or may scale to) more than one pod is an
/// error: replicas on other nodes would stay Pending (the claim is attached to one node), and
/// two pods on one node would write the same files without coordination. Two volumes of a
/// process at one path are an error too.
pub fn volumes_are_honourable(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let m = &ctx.config.manifest;
    let mut out = Vec::new();
    for (name, process) in &m.processes {
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for (vol, v) in &process.volumes {
            if let Some((other, _)) = seen.iter().find(|(_, p)| *p == v.path.peek().as_str()) {
                out.extend(
                    ctx.error_at(
                        "rule::volume-path-twice",
                        crate::messages::logship::volume_path_twice(
                            name.as_str(),
                            vol.as_str(),
                            other,
                        ),
                        v.path.origin(),
                    )
                    .map(|d| {
                        d.with_label("mounted here already")
                            .with_help("give each volume its own path")
                    }),
                );
            }
            seen.push((vol.as_str(), v.path.peek().as_str()));
            let rwo = v
                .access
                .as_ref()
                .is_none_or(|a| *a.peek() == VolumeAccess::ReadWriteOnce);
            if !rwo {
                continue;
            }
            let mut counts: Vec<u32> = vec![
                process
                    .replicas
                    .as_ref()
                    .map_or(*ctx.config.kubernetes.cluster.replicas.peek(), |r| {
                        *r.peek()
                    }),
            ];
            counts.extend(m.environments.values().filter_map(|e| {
                e.processes
                    .get(name)
                    .and_then(|o| o.replicas.as_ref())
                    .or(if process.is_public() {
                        e.replicas.as_ref()
                    } else {
                        None
                    })
                    .map(|r| *r.peek())
            }));
            let replicas = counts.into_iter().max().unwrap_or(1);
            if many_pods(replicas, process.autoscale.as_ref().map(|a| a.peek())) {
                let origin = v.access.as_ref().map_or(v.path.origin(), |a| a.origin());
                out.extend(
                    ctx.error_at(
                        "rule::volume-read-write-once",
                        crate::messages::logship::volume_rwo(name.as_str(), vol.as_str(), replicas),
                        origin,
                    )
                    .map(|d| {
                        d.with_label("ReadWriteOnce: one node mounts it")
                            .with_help(crate::messages::logship::VOLUME_RWO_HELP)
                    }),
                );
            }
        }
    }
    out
}
