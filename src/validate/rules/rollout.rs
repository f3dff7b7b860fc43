//! A rolling update must be able to make progress and stay within the replicas.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::{Kubernetes, Manifest};

/// `max_surge` and `max_unavailable` are not both zero, and neither exceeds the replicas (of any environment).
pub fn rolling_update_can_progress(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let cluster = &ctx.config.kubernetes.cluster;
    let ru = &cluster.rolling_update;
    let base = ["kubernetes_config", "cluster", "rolling_update"];
    let mut replica_counts = vec![(cluster.replicas, None)];
    for (name, env) in &ctx.config.manifest.environments {
        if let Some(r) = env.replicas {
            replica_counts.push((r, Some(name.as_str())));
        }
    }
    let mut out = Vec::new();
    for (replicas, env) in replica_counts {
        let surge = ru.max_surge.resolve(replicas, true);
        let unavailable = ru.max_unavailable.resolve(replicas, false);
        let context = env.map_or_else(
            || format!("{replicas} replicas"),
            |e| format!("{replicas} replicas in `{e}`"),
        );
        let mut d = None;
        if surge == 0 && unavailable == 0 {
            d = Some(
                ctx.error("rule::rollout-stuck", format!("with {context}, `max_surge` and `max_unavailable` are both 0: a rollout could never replace a pod"), Kubernetes, &[base[0], base[1], base[2], "max_surge"])
                    .with_label("resolves to 0")
                    .with_help("allow at least one extra pod (`max_surge: 1`) or one unavailable pod"),
            );
        } else if surge > replicas {
            d = Some(
                ctx.error(
                    "rule::rollout-over-replicas",
                    format!("`max_surge` ({surge}) is more than the {context}"),
                    Kubernetes,
                    &[base[0], base[1], base[2], "max_surge"],
                )
                .with_label(format!("expected at most {replicas}")),
            );
        } else if unavailable > replicas {
            d = Some(
                ctx.error(
                    "rule::rollout-over-replicas",
                    format!("`max_unavailable` ({unavailable}) is more than the {context}"),
                    Kubernetes,
                    &[base[0], base[1], base[2], "max_unavailable"],
                )
                .with_label(format!("expected at most {replicas}")),
            );
        }
        if let Some(mut d) = d {
            if let Some(e) = env {
                d = ctx.related(
                    d,
                    Manifest,
                    &["environments", e, "replicas"],
                    "replicas set here",
                );
            }
            out.push(d);
        }
    }
    out
}
