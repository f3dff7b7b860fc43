//! The release flow of `scripts/deploy.sh`, which the workflow's deploy jobs run:
//! what it rolls back (every Deployment, to the image it ran before), whom it
//! notifies (monitoring.yaml `alerts.channels`) and its smoke test.

use serde::Serialize;

use crate::model::Config;
use crate::model::monitoring::Channel;

/// Seconds `deploy.sh` waits for each Deployment's rollback.
pub const ROLLBACK_TIMEOUT_SECS: u64 = 300;

/// Seconds deploy.sh waits for Argo CD to sync an image and report it healthy.
pub const PROMOTE_TIMEOUT_SECS: u64 = 600;

/// Under Argo CD, the environment's `kubectl apply -k "$KUSTOMIZE_DIR"` becomes
/// `promote_image "$IMAGE"` (deploy.sh's function): the image is set on the Application, and
/// Argo CD applies the committed folder. `None` for other commands.
#[must_use]
pub fn promote_step(command: &str) -> Option<(String, String)> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let applies = words.first() == Some(&"kubectl")
        && words.contains(&"apply")
        && words.windows(2).any(|w| w == ["-k", "\"$KUSTOMIZE_DIR\""]);
    applies.then(|| {
        (
            "promote_image \"$IMAGE\"".to_owned(),
            "cfgen.yaml release.argocd: Argo CD applies the committed folder; the image is set on \
             the environment's Application (`promote_image`), nothing is applied from here"
                .to_owned(),
        )
    })
}

/// Seconds the smoke test may take (ten tries, five seconds apart).
pub const SMOKE_TIMEOUT_SECS: u64 = 300;

/// A Deployment or Rollout cfgen renders, and its container (the one running the project's
/// image).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Deployment {
    /// `<project>-<process>`.
    pub name: String,
    /// The process name.
    pub container: String,
    /// `deployment`, or `rollout` (blue-green, Argo Rollouts).
    pub kind: &'static str,
}

/// The smoke test: the liveness path of the public process, on the environment's address.
#[derive(Debug, Clone, Serialize)]
pub struct Smoke {
    /// The liveness path (`/health`).
    pub path: String,
    /// The command, reading `$BASE_URL`.
    pub command: String,
    /// Its timeout.
    pub timeout_secs: u64,
}

/// What `deploy.sh` needs beyond the steps.
#[derive(Debug, Clone, Serialize)]
pub struct Release {
    /// Every Deployment and Rollout, in process-name order.
    pub deployments: Vec<Deployment>,
    /// The Rollouts (blue-green), by name: deploy.sh defines `wait_rollout` when there is one.
    pub rollouts: Vec<String>,
    /// The namespace of Argo CD when the project deploys through it (cfgen.yaml
    /// `release.argocd`): deploy.sh promotes the image on the environment's Application.
    pub argocd_namespace: Option<String>,
    /// Seconds deploy.sh waits for Argo CD to sync and report an image healthy.
    pub promote_timeout_secs: u64,
    /// The alert channels notified of a failed deploy, by name.
    pub channels: Vec<&'static str>,
    /// [`ROLLBACK_TIMEOUT_SECS`].
    pub rollback_timeout_secs: u64,
    /// The deploy jobs' step timeout: every deadline plus a minute each.
    pub deploy_jobs_secs: u64,
    /// None without a public process that has HTTP probes.
    pub smoke: Option<Smoke>,
}

/// The Deployments and Rollouts cfgen renders for the project's processes.
#[must_use]
pub fn deployments(config: &Config) -> Vec<Deployment> {
    super::workload::processes(config)
        .map(|(name, p)| Deployment {
            name: format!("{}-{name}", config.manifest.name),
            container: name.to_string(),
            kind: if super::kubernetes::rollout::is_rollout(config, p) {
                "rollout"
            } else {
                "deployment"
            },
        })
        .collect()
}

/// The Rollouts cfgen renders (blue-green), by name.
#[must_use]
pub fn rollouts(config: &Config) -> Vec<String> {
    deployments(config)
        .into_iter()
        .filter(|d| d.kind == "rollout")
        .map(|d| d.name)
        .collect()
}

/// The ApplySet parent of an environment: a ConfigMap in its namespace, which kubectl
/// creates and labels on the first pruning apply (`applyset.kubernetes.io/id`, the tooling
/// and group-kinds annotations) and which records what the set contains.
#[must_use]
pub fn applyset(config: &Config) -> String {
    format!("configmaps/{}-applyset", config.manifest.name)
}

