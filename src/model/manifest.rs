//! `cfgen.yaml`: the project's identity and environments.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::provenance::Tracked;

use super::values::{DnsLabel, HttpPath};

/// A cfgen project: what is deployed, from which image, to which environments.
/// The nine config files live beside it under `config/deployment/`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cfgen project manifest", example = manifest_example())]
pub struct Manifest {
    /// Project name, a DNS label: names the Kubernetes objects, the compose project and the image.
    pub name: Tracked<DnsLabel>,
    /// One line on what the project is; shown in generated headers and the checklist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Tracked<String>>,
    /// The application that the artifacts build and run.
    pub app: App,
    /// Where the application image is pushed.
    pub image: Image,
    /// Deployment environments by name (e.g. `staging`, `production`), each a Kubernetes namespace and a public host.
    pub environments: BTreeMap<DnsLabel, Environment>,
    /// Folder, relative to this file, that receives the generated artifacts.
    #[serde(default = "default_output")]
    pub output: Tracked<String>,
}

fn default_output() -> Tracked<String> {
    Tracked::default_value("deploy".into())
}

fn manifest_example() -> serde_json::Value {
    serde_json::json!({
        "name": "ecommerce",
        "app": { "runtime": "python", "port": 8000, "entrypoint": "app.main:app" },
        "image": { "repository": "ghcr.io/acme/ecommerce" },
        "environments": {
            "staging": { "namespace": "ecommerce-staging", "host": "staging-api.ecommerce.com", "replicas": 2 },
            "production": { "namespace": "ecommerce-prod", "host": "api.ecommerce.com" }
        }
    })
}

/// The application: its runtime, how it starts and what it listens on.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// Language runtime; selects the Dockerfile recipe.
    pub runtime: Tracked<Runtime>,
    /// TCP port the application listens on inside the container.
    #[schemars(range(min = 1024, max = 65535))]
    pub port: Tracked<u16>,
    /// What starts the app: for `python` the ASGI application (`module:attribute`, run by uvicorn), for `rust` the binary name.
    pub entrypoint: Tracked<String>,
    /// For `rust`: the Cargo package that holds the binary (defaults to the binary name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Tracked<String>>,
    /// Files and folders, relative to the build context, copied into the runtime image (python). Rust images copy only the binary.
    #[serde(default = "default_sources")]
    pub sources: Tracked<Vec<String>>,
    /// Folder, relative to this manifest, used as the Docker build context.
    #[serde(default = "default_context")]
    pub build_context: Tracked<String>,
    /// Command that applies database migrations, run as a step before the new version takes traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrate: Option<Tracked<Vec<String>>>,
    /// HTTP paths of the probes; each must be listed in `monitoring_config.application.health_endpoints`.
    #[serde(default)]
    pub probes: Probes,
}

fn default_sources() -> Tracked<Vec<String>> {
    Tracked::default_value(vec!["app/".into()])
}

fn default_context() -> Tracked<String> {
    Tracked::default_value(".".into())
}

/// The application's language runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// A Python ASGI app served by uvicorn.
    Python,
    /// A Rust binary built with Cargo.
    Rust,
}

/// Probe paths.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    /// Liveness: answers 200 while the process is alive.
    #[serde(default = "default_liveness")]
    pub liveness: Tracked<HttpPath>,
    /// Readiness: answers 200 only while the app can serve traffic.
    #[serde(default = "default_readiness")]
    pub readiness: Tracked<HttpPath>,
    /// Prometheus metrics in text format.
    #[serde(default = "default_metrics")]
    pub metrics: Tracked<HttpPath>,
}

impl Default for Probes {
    fn default() -> Self {
        Self {
            liveness: default_liveness(),
            readiness: default_readiness(),
            metrics: default_metrics(),
        }
    }
}

fn default_liveness() -> Tracked<HttpPath> {
    Tracked::default_value("/health".parse().expect("valid path"))
}
fn default_readiness() -> Tracked<HttpPath> {
    Tracked::default_value("/ready".parse().expect("valid path"))
}
fn default_metrics() -> Tracked<HttpPath> {
    Tracked::default_value("/metrics".parse().expect("valid path"))
}

/// The container registry repository of the app image.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// Registry and repository without tag, e.g. `ghcr.io/acme/ecommerce`; CI tags each build with the commit SHA.
    #[schemars(regex(
        pattern = r"^([a-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
    ))]
    pub repository: Tracked<String>,
}

/// One deployment environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Kubernetes namespace; overrides `kubernetes_config.cluster.namespace`.
    pub namespace: Tracked<DnsLabel>,
    /// Public host name served by the Ingress, e.g. `api.ecommerce.com`.
    #[schemars(regex(pattern = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"))]
    pub host: Tracked<String>,
    /// Replica count; overrides `kubernetes_config.cluster.replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub replicas: Option<Tracked<u32>>,
}
