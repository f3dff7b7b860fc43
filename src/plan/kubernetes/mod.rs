//! Kubernetes manifests, one folder per environment (`k8s/<env>/`), one object
//! per file, tied together by a `kustomization.yaml` so `kubectl apply -k
//! k8s/<env>` deploys it. The deploy jobs (the migration) have a folder of
//! their own, `k8s/<env>/predeploy/`, which the workflow applies and waits for
//! before the rollout. Every mapping rule from the config to a field lives in
//! this module and its children; the templates only lay the values out.
//!
//! Each object's view is computed inside its own provenance record, so its
//! `# Source:` header and the unused-value report know exactly what it read.

pub mod backup;
mod file_backup;
pub mod gitops;
mod network;
pub mod rollout;
#[cfg(test)]
mod tests;
mod workloads;

use std::collections::BTreeMap;

use serde::Serialize;

use super::common::{APP_UID, EnvVar};
use super::{Artifact, Check, Syntax, workload};
use crate::model::Config;
use crate::model::manifest::{Environment, Target};
use crate::model::security::ServiceMesh;
use crate::model::values::{DnsLabel, IntOrPercent};
use crate::provenance;
use crate::validate::Project;

pub use backup::{BackupView, cron_schedule};

/// The digest the committed manifests carry until the deploy workflow sets the
/// one it deploys (`kustomize edit set image`). All zeros: it can never be
/// pulled by accident, and the image is never referenced by a mutable tag.
pub const PLACEHOLDER_DIGEST: &str =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// Port of every process's Service (the Ingress and in-cluster clients use it).
pub const SERVICE_PORT: u16 = 80;

/// Namespace of the ingress controller that may reach the public process.
pub const INGRESS_NAMESPACE: &str = "ingress-nginx";

/// Namespace of Prometheus, which scrapes the processes' metrics paths.
pub const MONITORING_NAMESPACE: &str = "monitoring";

/// The cert-manager ClusterIssuer named on the Ingress (the cluster operator creates it).
pub const CLUSTER_ISSUER: &str = "letsencrypt-prod";

/// Seconds a pod keeps serving after it is removed from the Service's
/// endpoints, before it gets SIGTERM (`preStop` sleep): the ingress controller
/// and kube-proxy need that long to stop sending it new requests.
pub const PRE_STOP_SECONDS: u32 = 5;

/// Size of the `/tmp` emptyDir.
pub const TMP_SIZE: &str = "64Mi";

/// The folder of the deploy jobs, inside an environment's folder.
pub const PREDEPLOY_DIR: &str = "predeploy";

/// A checkov check skipped on an object, with the config key that asks for it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Skip {
    /// Check id, e.g. `CKV_K8S_43`.
    pub id: &'static str,
    /// Why (no `=`: checkov splits on it).
    pub reason: String,
}

/// A writable emptyDir mounted into a container.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScratchVolume {
    /// Volume name.
    pub name: String,
    /// Mount path.
    pub path: String,
    /// `sizeLimit` quantity.
    pub size: String,
    /// Why it exists (a comment in the manifest).
    pub why: String,
}

/// Pod and container hardening shared by every workload.
#[derive(Debug, Clone, Serialize)]
pub struct Hardening {
    /// `runAsNonRoot` with the numeric UID/GID.
    pub non_root: bool,
    /// UID and GID.
    pub uid: u32,
    /// `readOnlyRootFilesystem`.
    pub read_only: bool,
    /// `allowPrivilegeEscalation: false`.
    pub no_new_privileges: bool,
    /// seccomp RuntimeDefault and capabilities drop ALL.
    pub runtime_security: bool,
    /// The namespace's Pod Security Standard level.
    pub pod_security: &'static str,
}

/// What every object of an environment's folder names.
#[derive(Debug, Clone, Serialize)]
pub struct Base {
    /// Environment name.
    pub environment: String,
    /// Project name (`app.kubernetes.io/name`, `part-of`).
    pub project: String,
    /// Namespace.
    pub namespace: String,
    /// The workload's ServiceAccount.
    pub service_account: String,
    /// The ConfigMap of the shared environment.
    pub config_map: String,
    /// The Secret the cluster operator creates.
    pub secret: String,
}

impl Base {
    /// The names of the folder of environment `name`.
    pub(super) fn new(config: &Config, name: &DnsLabel, env: &Environment) -> Self {
        let project = config.manifest.name.to_string();
        Self {
            environment: name.to_string(),
            namespace: namespace(config, name, env),
            service_account: project.clone(),
            config_map: format!("{project}-env"),
            secret: format!("{project}-secrets"),
            project,
        }
    }
}

