//! What every target needs to know about the workload, computed once per
//! question: each process's and job's command, environment, secrets,
//! resources, replicas, probes and healthcheck. Compose and Kubernetes lay the
//! same answers out in their own syntax, so the two targets cannot disagree.

use std::collections::BTreeMap;

use serde::Serialize;

use super::common::{self, EnvVar};
use super::runtimes;
use crate::model::Config;
use crate::model::manifest::{
    EnvValue, Environment, Job, Process, Resources as ManifestResources, SecretDelivery,
};
use crate::model::values::{CpuQuantity, DnsLabel, EnvName, MemoryQuantity};
use crate::provenance::Tracked;

/// Replicas when neither the manifest nor kubernetes.yaml gives a count: two
/// survive the loss of a node.
pub const DEFAULT_REPLICAS: u32 = 2;

/// Where file-delivered secrets are mounted in every container (compose's own
/// convention, which the Kubernetes Secret volume follows).
pub const SECRETS_DIR: &str = "/run/secrets";

/// One secret of the workload.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Secret {
    /// The variable the app reads: `NAME` (env delivery) or `NAME_FILE` (file delivery).
    pub var: String,
    /// The secret's own name, `JWT_SECRET_KEY`.
    pub name: String,
    /// Its key in the Kubernetes Secret, `jwt-secret-key`.
    pub key: String,
    /// Its compose secret name and file under `secrets/`, `jwt_secret_key`.
    pub file: String,
    /// Delivered as a file (else as an environment variable).
    pub as_file: bool,
    /// The path of the file in the container, for file delivery.
    pub path: String,
    /// Where its value comes from, for the comment beside it.
    pub about: String,
}

/// The secrets every process and job receives, dependency URLs first.
#[must_use]
pub fn secrets(config: &Config) -> Vec<Secret> {
    let deps = &config.manifest.dependencies;
    let mut out = Vec::new();
    let mut push = |name: &str, delivery: SecretDelivery, about: String| {
        let key = name.to_ascii_lowercase().replace('_', "-");
        let file = name.to_ascii_lowercase();
        let as_file = delivery == SecretDelivery::File;
        out.push(Secret {
            var: if as_file {
                format!("{name}_FILE")
            } else {
                name.to_owned()
            },
            name: name.to_owned(),
            path: format!("{SECRETS_DIR}/{file}"),
            key,
            file,
            as_file,
            about,
        });
    };
    if let Some(db) = &deps.database {
        push(
            "DATABASE_URL",
            SecretDelivery::File,
            format!(
                "the {} connection URL (cfgen.yaml dependencies.database)",
                db.engine.label()
            ),
        );
    }
    if deps.cache.is_some() {
        push(
            "REDIS_URL",
            SecretDelivery::File,
            "the Redis connection URL (cfgen.yaml dependencies.cache)".into(),
        );
    }
    for (name, delivery) in &config.manifest.secrets {
        push(
            name.as_str(),
            **delivery,
            format!("cfgen.yaml secrets.{name}"),
        );
    }
    out
}

/// The cfgen contract variables and the project's `env` (and the
/// environment's, when one is given): what the shared ConfigMap holds and
/// every container receives. Sorted by name.
#[must_use]
pub fn shared_env(config: &Config, environment: Option<&Environment>) -> Vec<EnvVar> {
    let mut vars = common::app_env(config);
    overlay(&mut vars, &config.manifest.env);
    if let Some(env) = environment {
        overlay(&mut vars, &env.env);
    }
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    vars
}

/// Sets (or replaces) each variable of `values` in `vars`.
fn overlay(vars: &mut Vec<EnvVar>, values: &BTreeMap<EnvName, Tracked<EnvValue>>) {
    for (name, value) in values {
        let value = value.to_string();
        match vars.iter_mut().find(|v| v.name == name.as_str()) {
            Some(v) => v.value = value,
            None => vars.push(EnvVar {
                name: name.to_string(),
                value,
            }),
        }
    }
}

