//! A rolling update must be able to make progress and stay within the replicas.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::{Kubernetes, Manifest};

/// `max_surge` and `max_unavailable` are not both zero, and neither exceeds the
/// replicas (of the cluster default or of any environment). Each problem is
/// reported once, naming every replica count it applies to.
pub fn rolling_update_can_progress(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    // Blue-green with a port on every process: no Deployment reads the limits (they are
    // reported unused, with that reason).
    let m = &ctx.config.manifest;
    if m.selects_blue_green() && m.processes.values().all(|p| p.port.is_some()) {
        return Vec::new();
    }
    let cluster = &ctx.config.kubernetes.cluster;
    let ru = &cluster.rolling_update;
    let base = ["kubernetes_config", "cluster", "rolling_update"];
    let mut replica_counts = vec![(*cluster.replicas, None)];
    for (name, env) in &ctx.config.manifest.environments {
        if let Some(r) = env.replicas {
            replica_counts.push((*r, Some(name.as_str())));
        }
    }
    let resolved: Vec<(u32, Option<&str>, u32, u32)> = replica_counts
        .into_iter()
        .map(|(replicas, env)| {
            let surge = ru.max_surge.resolve(replicas, true);
            let unavailable = ru.max_unavailable.resolve(replicas, false);
            (replicas, env, surge, unavailable)
        })
        .collect();
    let mut out = Vec::new();

    let stuck: Vec<_> = resolved
        .iter()
        .filter(|(_, _, surge, unavailable)| *surge == 0 && *unavailable == 0)
        .collect();
    if !stuck.is_empty() {
        let all = stuck.len() == resolved.len();
        let context = if all {
            String::new()
        } else {
            format!(
                "with {}, ",
                stuck
                    .iter()
                    .map(|(r, env, ..)| describe(*r, *env))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        };
        let mut d = ctx
            .error(
                "rule::rollout-stuck",
                format!(
                    "{context}`max_surge` and `max_unavailable` are both 0: a rollout could never replace a pod"
                ),
                Kubernetes,
                &[base[0], base[1], base[2], "max_surge"],
            )
            .with_label("resolves to 0 extra pods")
            .with_help("allow at least one extra pod (`max_surge: 1`) or one unavailable pod (`max_unavailable: 1`)");
        d = ctx.related(
            d,
            Kubernetes,
            &[base[0], base[1], base[2], "max_unavailable"],
            "resolves to 0 unavailable pods",
        );
        if !all {
            d = relate_envs(ctx, d, stuck.iter().filter_map(|(_, env, ..)| *env));
        }
        out.push(d);
    }

    for (field, pick) in [("max_surge", 2usize), ("max_unavailable", 3usize)] {
        let value = |row: &(u32, Option<&str>, u32, u32)| if pick == 2 { row.2 } else { row.3 };
        let over: Vec<_> = resolved.iter().filter(|row| value(row) > row.0).collect();
        let Some(smallest) = over.iter().min_by_key(|row| row.0) else {
            continue;
        };
        let amount = value(smallest);
        let counts = over
            .iter()
            .map(|(r, env, ..)| describe(*r, *env))
            .collect::<Vec<_>>()
            .join(", ");
        let mut d = ctx
            .error(
                "rule::rollout-over-replicas",
                format!("`{field}` ({amount}) is more than the replicas: {counts}"),
                Kubernetes,
                &[base[0], base[1], base[2], field],
            )
            .with_label(format!("expected at most {}", smallest.0))
            .with_help(format!(
                "a rolling update adds or removes at most the replica count at a time; use at most {} (or a percentage such as `25%`)",
                smallest.0
            ));
        if over.iter().any(|(_, env, ..)| env.is_none()) {
            d = ctx.related(
                d,
                Kubernetes,
                &["kubernetes_config", "cluster", "replicas"],
                "default replicas",
            );
        }
        d = relate_envs(ctx, d, over.iter().filter_map(|(_, env, ..)| *env));
        out.push(d);
    }
    out
}

fn describe(replicas: u32, env: Option<&str>) -> String {
    match env {
        Some(e) => format!("{replicas} in `{e}`"),
        None => format!("{replicas} by default"),
    }
}

fn relate_envs<'a>(
    ctx: &Ctx<'_>,
    mut d: Diagnostic,
    envs: impl Iterator<Item = &'a str>,
) -> Diagnostic {
    for e in envs {
        d = ctx.related(
            d,
            Manifest,
            &["environments", e, "replicas"],
            format!("replicas of `{e}`"),
        );
    }
    d
}