/// A scripts.yaml `kubectl apply -k "$KUSTOMIZE_DIR"` (the environment's folder), with
/// ApplySet pruning: what is removed from the config is deleted from the cluster, and
/// only objects of this set (kubectl's `applyset.kubernetes.io/part-of` label) ever are.
/// `None` for other commands and for one that already prunes.
#[must_use]
pub fn prune_step(command: &str, applyset: &str) -> Option<(String, String)> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let applies = words.first() == Some(&"kubectl")
        && words.contains(&"apply")
        && words.windows(2).any(|w| w == ["-k", "\"$KUSTOMIZE_DIR\""]);
    if !applies || words.iter().any(|w| w.starts_with("--prune")) {
        return None;
    }
    let at = words.iter().position(|w| *w == "apply")? + 1;
    let mut out: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    out.insert(at, format!("--applyset={applyset}"));
    out.insert(at, "--prune".into());
    Some((
        format!("KUBECTL_APPLYSET=true {}", out.join(" ")),
        format!(
            "`--prune --applyset={applyset}` added (KUBECTL_APPLYSET=true): objects removed from \
             the config are deleted from the cluster, only those of this environment's ApplySet"
        ),
    ))
}

/// A scripts.yaml kubectl command that names `deployment/NAME` where NAME is a Rollout
/// (blue-green), rewritten: `rollout status` waits for the Rollout with `wait_rollout`
/// (deploy.sh's function: plain kubectl, the Rollout's phase), `exec` runs in a pod of the
/// active Service. Other commands are returned as `None` (and a name they use that cfgen
/// does not render is a located error).
#[must_use]
pub fn blue_green_step(command: &str, rollouts: &[String], secs: u64) -> Option<(String, String)> {
    let words: Vec<&str> = command.split_whitespace().collect();
    if words.first() != Some(&"kubectl") || rollouts.is_empty() {
        return None;
    }
    let end = words.iter().position(|w| *w == "--").unwrap_or(words.len());
    let target = words[..end].iter().enumerate().find_map(|(i, w)| {
        let name = match w.split_once('/') {
            Some((kind, name)) if Kind::from_kubectl(kind) == Some(Kind::Deployment) => name,
            _ if Kind::from_kubectl(w) == Some(Kind::Deployment) => words.get(i + 1)?,
            _ => return None,
        };
        rollouts.iter().any(|r| r == name).then_some((i, name))
    })?;
    let (at, name) = target;
    if words.windows(2).any(|w| w == ["rollout", "status"]) {
        return Some((
            format!("wait_rollout {name} {secs}"),
            format!(
                "`{name}` is an Argo Rollouts Rollout (cfgen.yaml release.strategy: blue-green): \
                 deploy.sh's `wait_rollout` polls its phase with plain kubectl until Healthy \
                 (promoted after the checks) or Degraded (aborted), {secs}s at most"
            ),
        ));
    }
    if words[..end].contains(&"exec") {
        let mut out: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        if words[at].contains('/') {
            out[at] = format!("service/{name}");
        } else {
            out[at] = "service".into();
        }
        return Some((
            out.join(" "),
            format!(
                "`deployment/{name}` is a Rollout under blue-green: kubectl exec cannot pick its \
                 pods, so the command runs in a pod of its active Service `service/{name}`"
            ),
        ));
    }
    None
}

/// The name of a channel as the scripts and the docs spell it.
#[must_use]
pub fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Slack => "slack",
        Channel::Email => "email",
        Channel::Pagerduty => "pagerduty",
        Channel::Webhook => "webhook",
    }
}

/// Environment variables of each channel's endpoint, with where the workflow reads them
/// (`secrets` or `vars`).
#[must_use]
pub fn channel_env(channel: Channel) -> &'static [(&'static str, &'static str)] {
    match channel {
        Channel::Slack => &[("ALERT_SLACK_WEBHOOK_URL", "secrets")],
        Channel::Webhook => &[("ALERT_WEBHOOK_URL", "secrets")],
        Channel::Pagerduty => &[("ALERT_PAGERDUTY_ROUTING_KEY", "secrets")],
        Channel::Email => &[
            ("ALERT_SMTP_URL", "vars"),
            ("ALERT_SMTP_USER", "vars"),
            ("ALERT_SMTP_PASSWORD", "secrets"),
            ("ALERT_EMAIL_FROM", "vars"),
            ("ALERT_EMAIL_TO", "vars"),
        ],
    }
}