/// The variables of one container beyond the shared ones: `PORT` for a
/// process with a port, and its own `env`. Sorted by name.
#[must_use]
pub fn own_env(port: Option<u16>, values: &BTreeMap<EnvName, Tracked<EnvValue>>) -> Vec<EnvVar> {
    let mut vars = Vec::new();
    if let Some(port) = port {
        vars.push(EnvVar {
            name: "PORT".into(),
            value: port.to_string(),
        });
    }
    overlay(&mut vars, values);
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    vars
}

/// The command of a process (exec form): its own, the runtime's server for a
/// process with a port, or `None` for the image's own command.
#[must_use]
pub fn process_command(config: &Config, process: &Process) -> Option<Vec<String>> {
    if let Some(command) = &process.command {
        return Some((**command).clone());
    }
    let port = process.port.as_deref().copied()?;
    let recipe = runtimes::recipe(config)?;
    Some(recipe.server_command(config, port))
}

/// A container healthcheck: the command (exec form) and its timing, shared by
/// the Dockerfile's `HEALTHCHECK` and the compose service.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Healthcheck {
    /// The command, exec form.
    pub test: Vec<String>,
    /// Time between probes.
    pub interval: &'static str,
    /// Time a probe may take.
    pub timeout: &'static str,
    /// Grace period after start during which failures do not count.
    pub start_period: &'static str,
    /// Consecutive failures that make the container unhealthy.
    pub retries: u32,
}

impl Healthcheck {
    fn of(test: Vec<String>) -> Self {
        Self {
            test,
            interval: "30s",
            timeout: "5s",
            start_period: "10s",
            retries: 3,
        }
    }
}

/// The healthcheck of a process: its own `healthcheck`, else a probe of its
/// liveness path with a tool the recipe's image contains; none for a process
/// without a port, or an image cfgen does not write.
#[must_use]
pub fn healthcheck(config: &Config, process: &Process) -> Option<Healthcheck> {
    if let Some(test) = &process.healthcheck {
        return Some(Healthcheck::of((**test).clone()));
    }
    let port = process.port.as_deref().copied()?;
    let recipe = runtimes::recipe(config)?;
    let path = process
        .probes
        .as_ref()
        .map_or_else(|| "/health".to_owned(), |p| p.liveness.to_string());
    Some(Healthcheck::of(recipe.http_healthcheck(
        config,
        &format!("http://127.0.0.1:{port}{path}"),
    )))
}

/// Probe paths of a process with a port.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProbePaths {
    /// Liveness (and startup).
    pub liveness: String,
    /// Readiness.
    pub readiness: String,
    /// Metrics (scraped).
    pub metrics: String,
}

/// The probe paths of a process with a port (the defaults where it gives none).
#[must_use]
pub fn probe_paths(process: &Process) -> Option<ProbePaths> {
    process.port.as_ref()?;
    let defaults = crate::model::manifest::Probes::default();
    let probes = process.probes.as_ref().unwrap_or(&defaults);
    Some(ProbePaths {
        liveness: probes.liveness.to_string(),
        readiness: probes.readiness.to_string(),
        metrics: probes.metrics.to_string(),
    })
}

/// Requests and limits, as Kubernetes quantities.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Amounts {
    /// CPU request.
    pub cpu_request: CpuQuantity,
    /// Memory request.
    pub memory_request: MemoryQuantity,
    /// CPU limit.
    pub cpu_limit: CpuQuantity,
    /// Memory limit.
    pub memory_limit: MemoryQuantity,
}

impl Amounts {
    fn of(r: &ManifestResources) -> Self {
        Self {
            cpu_request: (*r.requests.cpu).clone(),
            memory_request: (*r.requests.memory).clone(),
            cpu_limit: (*r.limits.cpu).clone(),
            memory_limit: (*r.limits.memory).clone(),
        }
    }
}

