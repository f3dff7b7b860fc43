//! Log shipping (logging.yaml `collection`): the configuration of the collector it names
//! (fluentd or fluent-bit) shipping the containers' JSON stdout to Elasticsearch, and the
//! destination's retention as an Elasticsearch ILM policy.
//!
//! Kubernetes: per environment a folder `k8s/<env>/logging/`, a kustomization of its own in
//! the namespace `<namespace>-logging`: reading the node's `/var/log/containers` needs a
//! hostPath volume and root, which the app namespace's restricted Pod Security Standard
//! rejects (the collector's namespace is `privileged`, holding nothing but the collector).
//! The collector tails only the environment's namespace, so two environments on one
//! cluster do not ship each other's logs. Compose: a collector service in the `logging`
//! profile tailing docker's json-file logs. Both write to the data stream
//! `logs-<project>-<env>`, whose index template names the ILM policy `<project>-logs`
//! (rollover daily or at 50 GB, deleted after `retention`); `scripts/apply_log_retention.sh`
//! puts both, run by a one-shot Job in Kubernetes.
//!
//! The collectors do not install from the registries this project builds with: the
//! configurations are checked against the keys of the pinned versions' documentation
//! (`tests/logship/`), not run.

use serde::Serialize;

use super::{Artifact, Check, Syntax};
use crate::model::Config;
use crate::model::logging::{LogAgent, LogDestination};
use crate::model::manifest::Target;
use crate::provenance;
use crate::validate::Project;

/// The fluent-bit image (Fluent Bit 3.2, the version whose keys tests/logship/ vendors).
pub const FLUENT_BIT_IMAGE: &str = "fluent/fluent-bit:3.2";

/// The fluentd image with the Elasticsearch output, the Kubernetes metadata filter and the
/// CRI parser (fluentd 1.17).
pub const FLUENTD_IMAGE: &str = "fluent/fluentd-kubernetes-daemonset:v1.17-debian-elasticsearch8-1";

/// The image of the one-shot retention Job (curl and sh).
pub const CURL_IMAGE: &str = "curlimages/curl:8.11.1";

/// What the collector's configuration and the retention policy need.
#[derive(Debug, Clone, Serialize)]
pub struct LogShip {
    /// `fluentd` or `fluent-bit`.
    pub agent: &'static str,
    /// The collector's image.
    pub image: &'static str,
    /// The configuration file's name (`fluent.conf`, `fluent-bit.conf`).
    pub config_file: &'static str,
    /// Where the image reads it.
    pub config_dir: &'static str,
    /// The configuration's template.
    pub config_template: &'static str,
    /// Compress the payload to Elasticsearch (logging.yaml `compression`); at rest the
    /// index template asks for `best_compression`.
    pub compression: bool,
    /// Days logs are kept (logging.yaml `retention`, rounded up to whole days).
    pub retention_days: u64,
    /// The retention as written.
    pub retention: String,
    /// The ILM policy and index template name.
    pub policy: String,
    /// The index pattern of the template (`logs-<project>-*`).
    pub pattern: String,
    /// The Secret with the endpoint and credentials.
    pub secret: String,
    /// The project's name.
    pub project: String,
}

/// The log shipping logging.yaml asks for, when it names a collector and a destination
/// cfgen renders (validation rejects the others).
#[must_use]
pub fn view(config: &Config) -> Option<LogShip> {
    let c = config.logging.collection.as_ref()?;
    let (agent, image, config_file, config_dir, config_template) = match *c.agent {
        LogAgent::Fluentd => (
            "fluentd",
            FLUENTD_IMAGE,
            "fluent.conf",
            "/fluentd/etc",
            "logging/fluent.conf.j2",
        ),
        LogAgent::FluentBit => (
            "fluent-bit",
            FLUENT_BIT_IMAGE,
            "fluent-bit.conf",
            "/fluent-bit/etc",
            "logging/fluent-bit.conf.j2",
        ),
        LogAgent::Vector | LogAgent::Promtail => return None,
    };
    if *c.destination != LogDestination::Elasticsearch {
        return None;
    }
    let project = config.manifest.name.to_string();
    Some(LogShip {
        agent,
        image,
        config_file,
        config_dir,
        config_template,
        compression: *c.compression,
        retention_days: c.retention.as_secs().div_ceil(86_400).max(1),
        retention: c.retention.to_string(),
        policy: format!("{project}-logs"),
        pattern: format!("logs-{project}-*"),
        secret: format!("{project}-log-shipping"),
        project,
    })
}

/// The view of one artifact: the shipping, where it runs and what it tails.
#[derive(Serialize)]
struct View {
    #[serde(flatten)]
    ship: LogShip,
    /// Kubernetes (tails `/var/log/containers`) or compose (docker's json-file logs).
    kubernetes: bool,
    environment: String,
    /// The app's namespace, whose containers' logs are shipped.
    app_namespace: String,
    /// The collector's namespace.
    namespace: String,
    /// The data stream written to.
    data_stream: String,
    script_image: &'static str,
}

