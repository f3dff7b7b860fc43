//! The release strategy can work: blue-green needs a process that serves
//! traffic, and the Kubernetes target that renders its Rollout.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::messages::release as msg;
use crate::model::FileKind::Manifest;
use crate::model::manifest::Target;

/// `release.argocd` needs the Kubernetes target (the Applications sync its folders), and no
/// environment may be named `gitops` (the Applications' folder, `k8s/gitops/`).
pub fn argocd_can_work(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let manifest = &ctx.config.manifest;
    if manifest.release.argocd.is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if manifest
        .targets
        .as_ref()
        .is_some_and(|t| !t.peek().contains(&Target::Kubernetes))
    {
        out.push(
            ctx.key_error(
                "rule::argocd-without-kubernetes",
                msg::ARGOCD_NO_KUBERNETES.to_owned(),
                &["release", "argocd"],
            )
            .with_label("the Applications sync k8s/<env>")
            .with_help(
                msg::BLUE_GREEN_NO_KUBERNETES_HELP.replace("release.strategy", "release.argocd"),
            ),
        );
    }
    if manifest
        .environments
        .keys()
        .any(|e| e.as_str() == crate::plan::kubernetes::gitops::GITOPS_DIR)
    {
        out.push(
            ctx.key_error(
                "rule::environment-named-gitops",
                msg::ARGOCD_GITOPS_ENV.to_owned(),
                &["environments", crate::plan::kubernetes::gitops::GITOPS_DIR],
            )
            .with_label("k8s/gitops/ holds the Argo CD Applications")
            .with_help("rename the environment"),
        );
    }
    out
}

/// `release.strategy: blue-green` with no process that has a port (nothing to preview,
/// check and switch), or without the Kubernetes target, is a located error.
pub fn blue_green_can_work(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    let manifest = &ctx.config.manifest;
    if !manifest.selects_blue_green() {
        return Vec::new();
    }
    let at = ["release", "strategy"];
    let mut out = Vec::new();
    if !manifest.processes.values().any(|p| p.port.is_some()) {
        out.push(
            ctx.error(
                "rule::blue-green-nothing-to-switch",
                msg::BLUE_GREEN_NOTHING.to_owned(),
                Manifest,
                &at,
            )
            .with_label(msg::BLUE_GREEN_NOTHING_LABEL)
            .with_help(msg::BLUE_GREEN_NOTHING_HELP),
        );
    }
    if manifest
        .targets
        .as_ref()
        .is_some_and(|t| !t.peek().contains(&Target::Kubernetes))
    {
        out.push(
            ctx.error(
                "rule::blue-green-without-kubernetes",
                msg::BLUE_GREEN_NO_KUBERNETES.to_owned(),
                Manifest,
                &at,
            )
            .with_label("Argo Rollouts runs in Kubernetes")
            .with_help(msg::BLUE_GREEN_NO_KUBERNETES_HELP),
        );
    }
    out
}