/// Seconds the deploy jobs may take together: each deadline plus a minute to be scheduled.
#[must_use]
pub fn deploy_jobs_secs(config: &Config) -> u64 {
    config
        .manifest
        .deploy_jobs()
        .map(|(_, j)| super::workload::job_deadline_secs(j) + 60)
        .sum()
}

/// The release view of the project.
#[must_use]
pub fn release(config: &Config) -> Release {
    let smoke = super::docker::default_process(config)
        .filter(|_| config.manifest.public_process().is_some())
        .and_then(|(_, p)| super::workload::probe_paths(p))
        .map(|p| Smoke {
            command: format!(
                "curl --fail --silent --show-error --retry 10 --retry-all-errors --retry-delay 5 \
                 --max-time 10 --output /dev/null \"$BASE_URL{}\"",
                p.liveness
            ),
            path: p.liveness,
            timeout_secs: SMOKE_TIMEOUT_SECS,
        });
    Release {
        deployments: deployments(config),
        rollouts: rollouts(config),
        argocd_namespace: super::kubernetes::gitops::argo(config).map(|a| a.namespace),
        promote_timeout_secs: PROMOTE_TIMEOUT_SECS,
        channels: config
            .monitoring
            .alerts
            .channels
            .iter()
            .map(|c| channel_name(*c))
            .collect(),
        rollback_timeout_secs: ROLLBACK_TIMEOUT_SECS,
        deploy_jobs_secs: deploy_jobs_secs(config),
        smoke,
    }
}

/// A kind of workload object a scripts.yaml step can name (`deployment/NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Kind {
    /// `apps/v1` Deployment: one per process.
    Deployment,
    /// Service: one per process with a port.
    Service,
    /// `batch/v1` Job: one per deploy job.
    Job,
    /// `batch/v1` CronJob: one per scheduled job, and the database backup.
    CronJob,
    /// Kinds cfgen never renders.
    StatefulSet,
    /// Kinds cfgen never renders.
    DaemonSet,
}

impl Kind {
    /// The kind a kubectl resource word names (`deploy`, `deployments.apps`, `svc`, `cj`).
    #[must_use]
    pub fn from_kubectl(word: &str) -> Option<Self> {
        let word = word.split('.').next().unwrap_or(word).to_ascii_lowercase();
        Some(match word.as_str() {
            "deployment" | "deployments" | "deploy" => Self::Deployment,
            "service" | "services" | "svc" => Self::Service,
            "job" | "jobs" => Self::Job,
            "cronjob" | "cronjobs" | "cj" => Self::CronJob,
            "statefulset" | "statefulsets" | "sts" => Self::StatefulSet,
            "daemonset" | "daemonsets" | "ds" => Self::DaemonSet,
            _ => return None,
        })
    }

    /// As kubectl spells it.
    #[must_use]
    pub fn kubectl(self) -> &'static str {
        match self {
            Self::Deployment => "deployment",
            Self::Service => "service",
            Self::Job => "job",
            Self::CronJob => "cronjob",
            Self::StatefulSet => "statefulset",
            Self::DaemonSet => "daemonset",
        }
    }
}

/// Every workload object cfgen renders in each environment, by kind and name.
#[must_use]
pub fn workloads(config: &Config) -> Vec<(Kind, String)> {
    let project = &config.manifest.name;
    let mut out = Vec::new();
    for (name, process) in super::workload::processes(config) {
        // a blue-green process is a Rollout (a kind kubectl steps cannot name as such)
        if !super::kubernetes::rollout::is_rollout(config, process) {
            out.push((Kind::Deployment, format!("{project}-{name}")));
        }
        if process.port.is_some() {
            out.push((Kind::Service, format!("{project}-{name}")));
        }
        if super::kubernetes::rollout::is_rollout(config, process) {
            let object = format!("{project}-{name}");
            out.push((
                Kind::Service,
                super::kubernetes::rollout::preview_service(&object),
            ));
        }
    }
    for (name, _) in config.manifest.deploy_jobs() {
        out.push((Kind::Job, format!("{project}-{name}")));
    }
    for (name, _) in config.manifest.scheduled_jobs() {
        out.push((Kind::CronJob, format!("{project}-{name}")));
    }
    if let Some(backup) = super::kubernetes::backup_cronjob(config) {
        out.push((Kind::CronJob, backup));
        if let Some(drill) = super::drill::view(config) {
            out.push((Kind::CronJob, drill.name));
        }
    }
    if let Some(files) = super::file_backup::view(config) {
        out.push((Kind::CronJob, files.name));
    }
    out.sort();
    out
}