/// A process's or job's resources in Kubernetes: the environment's setting
/// for it, else its own, else kubernetes.yaml's.
#[must_use]
pub fn kubernetes_resources(
    config: &Config,
    own: Option<&ManifestResources>,
    in_env: Option<&ManifestResources>,
) -> Amounts {
    if let Some(r) = in_env.or(own) {
        return Amounts::of(r);
    }
    let k = &config.kubernetes.resources;
    // Written once: docker.yaml's amounts when kubernetes.yaml gives none.
    if !kubernetes_written(config) && docker_written(config) {
        return compose_resources(config, None);
    }
    Amounts {
        cpu_request: (*k.requests.cpu).clone(),
        memory_request: (*k.requests.memory).clone(),
        cpu_limit: (*k.limits.cpu).clone(),
        memory_limit: (*k.limits.memory).clone(),
    }
}

/// A process's or job's resources in compose: its own, else docker.yaml's.
#[must_use]
pub fn compose_resources(config: &Config, own: Option<&ManifestResources>) -> Amounts {
    if let Some(r) = own {
        return Amounts::of(r);
    }
    let d = &config.docker.runtime.resources;
    // Written once: kubernetes.yaml's amounts when docker.yaml gives none.
    if !docker_written(config) && kubernetes_written(config) {
        return kubernetes_resources(config, None, None);
    }
    Amounts {
        cpu_request: (*d.cpu_request).clone(),
        memory_request: (*d.memory_request).clone(),
        cpu_limit: (*d.cpu_limit).clone(),
        memory_limit: (*d.memory_limit).clone(),
    }
}

/// Whether kubernetes.yaml gives any resource amount.
fn kubernetes_written(config: &Config) -> bool {
    let k = &config.kubernetes.resources;
    [&k.requests, &k.limits]
        .iter()
        .any(|a| a.cpu.is_written() || a.memory.is_written())
}

/// Whether docker.yaml gives any resource amount.
fn docker_written(config: &Config) -> bool {
    let d = &config.docker.runtime.resources;
    d.cpu_limit.is_written()
        || d.cpu_request.is_written()
        || d.memory_limit.is_written()
        || d.memory_request.is_written()
}

/// The replicas of a process in an environment: the environment's setting
/// for it, the environment's `replicas` for the public process, the
/// process's own, kubernetes.yaml's `cluster.replicas`, else
/// [`DEFAULT_REPLICAS`]. Each later source is read only when needed.
#[must_use]
pub fn replicas(config: &Config, name: &DnsLabel, process: &Process, env: &Environment) -> u32 {
    if let Some(r) = env.processes.get(name).and_then(|o| o.replicas.as_deref()) {
        return *r;
    }
    if process.is_public()
        && let Some(r) = env.replicas.as_deref()
    {
        return *r;
    }
    if let Some(r) = process.replicas.as_deref() {
        return *r;
    }
    *config.kubernetes.cluster.replicas
}

/// The environment's override of a process's resources, if any.
#[must_use]
pub fn env_resources<'a>(env: &'a Environment, name: &DnsLabel) -> Option<&'a ManifestResources> {
    env.processes.get(name).and_then(|o| o.resources.as_ref())
}

/// The processes in name order, with their names.
pub fn processes(config: &Config) -> impl Iterator<Item = (&DnsLabel, &Process)> {
    config.manifest.processes.iter()
}

/// A job's retries: its own, else 0 for a deploy job (a failed migration
/// must stop the deploy, not run twice) and 2 for a scheduled one.
#[must_use]
pub fn job_retries(job: &Job) -> u32 {
    job.retries
        .as_deref()
        .copied()
        .unwrap_or(if job.schedule.is_some() { 2 } else { 0 })
}

/// A job's deadline in seconds (default one hour).
#[must_use]
pub fn job_deadline_secs(job: &Job) -> u64 {
    job.deadline.as_ref().map_or(3600, |d| d.as_secs())
}
