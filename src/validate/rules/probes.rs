//! Probe paths must be endpoints the app declares.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::{Manifest, Monitoring};

/// The liveness, readiness and metrics paths are listed in `health_endpoints`.
pub fn probe_paths_are_health_endpoints(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let endpoints = &ctx.config.monitoring.application.health_endpoints;
    let probes = &ctx.config.manifest.app.probes;
    [
        ("liveness", &probes.liveness),
        ("readiness", &probes.readiness),
        ("metrics", &probes.metrics),
    ]
    .into_iter()
    .filter(|(_, p)| !endpoints.contains(p))
    .map(|(which, p)| {
        let listed: Vec<String> = endpoints.iter().map(ToString::to_string).collect();
        let d = ctx
            .error(
                "rule::probe-path",
                format!("the {which} path `{p}` is not among the health endpoints"),
                Monitoring,
                &["monitoring_config", "application", "health_endpoints"],
            )
            .with_label(format!("expected `{p}` in this list"))
            .with_help(format!(
                "add `- \"{p}\"` here, or set `app.probes.{which}` in cfgen.yaml to one of {}",
                crate::messages::one_of(&listed)
            ));
        let has_override = ctx
            .documents
            .get(Manifest)
            .and_then(|m| m.root.lookup(&super::path(&["app", "probes", which])))
            .is_some();
        if has_override {
            ctx.related(d, Manifest, &["app", "probes", which], "set here")
        } else {
            d
        }
    })
    .collect()
}