/// The repository root above `dir` (see [`super::repository::git_root`]).
#[must_use]
pub fn repository_root(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    super::repository::git_root(dir)
}

/// `path` (relative, `/`-separated) joined to `base` and normalised lexically: `app` and
/// `..` give `.`, `app` and `deploy/Dockerfile` give `app/deploy/Dockerfile`. `None` when
/// it climbs above `base`'s root.
#[must_use]
pub fn join_relative(base: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

/// Where the project folder lies in its repository, `/`-separated (`.` at the root, or
/// outside any repository, where the project folder is taken as the root).
#[must_use]
pub fn project_in_repository(dir: &std::path::Path) -> String {
    super::repository::locate(dir, None).map_or_else(|_| ".".to_owned(), |l| l.project_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The environment's apply prunes, scoped to its ApplySet; a command that already
    /// prunes, or applies something else, is left alone.
    #[test]
    fn the_environment_apply_prunes_its_applyset() {
        let set = "configmaps/api-applyset";
        let (cmd, note) = prune_step(
            r#"kubectl --namespace "$KUBE_NAMESPACE" apply -k "$KUSTOMIZE_DIR""#,
            set,
        )
        .expect("rewritten");
        assert_eq!(
            cmd,
            r#"KUBECTL_APPLYSET=true kubectl --namespace "$KUBE_NAMESPACE" apply --prune --applyset=configmaps/api-applyset -k "$KUSTOMIZE_DIR""#
        );
        assert!(note.contains("ApplySet"));
        assert!(prune_step(r#"kubectl apply --prune -l a=b -k "$KUSTOMIZE_DIR""#, set).is_none());
        assert!(prune_step("kubectl apply -f other.yaml", set).is_none());
    }

    /// Blue-green: waiting for a Rollout's Deployment name waits for the Rollout; exec runs in
    /// its active Service's pods; other names are left to the located check.
    #[test]
    fn blue_green_rewrites_what_names_a_rollout() {
        let r = vec!["shop-web".to_owned()];
        let (cmd, _) = blue_green_step("kubectl rollout status deployment/shop-web", &r, 600)
            .expect("rewritten");
        assert_eq!(cmd, "wait_rollout shop-web 600");
        let (cmd, _) =
            blue_green_step("kubectl exec deploy/shop-web -- migrate", &r, 60).expect("rewritten");
        assert_eq!(cmd, "kubectl exec service/shop-web -- migrate");
        assert!(
            blue_green_step("kubectl scale deployment/shop-web --replicas=2", &r, 60).is_none()
        );
        assert!(blue_green_step("kubectl rollout status deployment/shop-worker", &r, 60).is_none());
    }

    /// The names the scripts.yaml check accepts are the names the Kubernetes target renders,
    /// for every example project.
    #[test]
    fn workloads_are_what_the_kubernetes_target_renders() {
        let renderer = crate::render::Renderer::new(None).expect("templates compile");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs: Vec<_> = std::fs::read_dir(root.join("examples"))
            .expect("examples")
            .map(|e| e.expect("entry").path())
            // (examples/platform-policy is a shared policy folder, not a project)
            .filter(|p| p.join("cfgen.yaml").is_file())
            .collect();
        dirs.push(root.join("app"));
        for dir in dirs {
            let project = crate::validate::check_project(&dir)
                .project
                .unwrap_or_else(|| panic!("{} validates", dir.display()));
            let mut rendered = Vec::new();
            for artifact in crate::plan::kubernetes::plan(&project) {
                if !artifact.path.contains("/staging/") {
                    continue;
                }
                let text = renderer.render(&artifact).expect("renders");
                let doc = crate::verify::parse_yaml(&artifact.path, &text).expect("YAML");
                let kind = doc["kind"].as_str().unwrap_or_default();
                let Some(kind) = Kind::from_kubectl(kind) else {
                    continue;
                };
                let name = doc["metadata"]["name"].as_str().unwrap_or_default();
                rendered.push((kind, name.to_owned()));
            }
            rendered.sort();
            assert_eq!(rendered, workloads(&project.config), "{}", dir.display());
        }
    }
}
