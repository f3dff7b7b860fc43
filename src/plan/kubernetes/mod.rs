//! Kubernetes manifests, one folder per environment (`k8s/<env>/`), one object
//! per file, tied together by a `kustomization.yaml` so `kubectl apply -k
//! k8s/<env>` deploys it. Every mapping rule from the config to a field lives
//! here; the templates only lay the values out.

mod backup;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

use super::common::{APP_UID, EnvVar, app_env};
use super::{Artifact, Check, Syntax};
use crate::model::FileKind::{
    self, Backup, Docker, Kubernetes, Logging, Manifest, Monitoring, Performance, Security,
};
use crate::model::manifest::Environment;
use crate::model::security::{CertificateManagement, ServiceMesh, SslTermination};
use crate::model::values::{DnsLabel, IntOrPercent};
use crate::model::{Config, kubernetes::ServiceType};
use crate::validate::Project;

pub use backup::{BackupView, cron_schedule};

/// The digest the committed manifests carry until the deploy workflow sets the
/// one it built (`kustomize edit set image`). All zeros: it can never be pulled
/// by accident, and the image is never referenced by a mutable tag.
pub const PLACEHOLDER_DIGEST: &str =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// Port of the app Service (the Ingress and in-cluster clients use it).
pub const SERVICE_PORT: u16 = 80;

/// Namespace of the ingress controller that may reach the app.
pub const INGRESS_NAMESPACE: &str = "ingress-nginx";

/// Namespace of Prometheus, which scrapes the app's metrics path.
pub const MONITORING_NAMESPACE: &str = "monitoring";

/// The cert-manager ClusterIssuer named on the Ingress (the cluster operator creates it).
pub const CLUSTER_ISSUER: &str = "letsencrypt-prod";

/// Seconds the pod keeps serving after it is removed from the Service's
/// endpoints, before it gets SIGTERM (`preStop` sleep): the ingress controller
/// and kube-proxy need that long to stop sending it new requests.
pub const PRE_STOP_SECONDS: u32 = 5;

/// Size of the `/tmp` emptyDir.
pub const TMP_SIZE: &str = "64Mi";

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

/// One environment's view: every template of the folder renders from it.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// Environment name.
    pub environment: String,
    /// Project name (`app.kubernetes.io/name`, `part-of`).
    pub project: String,
    /// Name of the app's objects (Deployment, Service, …): `<project>-app`,
    /// as the deploy steps in scripts.yaml call it.
    pub app: String,
    /// Namespace.
    pub namespace: String,
    /// Public host.
    pub host: String,
    /// Container port of the app.
    pub port: u16,
    /// Service port.
    pub service_port: u16,
    /// Service type.
    pub service_type: &'static str,
    /// Replicas (the HPA minimum; see `deployment.yaml.j2`).
    pub replicas: u32,
    /// HPA maximum.
    pub max_replicas: u32,
    /// HPA CPU target, percent of the request.
    pub cpu_target: u32,
    /// Rolling update `maxSurge`, as a YAML scalar.
    pub max_surge: String,
    /// Rolling update `maxUnavailable`, as a YAML scalar.
    pub max_unavailable: String,
    /// Image repository.
    pub image: String,
    /// Image digest (placeholder until the workflow sets it).
    pub digest: &'static str,
    /// Requests and limits.
    pub resources: Resources,
    /// Probe paths.
    pub probes: Probes,
    /// Hardening.
    pub security: Hardening,
    /// emptyDir mounts of the app container.
    pub scratch: Vec<ScratchVolume>,
    /// The ConfigMap's name.
    pub config_map: String,
    /// The ConfigMap's data (the app's non-secret environment).
    pub env: Vec<EnvVar>,
    /// A hash of the ConfigMap data, a pod-template annotation so a config change rolls the pods.
    pub config_hash: String,
    /// The Secret the cluster operator creates.
    pub secret: String,
    /// Folder the Secret is mounted at.
    pub secret_dir: &'static str,
    /// Grace period: preStop plus the app's drain time.
    pub termination_grace_seconds: u32,
    /// preStop sleep.
    pub pre_stop_seconds: u32,
    /// Ingress, if enabled.
    pub ingress: Option<Ingress>,
    /// NetworkPolicies rendered.
    pub network_policies: bool,
    /// Namespace of the ingress controller.
    pub ingress_namespace: &'static str,
    /// Namespace of Prometheus.
    pub monitoring_namespace: &'static str,
    /// Istio is the mesh (sidecar injection, istiod egress).
    pub istio: bool,
    /// Render a STRICT PeerAuthentication.
    pub peer_authentication: bool,
    /// RBAC Role and RoleBinding.
    pub rbac: bool,
    /// The backup CronJob, if any.
    pub backup: Option<BackupView>,
    /// checkov skips on the Deployment.
    pub skips: Vec<Skip>,
    /// Files listed in kustomization.yaml, in order.
    pub resources_files: Vec<String>,
}

