//! The workload objects of an environment: per process a Deployment, a
//! Service (when it has a port), a PodDisruptionBudget and an autoscaler; per
//! job a Job (deploy jobs, in `predeploy/`) or a CronJob. They share one pod
//! shape ([`Pod`], the `_pod.yaml.j2` macro): same hardening, environment,
//! secrets and scratch volumes for every container of the workload.

use serde::Serialize;

use super::{
    Folder, Hardening, PRE_STOP_SECONDS, PREDEPLOY_DIR, SERVICE_PORT, ScratchVolume, Skip,
    cpu_target, digest, fingerprint, grace_seconds, hardening, int_or_percent, max_replicas,
    scratch_volumes, workload_skips,
};
use crate::model::Config;
use crate::model::kubernetes::ServiceType;
use crate::model::manifest::{Autoscale, Concurrency, Environment, Job, Process};
use crate::model::security::ServiceMesh;
use crate::model::values::DnsLabel;
use crate::plan::workload::{self, Amounts, ProbePaths, SECRETS_DIR, Secret};

/// One environment variable of a container: a value, or a key of the Secret.
#[derive(Debug, Clone, Serialize)]
struct EnvEntry {
    name: String,
    value: Option<String>,
    secret_key: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct Resources {
    cpu_request: String,
    memory_request: String,
    cpu_limit: String,
    memory_limit: String,
}

impl Resources {
    fn of(a: &Amounts) -> Self {
        Self {
            cpu_request: a.cpu_request.to_string(),
            memory_request: a.memory_request.to_string(),
            cpu_limit: a.cpu_limit.to_string(),
            memory_limit: a.memory_limit.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct Container {
    name: String,
    image: String,
    digest: String,
    placeholder: bool,
    command: Option<Vec<String>>,
    port: Option<u16>,
    env: Vec<EnvEntry>,
    env_secrets: bool,
    resources: Resources,
    http_probes: Option<ProbePaths>,
    exec_probe: Option<Vec<String>>,
    pre_stop: Option<u32>,
}

/// The pod of a Deployment, Job or CronJob.
#[derive(Debug, Clone, Serialize)]
struct Pod {
    project: String,
    namespace: String,
    component: String,
    service_account: String,
    config_map: String,
    secret: String,
    secrets: Vec<Secret>,
    file_secrets: Vec<Secret>,
    secrets_dir: &'static str,
    security: Hardening,
    grace_seconds: u32,
    restart_policy: Option<&'static str>,
    spread: bool,
    scratch: Vec<ScratchVolume>,
    /// The process's data volumes (claims).
    data: Vec<crate::plan::file_backup::DataMount>,
    container: Container,
}

/// What a pod's container runs and serves.
struct Spec<'a> {
    component: &'a str,
    command: Option<Vec<String>>,
    port: Option<u16>,
    env: &'a std::collections::BTreeMap<
        crate::model::values::EnvName,
        crate::provenance::Tracked<crate::model::manifest::EnvValue>,
    >,
    resources: Amounts,
    http_probes: Option<ProbePaths>,
    exec_probe: Option<Vec<String>>,
    restart_policy: Option<&'static str>,
    spread: bool,
    data: Vec<crate::plan::file_backup::DataMount>,
}

fn pod(config: &Config, folder: &super::Base, spec: Spec<'_>) -> Pod {
    let secrets = workload::secrets(config);
    let mut env: Vec<EnvEntry> = workload::own_env(spec.port, spec.env)
        .into_iter()
        .map(|v| EnvEntry {
            name: v.name,
            value: Some(v.value),
            secret_key: None,
        })
        .collect();
    env.extend(secrets.iter().map(|s| EnvEntry {
        name: s.var.clone(),
        value: s.as_file.then(|| s.path.clone()),
        secret_key: (!s.as_file).then(|| s.key.clone()),
    }));
    env.sort_by(|a, b| a.name.cmp(&b.name));
    let digest = digest(config);
    Pod {
        project: folder.project.clone(),
        namespace: folder.namespace.clone(),
        component: spec.component.to_owned(),
        service_account: folder.service_account.clone(),
        config_map: folder.config_map.clone(),
        secret: folder.secret.clone(),
        file_secrets: secrets.iter().filter(|s| s.as_file).cloned().collect(),
        secrets,
        secrets_dir: SECRETS_DIR,
        security: hardening(config),
        grace_seconds: if spec.port.is_some() {
            grace_seconds(config)
        } else {
            30
        },
        restart_policy: spec.restart_policy,
        spread: spec.spread,
        scratch: scratch_volumes(config),
        data: spec.data,
        container: Container {
            name: spec.component.to_owned(),
            image: config.manifest.image.name.clone(),
            placeholder: digest == super::PLACEHOLDER_DIGEST,
            digest,
            command: spec.command,
            port: spec.port,
            env_secrets: env.iter().any(|e| e.secret_key.is_some()),
            env,
            resources: Resources::of(&spec.resources),
            pre_stop: spec.port.map(|_| PRE_STOP_SECONDS),
            http_probes: spec.http_probes,
            exec_probe: spec.exec_probe,
        },
    }
}

/// A process's workload: a Deployment (with its rolling-update limits) or a Rollout's pods.
#[derive(Serialize)]
pub(super) struct DeploymentView {
    pub(super) name: String,
    pub(super) component: String,
    /// `replicas:` when no autoscaler owns the count.
    replicas: u32,
    autoscaled: bool,
    /// `maxSurge` and `maxUnavailable` (a Deployment only).
    rolling: Option<(String, String)>,
    /// cfgen.yaml `release.strategy` is blue-green (a Deployment then is a worker's).
    blue_green: bool,
    config_hash: String,
    /// Port and path Prometheus scrapes.
    metrics: Option<(u16, String)>,
    skips: Vec<Skip>,
    pod: Pod,
}

#[derive(Serialize)]
pub(super) struct ServiceView {
    pub(super) name: String,
    pub(super) component: String,
    /// A Rollout's `active` or `preview` Service; none for a Deployment's.
    pub(super) role: Option<&'static str>,
    /// The Rollout it belongs to.
    pub(super) rollout: Option<String>,
    pub(super) service_type: &'static str,
    pub(super) service_port: u16,
}

#[derive(Serialize)]
struct PdbView {
    name: String,
    component: String,
    replicas: u32,
}

#[derive(Serialize)]
struct HpaView {
    /// `apiVersion` and `kind` of what it scales: the Deployment, or the Rollout.
    target: (&'static str, &'static str),
    name: String,
    component: String,
    replicas: u32,
    max_replicas: u32,
    cpu_target: u32,
    /// Where the minimum comes from, for the comment.
    replicas_from: String,
}

#[derive(Serialize)]
struct JobView {
    name: String,
    component: String,
    deadline_seconds: u64,
    retries: u32,
    istio: bool,
    skips: Vec<Skip>,
    /// Scheduled jobs only.
    schedule: Option<String>,
    timezone: String,
    concurrency: &'static str,
    successful_history: u32,
    failed_history: u32,
    pod: Pod,
}

/// checkov checks a pod fails because cfgen.yaml asks for it: env-delivered
/// secrets; for a process without a port, no readiness probe (it serves
/// nothing) and, without a healthcheck, no liveness probe.
fn pod_skips(pod: &Pod, process: Option<&Process>) -> Vec<Skip> {
    let mut out = workload_skips(&pod.security);
    let env_secrets: Vec<&str> = pod
        .secrets
        .iter()
        .filter(|s| !s.as_file)
        .map(|s| s.name.as_str())
        .collect();
    if !env_secrets.is_empty() {
        out.push(Skip {
            id: "CKV_K8S_35",
            reason: format!(
                "cfgen.yaml delivers the secrets {} as environment variables",
                env_secrets.join(" and ")
            ),
        });
    }
    if let Some(p) = process
        && pod.container.port.is_none()
    {
        out.push(Skip {
            id: "CKV_K8S_9",
            reason: format!(
                "cfgen.yaml gives the process `{}` no port: it serves no traffic, so readiness gates nothing",
                pod.component
            ),
        });
        if p.healthcheck.is_none() {
            out.push(Skip {
                id: "CKV_K8S_8",
                reason: format!(
                    "cfgen.yaml gives the process `{}` no port and no healthcheck to probe",
                    pod.component
                ),
            });
        }
    }
    out
}

/// The maximum replicas of a process's autoscaler, or `None` without one.
fn autoscale_max(process: &Process, replicas: u32) -> Option<u32> {
    match process.autoscale.as_deref() {
        Some(Autoscale::Enabled(false)) => None,
        Some(Autoscale::Limits { max }) => Some((**max).max(replicas)),
        None | Some(Autoscale::Enabled(true)) => Some(max_replicas(replicas)),
    }
}

/// The workload objects of one environment.
pub(super) fn objects(
    config: &Config,
    name: &DnsLabel,
    env: &Environment,
    folder: &mut Folder<'_>,
) {
    let project = config.manifest.name.to_string();
    for (process_name, process) in workload::processes(config) {
        let object = format!("{project}-{process_name}");
        let component = process_name.to_string();
        let replicas = || workload::replicas(config, process_name, process, env);
        let rollout = super::rollout::is_rollout(config, process);
        if rollout {
            super::rollout::objects(config, name, env, process_name, process, folder);
        } else {
            folder.add(
                &format!("deployment-{process_name}.yaml"),
                "kubernetes/deployment.yaml.j2",
                || {
                    let rolling = &config.kubernetes.cluster.rolling_update;
                    let limits = (
                        int_or_percent(*rolling.max_surge),
                        int_or_percent(*rolling.max_unavailable),
                    );
                    workload_view(config, name, env, process_name, process, Some(limits))
                },
            );
        }
        if process.port.is_some() {
            folder.add(
                &format!("service-{process_name}.yaml"),
                "kubernetes/service.yaml.j2",
                || ServiceView {
                    name: object.clone(),
                    component: component.clone(),
                    role: rollout.then_some("active"),
                    rollout: rollout.then(|| object.clone()),
                    service_type: service_type(config),
                    service_port: SERVICE_PORT,
                },
            );
        }
        folder.add(
            &format!("pdb-{process_name}.yaml"),
            "kubernetes/pdb.yaml.j2",
            || PdbView {
                name: object.clone(),
                component: component.clone(),
                replicas: replicas(),
            },
        );
        let max = autoscale_max(
            process,
            workload::replicas(config, process_name, process, env),
        );
        if max.is_some() {
            folder.add(
                &format!("hpa-{process_name}.yaml"),
                "kubernetes/hpa.yaml.j2",
                || {
                    let replicas = replicas();
                    HpaView {
                        target: if rollout {
                            ("argoproj.io/v1alpha1", "Rollout")
                        } else {
                            ("apps/v1", "Deployment")
                        },
                        name: object.clone(),
                        component: component.clone(),
                        replicas,
                        max_replicas: autoscale_max(process, replicas).unwrap_or(replicas),
                        cpu_target: cpu_target(config),
                        replicas_from: format!(
                            "cfgen.yaml environments.{name}, processes.{process_name}.replicas, else kubernetes.yaml cluster.replicas"
                        ),
                    }
                },
            );
        }
    }
    for (job_name, job) in &config.manifest.jobs {
        let deploy = job.schedule.is_none();
        let file = if deploy {
            format!("{PREDEPLOY_DIR}/job-{job_name}.yaml")
        } else {
            format!("cronjob-{job_name}.yaml")
        };
        let template = if deploy {
            "kubernetes/job.yaml.j2"
        } else {
            "kubernetes/cronjob.yaml.j2"
        };
        folder.add(&file, template, || {
            job_view(config, name, env, job_name, job)
        });
    }
}

/// The workload of a process, with the rolling-update limits of a Deployment.
pub(super) fn workload_view(
    config: &Config,
    name: &DnsLabel,
    env: &Environment,
    process_name: &DnsLabel,
    process: &Process,
    rolling: Option<(String, String)>,
) -> DeploymentView {
    let replicas = workload::replicas(config, process_name, process, env);
    let probes = workload::probe_paths(process);
    let component = process_name.to_string();
    let base = &folder_base(config, name, env);
    let pod = pod(
        config,
        base,
        Spec {
            component: &component,
            command: workload::process_command(config, process),
            port: process.port.as_deref().copied(),
            env: &process.env,
            resources: workload::kubernetes_resources(
                config,
                process.resources.as_ref(),
                workload::env_resources(env, process_name),
            ),
            exec_probe: probes
                .is_none()
                .then(|| process.healthcheck.as_ref().map(|h| (**h).clone()))
                .flatten(),
            http_probes: probes.clone(),
            restart_policy: None,
            spread: true,
            data: crate::plan::file_backup::process_volumes(config, process_name.as_str(), process),
        },
    );
    DeploymentView {
        name: format!("{}-{process_name}", config.manifest.name),
        component,
        replicas,
        autoscaled: autoscale_max(process, replicas).is_some(),
        rolling,
        blue_green: config.manifest.blue_green(),
        config_hash: fingerprint(&workload::shared_env(config, Some(env))),
        metrics: process
            .port
            .as_deref()
            .copied()
            .zip(probes.as_ref().map(|p| p.metrics.clone())),
        skips: pod_skips(&pod, Some(process)),
        pod,
    }
}

/// kubernetes.yaml `networking.service_type`, as Kubernetes spells it.
pub(super) fn service_type(config: &Config) -> &'static str {
    match *config.kubernetes.networking.service_type {
        ServiceType::ClusterIP => "ClusterIP",
        ServiceType::NodePort => "NodePort",
        ServiceType::LoadBalancer => "LoadBalancer",
    }
}

/// The Base of the folder again, inside a record (it reads the manifest).
fn folder_base(config: &Config, name: &DnsLabel, env: &Environment) -> super::Base {
    super::Base::new(config, name, env)
}

fn job_view(
    config: &Config,
    name: &DnsLabel,
    env: &Environment,
    job_name: &DnsLabel,
    job: &Job,
) -> JobView {
    let project = config.manifest.name.to_string();
    let base = folder_base(config, name, env);
    let history = job.history.as_ref();
    let pod = pod(
        config,
        &base,
        Spec {
            component: job_name.as_str(),
            command: Some((*job.command).clone()),
            port: None,
            env: &job.env,
            resources: workload::kubernetes_resources(config, job.resources.as_ref(), None),
            http_probes: None,
            exec_probe: None,
            restart_policy: Some("Never"),
            spread: false,
            data: Vec::new(),
        },
    );
    JobView {
        name: format!("{project}-{job_name}"),
        component: job_name.to_string(),
        deadline_seconds: workload::job_deadline_secs(job),
        retries: workload::job_retries(job),
        istio: *config.security.access.service_mesh == ServiceMesh::Istio,
        skips: pod_skips(&pod, None),
        schedule: job.schedule.as_ref().map(ToString::to_string),
        timezone: job
            .timezone
            .as_ref()
            .map_or_else(|| "Etc/UTC".to_owned(), ToString::to_string),
        concurrency: match job.concurrency.as_deref() {
            Some(Concurrency::Allow) => "Allow",
            Some(Concurrency::Replace) => "Replace",
            None | Some(Concurrency::Forbid) => "Forbid",
        },
        successful_history: history.map_or(3, |h| *h.successful),
        failed_history: history.map_or(1, |h| *h.failed),
        pod,
    }
}