/// The namespace of an environment: its own, else `<project>-<environment>`.
#[must_use]
pub fn namespace(config: &Config, name: &DnsLabel, env: &Environment) -> String {
    env.namespace.as_ref().map_or_else(
        || format!("{}-{name}", config.manifest.name),
        ToString::to_string,
    )
}

/// A view with the environment's names beside its own fields.
#[derive(Serialize)]
struct With<'a, T: Serialize> {
    #[serde(flatten)]
    base: &'a Base,
    #[serde(flatten)]
    view: T,
}

/// The artifacts of one environment folder, each with what its view read.
struct Folder<'a> {
    config: &'a Config,
    env: &'a DnsLabel,
    environment: &'a Environment,
    artifacts: Vec<Artifact>,
}

impl Folder<'_> {
    /// Adds `k8s/<env>/<file>` from the view `f` computes, with the names
    /// every object carries (both recorded).
    fn add<T: Serialize>(&mut self, file: &str, template: &'static str, f: impl FnOnce() -> T) {
        let (context, reads) = provenance::record(|| {
            let base = Base::new(self.config, self.env, self.environment);
            let view = f();
            minijinja::Value::from(minijinja::value::Serde(With { base: &base, view }))
        });
        let mut artifact = Artifact::new(
            format!("k8s/{}/{file}", self.env),
            template,
            &context,
            Syntax::Yaml,
            Check::Kubernetes,
        )
        .for_environment(self.env.as_str());
        artifact.reads = reads;
        self.artifacts.push(artifact);
    }

    /// The last artifact added read `reads` too.
    fn read_also(&mut self, reads: &provenance::Reads) {
        if let Some(last) = self.artifacts.last_mut() {
            last.reads.extend(reads);
        }
    }

    /// The files of the folder (or of a subfolder), in order, for its kustomization.
    fn files(&self, under: &str) -> Vec<String> {
        let prefix = format!("k8s/{}/{under}", self.env);
        self.artifacts
            .iter()
            .filter_map(|a| a.path.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/'))
            .map(str::to_owned)
            .collect()
    }
}

/// Every environment's folder.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    if !config.manifest.wants(Target::Kubernetes) {
        return Vec::new();
    }
    let mut artifacts = Vec::new();
    for (name, env) in &config.manifest.environments {
        // Each environment's folder is planned from its own config (the base
        // with its overlays merged in).
        let config = project.config_for(name.as_str());
        let mut folder = Folder {
            config,
            env: name,
            environment: env,
            artifacts: Vec::new(),
        };
        // What decides which objects the folder holds, and so what its
        // kustomizations list.
        let ((), decided) = provenance::record(|| objects(config, name, env, &mut folder));
        let mut resources = folder.files("");
        let predeploy = folder.files(&format!("{PREDEPLOY_DIR}/"));
        let image = config.manifest.image.name.clone();
        folder.add(
            "kustomization.yaml",
            "kubernetes/kustomization.yaml.j2",
            || {
                resources.sort_by_key(|f| kustomize_rank(f));
                Kustomization {
                    image: image.clone(),
                    digest: digest(config),
                    resources,
                    what: "deploys the",
                    min_kubernetes: MIN_KUBERNETES,
                }
            },
        );
        folder.read_also(&decided);
        if !predeploy.is_empty() {
            folder.add(
                &format!("{PREDEPLOY_DIR}/kustomization.yaml"),
                "kubernetes/kustomization.yaml.j2",
                || Kustomization {
                    image,
                    digest: digest(config),
                    resources: predeploy,
                    what: "runs the deploy jobs of the",
                    min_kubernetes: MIN_KUBERNETES,
                },
            );
            folder.read_also(&decided);
        }
        artifacts.extend(folder.artifacts);
    }
    artifacts.extend(gitops::plan(project));
    artifacts
}

/// Apply order in kustomization.yaml: the namespace and access first, then
/// configuration, workloads, networking, the rest.
fn kustomize_rank(file: &str) -> (u8, String) {
    let kind = file.split(['-', '.']).next().unwrap_or_default();
    let rank = match kind {
        "namespace" => 0,
        "serviceaccount" | "role" | "rolebinding" => 1,
        "configmap" | "security" | "pvc" => 2,
        "deployment" | "rollout" | "analysistemplate" | "cronjob" | "backup" => 3,
        "service" => 4,
        "ingress" | "gateway" | "httproute" => 5,
        "networkpolicy" | "peerauthentication" => 6,
        "servicemonitor" | "prometheusrule" => 7,
        _ => 8,
    };
    (rank, file.to_owned())
}

#[derive(Serialize)]
struct Kustomization {
    image: String,
    digest: String,
    resources: Vec<String>,
    what: &'static str,
    min_kubernetes: &'static str,
}

/// The oldest Kubernetes release the output runs on: `preStop.sleep` (1.30; 1.27 and 1.28
/// reject it). tests/validate-output.sh checks the schemas of 1.31 to 1.37.
pub const MIN_KUBERNETES: &str = "1.30";