/// Requests and limits.
#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    /// CPU request.
    pub cpu_request: String,
    /// Memory request.
    pub memory_request: String,
    /// CPU limit.
    pub cpu_limit: String,
    /// Memory limit.
    pub memory_limit: String,
}

/// Probe paths.
#[derive(Debug, Clone, Serialize)]
pub struct Probes {
    /// Liveness (and startup).
    pub liveness: String,
    /// Readiness.
    pub readiness: String,
    /// Metrics (scrape annotation).
    pub metrics: String,
}

/// The Ingress.
#[derive(Debug, Clone, Serialize)]
pub struct Ingress {
    /// TLS on the host.
    pub tls: bool,
    /// TLS Secret name.
    pub tls_secret: String,
    /// cert-manager ClusterIssuer, when cert-manager issues the certificate.
    pub cluster_issuer: Option<&'static str>,
    /// `proxy-body-size` (nginx size syntax).
    pub body_size: String,
    /// Rate limit: requests per second per client address.
    pub limit_rps: Option<u32>,
    /// Rate limit: burst multiplier.
    pub limit_burst_multiplier: Option<u32>,
}

/// The objects of one environment folder, in kustomization order, with the
/// template, the config files each derives from, and whether it is rendered.
fn objects(view: &View) -> Vec<(&'static str, &'static [FileKind])> {
    let mut out: Vec<(&'static str, &'static [FileKind])> = vec![
        ("namespace", &[Manifest, Kubernetes, Docker, Security]),
        ("serviceaccount", &[Manifest, Security]),
    ];
    if view.rbac {
        out.push(("role", &[Manifest, Security]));
        out.push(("rolebinding", &[Manifest, Security]));
    }
    out.push(("configmap", &[Manifest, Logging, Performance]));
    out.push((
        "deployment",
        &[
            Manifest,
            Kubernetes,
            Docker,
            Security,
            Logging,
            Monitoring,
            Performance,
        ],
    ));
    out.push(("service", &[Manifest, Kubernetes]));
    if view.ingress.is_some() {
        out.push(("ingress", &[Manifest, Kubernetes, Security, Performance]));
    }
    if view.network_policies {
        out.push(("networkpolicy-default-deny", &[Manifest, Security]));
        out.push(("networkpolicy", &[Manifest, Security]));
    }
    out.push(("pdb", &[Manifest, Kubernetes]));
    out.push(("hpa", &[Manifest, Kubernetes, Monitoring]));
    if let Some(b) = &view.backup {
        if b.pvc {
            out.push(("pvc", &[Kubernetes, Backup]));
        }
        out.push(("backup-script", &[Backup]));
        out.push(("backup-cronjob", &[Kubernetes, Backup, Docker, Security]));
        if view.network_policies {
            out.push(("networkpolicy-backup", &[Manifest, Security]));
        }
    }
    if view.peer_authentication {
        out.push(("peerauthentication", &[Security]));
    }
    out
}

/// Every environment's folder.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    let mut artifacts = Vec::new();
    for (name, env) in &config.manifest.environments {
        let mut view = view(config, name, env);
        let objects = objects(&view);
        view.resources_files = objects.iter().map(|(o, _)| format!("{o}.yaml")).collect();
        // Serialized once: every object of the environment renders from it.
        let view = minijinja::Value::from(minijinja::value::Serde(&view));
        for (object, sources) in objects {
            artifacts.push(
                Artifact::new(
                    format!("k8s/{name}/{object}.yaml"),
                    template(object),
                    &view,
                    sources,
                    Syntax::Yaml,
                    Check::Kubernetes,
                )
                .for_environment(name.as_str()),
            );
        }
        artifacts.push(
            Artifact::new(
                format!("k8s/{name}/kustomization.yaml"),
                "kubernetes/kustomization.yaml.j2",
                &view,
                &[Manifest],
                Syntax::Yaml,
                Check::Kubernetes,
            )
            .for_environment(name.as_str()),
        );
    }
    artifacts
}

