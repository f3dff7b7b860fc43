//! Requests within limits; docker.yaml and kubernetes.yaml describe the same container.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::{Docker, Kubernetes};

/// Requests may not exceed limits, in either file.
pub fn requests_within_limits(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let d = &ctx.config.docker.runtime.resources;
    let k = &ctx.config.kubernetes.resources;
    let mut out = Vec::new();
    let mut check = |over: bool,
                     kind,
                     request: &[&str],
                     limit: &[&str],
                     what: &str,
                     req: String,
                     lim: String| {
        if over {
            let e = ctx
                .error("rule::request-over-limit", format!("{what} request `{req}` is above its limit `{lim}`"), kind, request)
                .with_label("request above the limit")
                .with_help(format!("a container cannot reserve more {what} than it may use; lower the request or raise the limit"));
            out.push(ctx.related(e, kind, limit, "the limit"));
        }
    };
    let rr = ["docker_config", "runtime", "resources"];
    check(
        d.memory_request.bytes() > d.memory_limit.bytes(),
        Docker,
        &[rr[0], rr[1], rr[2], "memory_request"],
        &[rr[0], rr[1], rr[2], "memory_limit"],
        "memory",
        d.memory_request.to_string(),
        d.memory_limit.to_string(),
    );
    check(
        d.cpu_request.millicores() > d.cpu_limit.millicores(),
        Docker,
        &[rr[0], rr[1], rr[2], "cpu_request"],
        &[rr[0], rr[1], rr[2], "cpu_limit"],
        "CPU",
        d.cpu_request.to_string(),
        d.cpu_limit.to_string(),
    );
    check(
        k.requests.memory.bytes() > k.limits.memory.bytes(),
        Kubernetes,
        &["kubernetes_config", "resources", "requests", "memory"],
        &["kubernetes_config", "resources", "limits", "memory"],
        "memory",
        k.requests.memory.to_string(),
        k.limits.memory.to_string(),
    );
    check(
        k.requests.cpu.millicores() > k.limits.cpu.millicores(),
        Kubernetes,
        &["kubernetes_config", "resources", "requests", "cpu"],
        &["kubernetes_config", "resources", "limits", "cpu"],
        "CPU",
        k.requests.cpu.to_string(),
        k.limits.cpu.to_string(),
    );
    out
}

/// docker.yaml's runtime resources and kubernetes.yaml's resources must be the
/// same amounts where both files give them (where one does, the other target
/// takes them from it).
pub fn docker_agrees_with_kubernetes(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    // In an environment, kubernetes.yaml's overlay sizes that environment's
    // pods while docker.yaml stays compose's: they may differ there.
    if ctx.environment.is_some() {
        return Vec::new();
    }
    let d = &ctx.config.docker.runtime.resources;
    let k = &ctx.config.kubernetes.resources;
    let both = [
        d.memory_limit.is_written() && k.limits.memory.is_written(),
        d.cpu_limit.is_written() && k.limits.cpu.is_written(),
        d.memory_request.is_written() && k.requests.memory.is_written(),
        d.cpu_request.is_written() && k.requests.cpu.is_written(),
    ];
    let pairs = [
        (
            "memory_limit",
            !both[0] || d.memory_limit.bytes() == k.limits.memory.bytes(),
            d.memory_limit.to_string(),
            ["limits", "memory"],
            k.limits.memory.to_string(),
        ),
        (
            "cpu_limit",
            !both[1] || d.cpu_limit.millicores() == k.limits.cpu.millicores(),
            d.cpu_limit.to_string(),
            ["limits", "cpu"],
            k.limits.cpu.to_string(),
        ),
        (
            "memory_request",
            !both[2] || d.memory_request.bytes() == k.requests.memory.bytes(),
            d.memory_request.to_string(),
            ["requests", "memory"],
            k.requests.memory.to_string(),
        ),
        (
            "cpu_request",
            !both[3] || d.cpu_request.millicores() == k.requests.cpu.millicores(),
            d.cpu_request.to_string(),
            ["requests", "cpu"],
            k.requests.cpu.to_string(),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, same, ..)| !same)
        .map(|(field, _, docker, [group, res], kube)| {
            let e = ctx
                .error(
                    "rule::resources-disagree",
                    format!("docker.yaml `{field}` is `{docker}` but kubernetes.yaml `{group}.{res}` is `{kube}`"),
                    Docker,
                    &["docker_config", "runtime", "resources", field],
                )
                .with_label(format!("`{docker}` here"))
                .with_help("both files describe the same app container; make the amounts equal");
            ctx.related(e, Kubernetes, &["kubernetes_config", "resources", group, res], format!("`{kube}` here"))
        })
        .collect()
}