/// The digest the manifests carry: a prebuilt image's own when the manifest
/// gives it, else the placeholder until the workflow pins the digest it
/// deploys (the one it built, or the one a prebuilt tag resolves to).
#[must_use]
pub fn digest(config: &Config) -> String {
    match (&config.manifest.build, &config.manifest.image.digest) {
        (None, Some(d)) => d.clone(),
        _ => PLACEHOLDER_DIGEST.to_owned(),
    }
}

/// Every object of one environment.
fn objects(config: &Config, name: &DnsLabel, env: &Environment, folder: &mut Folder<'_>) {
    let security = &config.security;
    folder.add("namespace.yaml", "kubernetes/namespace.yaml.j2", || {
        NamespaceView {
            security: hardening(config),
            istio: *security.access.service_mesh == ServiceMesh::Istio,
        }
    });
    folder.add(
        "serviceaccount.yaml",
        "kubernetes/serviceaccount.yaml.j2",
        || (),
    );
    if *security.access.rbac_enabled {
        folder.add("role.yaml", "kubernetes/role.yaml.j2", || ());
        folder.add("rolebinding.yaml", "kubernetes/rolebinding.yaml.j2", || ());
    }
    folder.add("configmap.yaml", "kubernetes/configmap.yaml.j2", || {
        let env_vars = workload::shared_env(config, Some(env));
        ConfigMapView {
            hash: fingerprint(&env_vars),
            env: env_vars,
        }
    });
    workloads::objects(config, name, env, folder);
    network::objects(config, env, folder);
    backup::objects(config, folder);
    file_backup::objects(config, folder);
    if config.manifest.wants(Target::Monitoring)
        && let Some(groups) =
            super::monitoring::cluster_groups(config, &namespace(config, name, env))
    {
        for (process_name, process) in workload::processes(config) {
            if let Some(probes) = workload::probe_paths(process) {
                folder.add(
                    &format!("servicemonitor-{process_name}.yaml"),
                    "kubernetes/servicemonitor.yaml.j2",
                    || ServiceMonitorView {
                        name: format!("{}-{process_name}", config.manifest.name),
                        component: process_name.to_string(),
                        path: probes.metrics.clone(),
                        interval: super::monitoring::APP_SCRAPE_INTERVAL,
                        blue_green: rollout::is_rollout(config, process),
                    },
                );
            }
        }
        folder.add(
            "prometheusrule.yaml",
            "kubernetes/prometheusrule.yaml.j2",
            || RulesView {
                groups: super::monitoring::cluster_groups(config, &namespace(config, name, env))
                    .unwrap_or(groups),
            },
        );
    }
    if *security.access.service_mesh == ServiceMesh::Istio && *security.access.mtls {
        folder.add(
            "peerauthentication.yaml",
            "kubernetes/peerauthentication.yaml.j2",
            || (),
        );
    }
}

#[derive(Serialize)]
struct ServiceMonitorView {
    name: String,
    component: String,
    path: String,
    interval: &'static str,
    /// The process is a Rollout, whose preview Service carries the same labels.
    blue_green: bool,
}

#[derive(Serialize)]
struct RulesView {
    groups: Vec<super::monitoring::rules::Group>,
}

#[derive(Serialize)]
struct NamespaceView {
    security: Hardening,
    istio: bool,
}

#[derive(Serialize)]
struct ConfigMapView {
    env: Vec<EnvVar>,
    hash: String,
}

/// HPA maximum: twice the minimum, at least one more than it.
#[must_use]
pub fn max_replicas(replicas: u32) -> u32 {
    (replicas.saturating_mul(2)).max(replicas.saturating_add(1))
}

/// A rolling-update limit as a YAML scalar: `1` or `"25%"`.
#[must_use]
pub fn int_or_percent(v: IntOrPercent) -> String {
    match v {
        IntOrPercent::Int(n) => n.to_string(),
        IntOrPercent::Percent(p) => format!("\"{p}%\""),
    }
}