fn template(object: &str) -> &'static str {
    match object {
        "namespace" => "kubernetes/namespace.yaml.j2",
        "serviceaccount" => "kubernetes/serviceaccount.yaml.j2",
        "role" => "kubernetes/role.yaml.j2",
        "rolebinding" => "kubernetes/rolebinding.yaml.j2",
        "configmap" => "kubernetes/configmap.yaml.j2",
        "deployment" => "kubernetes/deployment.yaml.j2",
        "service" => "kubernetes/service.yaml.j2",
        "ingress" => "kubernetes/ingress.yaml.j2",
        "networkpolicy-default-deny" => "kubernetes/networkpolicy-default-deny.yaml.j2",
        "networkpolicy" => "kubernetes/networkpolicy.yaml.j2",
        "networkpolicy-backup" => "kubernetes/networkpolicy-backup.yaml.j2",
        "pdb" => "kubernetes/pdb.yaml.j2",
        "hpa" => "kubernetes/hpa.yaml.j2",
        "pvc" => "kubernetes/pvc.yaml.j2",
        "backup-script" => "kubernetes/backup-script.yaml.j2",
        "backup-cronjob" => "kubernetes/backup-cronjob.yaml.j2",
        _ => "kubernetes/peerauthentication.yaml.j2",
    }
}

/// Replicas of an environment: its own override, else the cluster default.
#[must_use]
pub fn replicas(config: &Config, env: &Environment) -> u32 {
    *env.replicas.unwrap_or(config.kubernetes.cluster.replicas)
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

fn hardening(config: &Config) -> Hardening {
    let rs = &config.docker.runtime.security;
    let runtime_security = config.security.container.runtime_security;
    Hardening {
        non_root: *rs.non_root_user,
        uid: APP_UID,
        read_only: *rs.read_only_filesystem,
        no_new_privileges: *rs.no_new_privileges,
        runtime_security: *runtime_security,
        // The restricted standard needs every one of these; baseline otherwise.
        pod_security: if *rs.non_root_user && *rs.no_new_privileges && *runtime_security {
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

/// The view of one environment.
#[must_use]
pub fn view(config: &Config, name: &DnsLabel, env: &Environment) -> View {
    let m = &config.manifest;
    let k = &config.kubernetes;
    let s = &config.security;
    let replicas = replicas(config, env);
    let security = hardening(config);
    let app = format!("{}-app", m.name);
    let env_vars = app_env(config);
    // TLS ends at the Ingress unless a load balancer in front of it terminates it.
    let tls = *k.networking.ssl_enabled && s.network.ssl_termination == SslTermination::Ingress;
    let ingress = k.networking.ingress_enabled.then(|| {
        let limits = s.network.rate_limiting.limits();
        Ingress {
            tls,
            tls_secret: format!("{}-tls", m.name),
            cluster_issuer: (tls
                && s.network.certificate_management == CertificateManagement::CertManager)
                .then_some(CLUSTER_ISSUER),
            body_size: config
                .performance
                .application
                .client_max_body_size
                .to_string(),
            limit_rps: limits.as_ref().map(|l| l.requests_per_second),
            limit_burst_multiplier: limits
                .as_ref()
                .map(|l| l.burst.div_ceil(l.requests_per_second).max(1)),
        }
    });
    let istio = s.access.service_mesh == ServiceMesh::Istio;
    let backup = backup::view(config, &m.name, &security);
    View {
        environment: name.to_string(),
        project: m.name.to_string(),
        app: app.clone(),
        namespace: env.namespace.to_string(),
        host: env.host.to_string(),
        port: *m.app.port,
        service_port: SERVICE_PORT,
        service_type: match *k.networking.service_type {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
        },
        replicas,
        max_replicas: max_replicas(replicas),
        cpu_target: cpu_target(config),
        max_surge: int_or_percent(*k.cluster.rolling_update.max_surge),
        max_unavailable: int_or_percent(*k.cluster.rolling_update.max_unavailable),
        image: m.image.repository.to_string(),
        digest: PLACEHOLDER_DIGEST,
        resources: Resources {
            cpu_request: k.resources.requests.cpu.to_string(),
            memory_request: k.resources.requests.memory.to_string(),
            cpu_limit: k.resources.limits.cpu.to_string(),
            memory_limit: k.resources.limits.memory.to_string(),
        },
        probes: Probes {
            liveness: m.app.probes.liveness.to_string(),
            readiness: m.app.probes.readiness.to_string(),
            metrics: m.app.probes.metrics.to_string(),
        },
        skips: workload_skips(&security),
        security,
        scratch: scratch_volumes(config),
        config_map: format!("{app}-env"),
        config_hash: fingerprint(&env_vars),
        env: env_vars,
        secret: format!("{}-secrets", m.name),
        secret_dir: "/run/secrets/app",
        termination_grace_seconds: grace_seconds(config),
        pre_stop_seconds: PRE_STOP_SECONDS,
        ingress,
        network_policies: *s.container.network_policies,
        ingress_namespace: INGRESS_NAMESPACE,
        monitoring_namespace: MONITORING_NAMESPACE,
        istio,
        peer_authentication: istio && *s.access.mtls,
        rbac: *s.access.rbac_enabled,
        backup,
        resources_files: Vec::new(),
    }
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
