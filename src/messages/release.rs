//! Wording of the release-flow rules: workload names in steps, migrations after
//! the rollout, end-of-life images.

/// A step names a workload object cfgen does not render.
#[must_use]
pub fn unknown_workload(step: &str, kind: &str, name: &str) -> String {
    format!("step `{step}` names `{kind}/{name}`, which cfgen does not render")
}

/// The label at the step's command.
pub const UNKNOWN_WORKLOAD_LABEL: &str = "no such object in any environment";

/// What cfgen renders of that kind, and how it names them.
#[must_use]
pub fn unknown_workload_help(kind: &str, rendered: &[String], closest: Option<&str>) -> String {
    let names = rendered
        .iter()
        .map(|n| format!("{kind}/{n}"))
        .collect::<Vec<_>>();
    let what = if names.is_empty() {
        format!("cfgen renders no {kind}")
    } else {
        format!(
            "cfgen names objects `<name>-<process>` or `<name>-<job>` from cfgen.yaml; its {kind} objects: {}",
            super::all_of(&names)
        )
    };
    match closest {
        Some(c) => format!("{what}; {}", super::did_you_mean(&format!("{kind}/{c}"))),
        None => what,
    }
}

/// A step runs a migration after the new version was rolled out.
#[must_use]
pub fn migration_after_rollout(step: &str, command: &str) -> String {
    format!(
        "step `{step}` runs a migration (`{command}`) after the new version is rolled out: until it \
         finishes, the new pods serve on the old schema (compose migrates first, so the two disagree)"
    )
}

/// The label at the step's command.
pub const MIGRATION_AFTER_ROLLOUT_LABEL: &str = "runs after `kubectl apply` / the rollout";

/// How to fix it: the deploy job that already runs it, or one to add.
#[must_use]
pub fn migration_after_rollout_help(job: Option<&str>, command: &str) -> String {
    match job {
        Some(job) => format!(
            "cfgen.yaml `jobs.{job}` already runs it as a Job to completion before the new version \
             takes traffic (scripts/run_deploy_jobs.sh, compose's one-shot service): remove this step"
        ),
        None => format!(
            "declare it as a job without a schedule in cfgen.yaml (`jobs: {{ migrate: {{ command: \
             [...] }} }}` running `{command}`): cfgen runs it as a Job to completion before the new \
             version takes traffic; then remove this step"
        ),
    }
}

/// An image the config names is past its end of life.
#[must_use]
pub fn end_of_life_image(image: &str, product: &str, line: &str, eol: &str) -> String {
    format!(
        "`{image}` is {product} {line}, which reached its end of life on {eol}: it gets no security fixes"
    )
}

/// The label at the image.
pub const END_OF_LIFE_LABEL: &str = "end of life";

/// The supported line to move to.
#[must_use]
pub fn end_of_life_help(product: &str, supported: &str, checked: &str) -> String {
    format!(
        "use a supported line of {product}: {supported} (cfgen's table, checked {checked}; a newer \
         supported line is fine too)"
    )
}

/// The build context lies outside the repository the workflow checks out.
#[must_use]
pub fn context_outside_repository(context: &str, root: &str, found: bool) -> String {
    if found {
        format!(
            "the build context `{context}` lies outside the repository (`{root}`): the workflow's \
             checkout does not contain it"
        )
    } else {
        format!(
            "the build context `{context}` lies outside the project folder, which the workflow \
             takes as the repository root (cfgen found no `.git` above it)"
        )
    }
}

/// The label at `build.context`.
pub const CONTEXT_OUTSIDE_REPOSITORY_LABEL: &str = "outside what the workflow checks out";

/// How to fix it.
pub const CONTEXT_OUTSIDE_REPOSITORY_HELP: &str = "give a context inside the repository (the \
    workflow builds from the repository root and runs its steps in the project folder), or \
    drop the `workflow` target and build the image elsewhere";

/// Why the rolling-update limits are unused under a blue-green release.
pub const BLUE_GREEN_ROLLING_UNUSED: &str = "blue-green release (cfgen.yaml release.strategy): Argo Rollouts replaces the whole ReplicaSet, so a rolling-update limit has no effect";

/// Blue-green is selected, but no process has a port: nothing to preview or switch.
pub const BLUE_GREEN_NOTHING: &str = "`release.strategy: blue-green` needs a process with a port: no process serves traffic to preview, check and switch";

/// The label at the strategy.
pub const BLUE_GREEN_NOTHING_LABEL: &str = "no process has a port";

/// What to do instead.
pub const BLUE_GREEN_NOTHING_HELP: &str = "give the process that serves traffic a `port` (it gets HTTP probes the checks use), or remove `release.strategy` (workers are released with a rolling update)";

/// Blue-green is selected without the Kubernetes target: nothing renders the Rollout.
pub const BLUE_GREEN_NO_KUBERNETES: &str = "`release.strategy: blue-green` is a Kubernetes release (Argo Rollouts), but `targets` leaves out `kubernetes`";

/// What to do instead.
pub const BLUE_GREEN_NO_KUBERNETES_HELP: &str =
    "add `kubernetes` to `targets`, or remove `release.strategy`";

/// Argo CD is selected without the Kubernetes target: there is no folder to sync.
pub const ARGOCD_NO_KUBERNETES: &str =
    "`release.argocd` syncs the Kubernetes folders, but `targets` leaves out `kubernetes`";

/// An environment named like the Applications' folder.
pub const ARGOCD_GITOPS_ENV: &str = "with `release.argocd`, no environment may be named `gitops`: k8s/gitops/ holds the Argo CD Applications";

/// Under blue-green the processes with a port are Rollouts: which commands naming them cfgen
/// rewrites.
#[must_use]
pub fn blue_green_rollouts_help(rollouts: &[String]) -> String {
    format!(
        "with `release.strategy: blue-green` the processes with a port are Argo Rollouts Rollouts ({}): cfgen rewrites `kubectl rollout status deployment/<rollout>` (deploy.sh's `wait_rollout`) and `kubectl exec deployment/<rollout>` (the active Service's pods)",
        super::all_of(rollouts)
    )
}
