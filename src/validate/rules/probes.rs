//! Probe paths must be endpoints the app declares.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::Monitoring;
use crate::model::manifest::Probes;

/// The liveness, readiness and metrics paths of every process with a port are
/// listed in `health_endpoints`.
pub fn probe_paths_are_health_endpoints(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    // An absent file holds defaults, which agree with each other.
    if ctx.documents.get(Monitoring).is_none() {
        return Vec::new();
    }
    let endpoints = ctx.config.monitoring.application.health_endpoints.peek();
    let defaults = Probes::default();
    let mut out = Vec::new();
    for (name, process) in &ctx.config.manifest.processes {
        if process.port.is_none() {
            continue;
        }
        let probes = process.probes.as_ref().unwrap_or(&defaults);
        for (which, p) in [
            ("liveness", &probes.liveness),
            ("readiness", &probes.readiness),
            ("metrics", &probes.metrics),
        ] {
            if endpoints.contains(p.peek()) {
                continue;
            }
            let listed: Vec<String> = endpoints.iter().map(ToString::to_string).collect();
            let p_text = p.peek().to_string();
            let d = ctx
                .error(
                    "rule::probe-path",
                    format!("the {which} path `{p_text}` of the process `{name}` is not among the health endpoints"),
                    Monitoring,
                    &["monitoring_config", "application", "health_endpoints"],
                )
                .with_label(format!("expected `{p_text}` in this list"))
                .with_help(format!(
                    "add `- \"{p_text}\"` here, or set the process's `probes.{which}` in cfgen.yaml to one of {}",
                    crate::messages::one_of(&listed)
                ));
            out.push(ctx.related_origin(d, p.origin(), "set here"));
        }
    }
    out
}
