//! `cfgen.yaml`, version 1: the earlier shape (one python or rust app with a
//! port, MySQL and Redis implied). Still read; [`Manifest::into_v2`] says what
//! it means in today's terms, and validation warns the user to migrate.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::constraint::{AtLeast, Between, ListenPort};
use crate::provenance::Tracked;

use crate::model::values::{DnsLabel, HostName, HttpPath, ImageRef};

/// A cfgen project: what is deployed, from which image, to which environments.
/// The nine config files live beside it under `config/deployment/`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cfgen project manifest", example = manifest_example())]
pub struct Manifest {
    /// Manifest version: absent or `1` for this shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Tracked<u32, Between<1, 1>>>,
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
    pub port: Tracked<u16, ListenPort>,
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
    pub repository: Tracked<ImageRef>,
}

/// One deployment environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Kubernetes namespace; overrides `kubernetes_config.cluster.namespace`.
    pub namespace: Tracked<DnsLabel>,
    /// Public host name served by the Ingress, e.g. `api.ecommerce.com`.
    pub host: Tracked<HostName>,
    /// Replica count; overrides `kubernetes_config.cluster.replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Tracked<u32, AtLeast<1>>>,
}

impl Manifest {
    /// What this manifest means in version 2: a built image of the runtime,
    /// one public process `app` on `app.port` (so the objects keep their
    /// `<name>-app` names), a deploy job `migrate` from `app.migrate`, and the
    /// MySQL database and Redis cache that version 1 implied, run by compose.
    /// Values keep their origins, so errors and the unused report still point
    /// at this file.
    #[must_use]
    pub fn into_v2(self) -> super::Manifest {
        use super::workload::{Cache, CacheEngine, Database, DatabaseEngine, Dependencies};
        let app = self.app;
        let runtime = app.runtime.map(|r| match r {
            Runtime::Python => super::Runtime::Python,
            Runtime::Rust => super::Runtime::Rust,
        });
        let python = *app.runtime.peek() == Runtime::Python;
        // A version-1 rust binary is the bundled service's shape: `serve` and
        // `healthcheck` subcommands, installed in /usr/local/bin.
        let rust_command = |sub: &str| {
            (!python).then(|| {
                app.entrypoint
                    .map(|bin| vec![format!("/usr/local/bin/{bin}"), sub.to_owned()])
            })
        };
        let process = super::Process {
            command: rust_command("serve"),
            healthcheck: rust_command("healthcheck"),
            port: Some(app.port),
            probes: Some(super::Probes {
                liveness: app.probes.liveness,
                readiness: app.probes.readiness,
                metrics: app.probes.metrics,
            }),
            ..super::Process::default()
        };
        let jobs = app
            .migrate
            .map(|command| {
                let job = super::Job {
                    command: command.under(),
                    schedule: None,
                    timezone: None,
                    concurrency: None,
                    deadline: None,
                    retries: None,
                    history: None,
                    resources: None,
                    env: BTreeMap::new(),
                };
                (name("migrate"), job)
            })
            .into_iter()
            .collect();
        super::Manifest {
            version: Tracked::default_value(1),
            name: self.name,
            description: self.description,
            extends: None,
            image: self.image.repository,
            build: Some(super::Build {
                runtime: Some(runtime),
                dockerfile: None,
                context: app.build_context,
                entrypoint: Some(app.entrypoint),
                server: python.then(|| Tracked::default_value(super::PythonServer::Uvicorn)),
                package_manager: None,
                build_tool: None,
                package: app.package,
                sources: Some(app.sources),
            }),
            processes: [(name("app"), process)].into_iter().collect(),
            jobs,
            env: BTreeMap::new(),
            secrets: BTreeMap::new(),
            accept: Vec::new(),
            file_backup: None,
            release: super::Release::default(),
            dependencies: Dependencies {
                database: Some(Database {
                    engine: Tracked::default_value(DatabaseEngine::Mysql),
                    version: None,
                    flavour: None,
                    external: None,
                    name: None,
                }),
                cache: Some(Cache {
                    engine: Tracked::default_value(CacheEngine::Redis),
                    version: None,
                    external: None,
                    tls: None,
                }),
            },
            backup: None,
            environments: self
                .environments
                .into_iter()
                .map(|(env_name, e)| {
                    let env = super::Environment {
                        namespace: Some(e.namespace),
                        host: Some(e.host),
                        replicas: e.replicas,
                        processes: BTreeMap::new(),
                        env: BTreeMap::new(),
                        patches: Vec::new(),
                    };
                    (env_name, env)
                })
                .collect(),
            targets: None,
            output: self.output,
            workflow: None,
            routing: None,
            patches: Vec::new(),
        }
    }
}

fn name(s: &str) -> DnsLabel {
    s.parse().expect("a valid DNS label")
}