fn artifact(
    path: String,
    template: &'static str,
    syntax: Syntax,
    check: Check,
    f: impl FnOnce() -> Option<View>,
) -> Option<Artifact> {
    let (view, reads) = provenance::record(f);
    let mut a = Artifact::new(path, template, view?, syntax, check);
    a.reads = reads;
    Some(a)
}

/// `scripts/apply_log_retention.sh`: the retention policy, for compose hosts and the Job.
#[must_use]
pub fn scripts(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    if !config.manifest.wants(Target::Scripts) {
        return Vec::new();
    }
    artifact(
        "scripts/apply_log_retention.sh".into(),
        "logging/apply_log_retention.sh.j2",
        Syntax::Shell,
        Check::None,
        || compose_view(config),
    )
    .map(Artifact::executable)
    .into_iter()
    .collect()
}

/// `logging/<collector config>` of the compose host's collector service.
#[must_use]
pub fn compose(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    let Some(ship) = view(config) else {
        return Vec::new();
    };
    if !config.manifest.wants(Target::Compose) {
        return Vec::new();
    }
    artifact(
        format!("logging/{}", ship.config_file),
        ship.config_template,
        Syntax::Conf,
        Check::None,
        || compose_view(config),
    )
    .into_iter()
    .collect()
}

/// The collector's folder `k8s/<env>/logging/` of each environment.
#[must_use]
pub fn kubernetes(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    let mut out = Vec::new();
    if view(config).is_none() || !config.manifest.wants(Target::Kubernetes) {
        return out;
    }
    for (name, env) in &config.manifest.environments {
        let config = project.config_for(name.as_str());
        let dir = format!("k8s/{name}/logging");
        let env_view = || {
            let app_namespace = super::kubernetes::namespace(config, name, env);
            Some(View {
                ship: view(config)?,
                kubernetes: true,
                environment: name.to_string(),
                namespace: format!("{app_namespace}-logging"),
                data_stream: format!("logs-{}-{name}", config.manifest.name),
                app_namespace,
                script_image: CURL_IMAGE,
            })
        };
        for (file, template, check) in [
            (
                "namespace.yaml",
                "logging/namespace.yaml.j2",
                Check::Kubernetes,
            ),
            (
                "serviceaccount.yaml",
                "logging/serviceaccount.yaml.j2",
                Check::Kubernetes,
            ),
            (
                "clusterrole.yaml",
                "logging/clusterrole.yaml.j2",
                Check::Kubernetes,
            ),
            (
                "clusterrolebinding.yaml",
                "logging/clusterrolebinding.yaml.j2",
                Check::Kubernetes,
            ),
            (
                "configmap.yaml",
                "logging/configmap.yaml.j2",
                Check::Kubernetes,
            ),
            (
                "daemonset.yaml",
                "logging/daemonset.yaml.j2",
                Check::Kubernetes,
            ),
            (
                "retention-job.yaml",
                "logging/retention-job.yaml.j2",
                Check::Kubernetes,
            ),
            (
                "kustomization.yaml",
                "logging/kustomization.yaml.j2",
                Check::Yaml,
            ),
        ] {
            out.extend(
                artifact(
                    format!("{dir}/{file}"),
                    template,
                    Syntax::Yaml,
                    check,
                    env_view,
                )
                .map(|a| a.for_environment(name.as_str())),
            );
        }
    }
    out
}

/// The compose host's view: the collector tails docker's logs, one data stream per project.
fn compose_view(config: &Config) -> Option<View> {
    Some(View {
        ship: view(config)?,
        kubernetes: false,
        environment: String::new(),
        app_namespace: String::new(),
        namespace: String::new(),
        data_stream: format!("logs-{}-compose", config.manifest.name),
        script_image: CURL_IMAGE,
    })
}

/// The collector service of `docker-compose.yml` (profile `logging`), when logging.yaml
/// names a collector cfgen renders.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeCollector {
    /// `fluentd` or `fluent-bit` (the service's name).
    pub agent: &'static str,
    /// Its image.
    pub image: &'static str,
    /// `logging/<file>`, mounted read-only.
    pub config_file: &'static str,
    /// Where the image reads it.
    pub config_dir: &'static str,
    /// The env file with the endpoint and credentials.
    pub env_file: String,
}

/// The compose collector service.
#[must_use]
pub fn compose_collector(config: &Config) -> Option<ComposeCollector> {
    let v = view(config)?;
    Some(ComposeCollector {
        agent: v.agent,
        image: v.image,
        config_file: v.config_file,
        config_dir: v.config_dir,
        env_file: format!("{}/log-shipping.env", super::compose::SECRETS_FOLDER),
    })
}