/// Writable emptyDirs: `/tmp`, and the folder of every file log handler, when
/// the root filesystem is read-only. A log folder's size limit holds every
/// rotated file of the handlers writing there (`maxBytes × (backupCount + 1)`),
/// or 1Gi when a handler does not rotate.
#[must_use]
pub fn scratch_volumes(config: &Config) -> Vec<ScratchVolume> {
    if !config.docker.runtime.security.read_only_filesystem {
        return Vec::new();
    }
    let mut out = vec![ScratchVolume {
        name: "tmp".into(),
        path: "/tmp".into(),
        size: TMP_SIZE.into(),
        why: "temporary files (the root filesystem is read-only)".into(),
    }];
    // folder -> (bytes, handler names); None when some handler there does not rotate
    let mut folders: BTreeMap<String, (Option<u64>, Vec<String>)> = BTreeMap::new();
    for (name, handler) in &config.logging.handlers {
        let Some(file) = handler.filename.as_deref() else {
            continue;
        };
        if !handler.class.writes_file() {
            continue;
        }
        let folder = match file.rfind('/') {
            Some(0) | None => continue,
            Some(i) => file[..i].to_owned(),
        };
        if folder == "/tmp" || folder.starts_with("/tmp/") {
            continue;
        }
        let bytes = handler
            .max_bytes
            .map(|m| m.saturating_mul(u64::from(handler.backup_count.map_or(0, |c| *c)) + 1));
        let entry = folders.entry(folder).or_insert((Some(0), Vec::new()));
        entry.0 = match (entry.0, bytes) {
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
            _ => None,
        };
        entry.1.push(name.clone());
    }
    for (i, (folder, (bytes, handlers))) in folders.into_iter().enumerate() {
        out.push(ScratchVolume {
            name: if i == 0 {
                "logs".into()
            } else {
                format!("logs-{i}")
            },
            size: bytes.map_or_else(|| "1Gi".into(), mebibytes),
            why: format!(
                "log files of the logging.yaml handler{} {}",
                if handlers.len() == 1 { "" } else { "s" },
                handlers
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            path: folder,
        });
    }
    out
}

/// Bytes as a whole number of MiB, rounded up.
fn mebibytes(bytes: u64) -> String {
    format!("{}Mi", bytes.div_ceil(1 << 20).max(1))
}

/// FNV-1a, 64 bits: a stable fingerprint of the ConfigMap data (not a security hash).
fn fingerprint(vars: &[EnvVar]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in vars {
        for b in v.name.bytes().chain([0]).chain(v.value.bytes()).chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The hardening docker.yaml and security.yaml ask for.
#[must_use]
pub fn hardening(config: &Config) -> Hardening {
    let rs = &config.docker.runtime.security;
    let runtime_security = *config.security.container.runtime_security;
    let non_root = *rs.non_root_user;
    let no_new_privileges = *rs.no_new_privileges;
    Hardening {
        non_root,
        uid: APP_UID,
        read_only: *rs.read_only_filesystem,
        no_new_privileges,
        runtime_security,
        // The restricted standard needs every one of these; baseline otherwise.
        pod_security: if non_root && no_new_privileges && runtime_security {
            "restricted"
        } else {
            "baseline"
        },
    }
}

/// checkov checks a workload fails because the config asks for it.
#[must_use]
pub fn workload_skips(h: &Hardening) -> Vec<Skip> {
    let mut out = Vec::new();
    let skip = |id, reason: &str| Skip {
        id,
        reason: reason.to_owned(),
    };
    if !h.non_root {
        out.push(skip(
            "CKV_K8S_23",
            "docker.yaml runtime.security.non_root_user is false",
        ));
        out.push(skip(
            "CKV_K8S_40",
            "docker.yaml runtime.security.non_root_user is false",
        ));
    }
    if !h.no_new_privileges {
        out.push(skip(
            "CKV_K8S_20",
            "docker.yaml runtime.security.no_new_privileges is false",
        ));
    }
    if !h.read_only {
        out.push(skip(
            "CKV_K8S_22",
            "docker.yaml runtime.security.read_only_filesystem is false",
        ));
    }
    if !h.runtime_security {
        for id in ["CKV_K8S_28", "CKV_K8S_31", "CKV_K8S_37"] {
            out.push(skip(
                id,
                "security.yaml container.runtime_security is false",
            ));
        }
    }
    out
}

/// HPA CPU target in percent of the request: `monitoring_config.infrastructure.cpu_threshold`.
/// The alert compares usage with the *limit*, the HPA with the *request*
/// (at most the limit), so the HPA scales out before the alert can fire.
#[must_use]
pub fn cpu_target(config: &Config) -> u32 {
    let t = config
        .monitoring
        .infrastructure
        .cpu_threshold
        .value()
        .round();
    // 10–100: below 10% the HPA would scale on noise.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let t = t.clamp(10.0, 100.0) as u32;
    t
}

/// `terminationGracePeriodSeconds`: the preStop pause, then time for requests in
/// flight to finish, which the database query timeout bounds (at least 10 s).
#[must_use]
pub fn grace_seconds(config: &Config) -> u32 {
    PRE_STOP_SECONDS + (*config.performance.database.query_timeout).max(10)
}

/// The name of the backup CronJob, when cfgen renders one.
#[must_use]
pub fn backup_cronjob(config: &Config) -> Option<String> {
    config.manifest.dependencies.database.as_ref()?;
    backup::view(config, &config.manifest.name, &hardening(config)).map(|b| b.name)
}
