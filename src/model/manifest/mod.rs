//! `cfgen.yaml`, version 2: the workload. What runs (processes and jobs from
//! one image), how the image comes to be (a runtime recipe, the user's own
//! Dockerfile, or a prebuilt image), what it needs (env vars, secrets,
//! dependencies), where it is deployed (environments) and which artifact
//! families are wanted. The nine config files are the platform's policy.
//!
//! A version-1 manifest (the earlier shape) is read by [`v1`] and converted.

mod accept;
mod backup;
mod delivery;
mod patch;
mod release;
pub mod v1;
mod workload;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use accept::{Accept, WarningCode};
pub use backup::{BackupSites, S3Site, SecondSite};
pub use delivery::{DEFAULT_GATEWAY_CLASS, DEFAULT_PROXY_NAMESPACE, Routing, RoutingApi, Workflow};
pub use patch::{Patch, PatchTarget};
pub use release::{ArgoCd, Release, Strategy};
pub use workload::{
    Autoscale, Cache, CacheEngine, Concurrency, DataVolume, Database, DatabaseEngine, Dependencies,
    EnvValue, FileBackupTarget, History, Job, MysqlFlavour, Probes, Process, ProcessOverride,
    ResourceAmounts, Resources, SecretDelivery, VolumeAccess,
};

use super::values::{DnsLabel, EnvName, HostName, ImageRef};
use crate::model::constraint::{AtLeast, Between};
use crate::provenance::Tracked;

/// The manifest version this cfgen writes and reads natively.
pub const VERSION: u32 = 2;

/// The version a manifest declares: its `version` key, or 1 when it has none.
///
/// # Errors
/// A version this cfgen cannot read, with the span of the value and its text.
pub fn version_of(root: &crate::load::Node) -> Result<u32, (crate::load::Span, String)> {
    use crate::load::NodeKind;
    let Some(entry) = root.entry("version") else {
        return Ok(1);
    };
    match &entry.value.kind {
        NodeKind::Int(1) => Ok(1),
        NodeKind::Int(2) => Ok(2),
        NodeKind::Int(n) => Err((entry.value.span, n.to_string())),
        NodeKind::Str(s) => Err((entry.value.span, format!("\"{s}\""))),
        NodeKind::Float(f) => Err((entry.value.span, f.to_string())),
        _ => Err((entry.value.span, entry.value.type_name().to_owned())),
    }
}

/// A cfgen project: what runs, from which image, needing what, deployed where.
/// The nine policy files live beside it under `config/deployment/`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cfgen project manifest", example = manifest_example())]
pub struct Manifest {
    /// Manifest version: `2`. A manifest without `version` is read as version 1 (the earlier shape), with a warning.
    pub version: Tracked<u32, Between<2, 2>>,
    /// Project name, a DNS label: names the Kubernetes objects (`<name>-<process>`), the compose project and the image.
    pub name: Tracked<DnsLabel>,
    /// One line on what the project is; shown in generated headers and the checklist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Tracked<String>>,
    /// A shared policy folder of this repository that this project builds on, relative to this file, e.g. `../platform-policy`: a folder laid out like `config/` (`deployment/<file>.yaml`, `environments/<env>/<file>.yaml`, optionally a `policy.yaml` with an `extends` of its own, at most 4 folders in a chain). Its files are layered under the project's: defaults < policy base files < project base files < policy overlays < project overlays < this manifest. The path must stay inside the repository (the folder holding `.git`); links are followed only within it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<Tracked<String>>,
    /// With `build`: the repository CI pushes the image to, without a tag (CI tags each build with the commit SHA and deploys it by digest), e.g. `ghcr.io/acme/api`. Without `build`: a prebuilt image to deploy as it is, `name:tag` (resolved to a digest before each deploy) or `name@sha256:…`, e.g. `registry.example.com/team/billing:1.4.2`.
    pub image: Tracked<ImageRef>,
    /// How the image is built. Absent: `image` is prebuilt, and cfgen renders no Dockerfile and no build job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Build")]
    pub build: Option<Build>,
    /// The long-running processes started from the image, by name (a DNS label). Each becomes a Deployment (and a Service when it has a port) in Kubernetes and a service in compose.
    pub processes: BTreeMap<DnsLabel, Process>,
    /// Jobs by name: with a `schedule`, a CronJob; without, a job that runs once per deploy before the new version takes traffic (the migration).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub jobs: BTreeMap<DnsLabel, Job>,
    /// Plain environment variables of every process and job. Values are strings, numbers or booleans; secrets go in `secrets`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<EnvName, Tracked<EnvValue>>,
    /// Secrets by environment variable name, and how the app receives each: `file` (the value in a file, its path in `<NAME>_FILE`) or `env` (the value in `<NAME>`). Values never live in git: the operator creates them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<EnvName, Tracked<SecretDelivery>>,
    /// The database and cache the app connects to; each optional. Their connection URLs reach the app as the secrets `DATABASE_URL` and `REDIS_URL`.
    #[serde(default)]
    pub dependencies: Dependencies,
    /// Where backups are kept besides the cluster: the second site of backup.yaml's `disaster_recovery.backup_sites: 2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BackupSites")]
    pub backup: Option<BackupSites>,
    /// Deployment environments by name (e.g. `staging`, `production`). The workflow deploys them one after another, by name, with `production` (or `prod`) last; each needs the previous one to pass.
    pub environments: BTreeMap<DnsLabel, Environment>,
    /// How a new version is released: the strategy (`rolling` or `blue-green`) and who applies the manifests (the deploy job, or Argo CD). Default: a rolling update applied by the deploy job.
    #[serde(default, skip_serializing_if = "is_default_release")]
    pub release: Release,
    /// The artifact families to render. Default: every family that applies (no `image` family for a prebuilt image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Tracked<Vec<Target>>>,
    /// Folder, relative to this file and inside the project, that receives the generated artifacts.
    #[serde(default = "default_output")]
    pub output: Tracked<String>,
    /// Warnings this project accepts, each with its reason (see `Accept`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<Accept>,
    /// Where the deploy workflow is written (see `Workflow`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<Workflow>,
    /// How public traffic reaches the public process (see `Routing`). Absent: an Ingress, as before `routing` existed (`cfgen init` writes `api: gateway-api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
    /// Where the file backups of the processes' data volumes go (backup.yaml `files`). Default: a restic repository at `/var/backups/<name>/files`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "FileBackupTarget")]
    pub file_backup: Option<FileBackupTarget>,
    /// Changes to generated objects, applied in order to every environment's (see `Patch`); an environment's own `patches` come after these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Patch>,
}

fn is_default_release(r: &Release) -> bool {
    r.strategy.is_none() && r.argocd.is_none()
}

fn default_output() -> Tracked<String> {
    Tracked::default_value("deploy".into())
}

fn manifest_example() -> serde_json::Value {
    serde_json::json!({
        "version": 2,
        "name": "api",
        "image": "ghcr.io/acme/api",
        "build": { "runtime": "node", "entrypoint": "server.js" },
        "processes": { "web": { "port": 3000 } },
        "secrets": { "JWT_SECRET_KEY": "file" },
        "dependencies": { "database": { "engine": "postgres", "version": "16" } },
        "environments": {
            "staging": { "host": "staging.api.example.com" },
            "production": { "host": "api.example.com", "replicas": 3 }
        }
    })
}

/// How the image is built: a runtime recipe cfgen writes, or your own Dockerfile.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// Language runtime: cfgen writes a multi-stage Dockerfile for it. Exactly one of `runtime` and `dockerfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Tracked<Runtime>>,
    /// Your own Dockerfile, relative to this manifest: cfgen builds and deploys it and renders none. Exactly one of `runtime` and `dockerfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<Tracked<String>>,
    /// The Docker build context, relative to this manifest.
    #[serde(default = "default_context")]
    pub context: Tracked<String>,
    /// What the runtime starts: python `module:app` (the ASGI/WSGI application), node a script (`server.js`), go the main package's folder (`./cmd/api`, or `.`), java the jar the build produces (`target/app.jar`, `build/libs/app.jar`), rust the binary name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Tracked<String>>,
    /// python only: the server of the `web`-style process, `uvicorn` (ASGI) or `gunicorn` (WSGI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<Tracked<PythonServer>>,
    /// node only: the package manager, whose lockfile the build installs from (`package-lock.json`, `pnpm-lock.yaml`, `yarn.lock`); default `npm`. pnpm and yarn run through corepack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_manager: Option<Tracked<PackageManager>>,
    /// java only: `maven` (`pom.xml`; the default) or `gradle` (`build.gradle` with the Gradle wrapper `gradlew`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_tool: Option<Tracked<BuildTool>>,
    /// rust only: the Cargo package that holds the binary (default: the binary name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Tracked<String>>,
    /// python and node: files and folders, relative to the context, copied into the runtime image (default: python `app/`; node the entrypoint's top-level file or folder, e.g. `src/` for `src/server.js`; node's `package.json` is always copied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Tracked<Vec<String>>>,
}

fn default_context() -> Tracked<String> {
    Tracked::default_value(".".into())
}

/// A language runtime with a Dockerfile recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// Python: dependencies from `requirements.txt` into a virtualenv; uvicorn (ASGI) or gunicorn (WSGI).
    Python,
    /// Node.js: production dependencies from the lockfile (npm, pnpm or yarn), the sources, `node <entrypoint>`.
    Node,
    /// Go: a static binary (`CGO_ENABLED=0 go build -trimpath`) of the main package, alone on an empty (`scratch`) image.
    Go,
    /// Java: a Maven or Gradle build of the jar, run by a JRE.
    Java,
    /// Rust: a release build with Cargo, the binary alone in the runtime image.
    Rust,
}

impl Runtime {
    /// Every runtime, in documentation order.
    pub const ALL: [Self; 5] = [Self::Python, Self::Node, Self::Go, Self::Java, Self::Rust];

    /// The name as written in `cfgen.yaml`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Python => "python",
            Self::Node => "node",
            Self::Go => "go",
            Self::Java => "java",
            Self::Rust => "rust",
        }
    }
}

/// The Python server of a process with a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PythonServer {
    /// uvicorn, for ASGI applications (FastAPI, Starlette).
    Uvicorn,
    /// gunicorn, for WSGI applications (Django, Flask).
    Gunicorn,
}

/// A Node.js package manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PackageManager {
    /// npm (`package-lock.json`, `npm ci`).
    Npm,
    /// pnpm (`pnpm-lock.yaml`, through corepack).
    Pnpm,
    /// Yarn (`yarn.lock`, through corepack).
    Yarn,
}

/// A Java build tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BuildTool {
    /// Apache Maven (`pom.xml`).
    Maven,
    /// Gradle (`build.gradle` or `build.gradle.kts`).
    Gradle,
}

/// One deployment environment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Kubernetes namespace (default: `<name>-<environment>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Tracked<DnsLabel>>,
    /// Public host name the public process is served on, e.g. `api.ecommerce.com`. Needed when a process is public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<Tracked<HostName>>,
    /// Replicas of the public process here; overrides the process's and `kubernetes_config.cluster.replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Tracked<u32, AtLeast<1>>>,
    /// Per-process settings in this environment (replicas, resources).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub processes: BTreeMap<DnsLabel, ProcessOverride>,
    /// Environment variables in this environment, over the project's `env`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<EnvName, Tracked<EnvValue>>,
    /// Changes to this environment's generated Kubernetes objects (`k8s/<env>/`), applied after the project's `patches` (see `Patch`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Patch>,
}

/// An artifact family.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The Dockerfile and its ignore file (only when cfgen writes the Dockerfile).
    Image,
    /// `docker-compose.yml`, the nginx config it runs and the compose secrets helper.
    Compose,
    /// `k8s/<environment>/`: every Kubernetes object, with a kustomization.
    Kubernetes,
    /// Prometheus and Alertmanager config, alert rules and their tests.
    Monitoring,
    /// The GitHub Actions deploy workflow.
    Workflow,
    /// The deploy, backup and check scripts.
    Scripts,
    /// The pull-request deploy checklist.
    Checklist,
}

impl Target {
    /// Every family.
    pub const ALL: [Self; 7] = [
        Self::Image,
        Self::Compose,
        Self::Kubernetes,
        Self::Monitoring,
        Self::Workflow,
        Self::Scripts,
        Self::Checklist,
    ];

    /// The name as written in `cfgen.yaml` and on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Compose => "compose",
            Self::Kubernetes => "kubernetes",
            Self::Monitoring => "monitoring",
            Self::Workflow => "workflow",
            Self::Scripts => "scripts",
            Self::Checklist => "checklist",
        }
    }
}

impl Manifest {
    /// The runtime recipe cfgen writes the Dockerfile from, if any.
    #[must_use]
    pub fn runtime(&self) -> Option<Runtime> {
        self.build.as_ref()?.runtime.as_deref().copied()
    }

    /// The process served by nginx and the Ingress, if any.
    #[must_use]
    pub fn public_process(&self) -> Option<(&DnsLabel, &Process)> {
        self.processes.iter().find(|(_, p)| p.is_public())
    }

    /// Whether `target` is rendered: listed in `targets`, or, without that
    /// list, applicable (the image family needs a Dockerfile cfgen writes).
    #[must_use]
    pub fn wants(&self, target: Target) -> bool {
        let applies = target != Target::Image || self.runtime().is_some();
        match &self.targets {
            Some(list) => applies && list.contains(&target),
            None => applies,
        }
    }

    /// The API that routes public traffic: `routing.api`, or an Ingress without `routing`.
    #[must_use]
    pub fn routing_api(&self) -> RoutingApi {
        self.routing
            .as_ref()
            .map_or(RoutingApi::Ingress, |r| *r.api)
    }

    /// The release strategy (`release.strategy`, default rolling); reading it records the read.
    #[must_use]
    pub fn strategy(&self) -> Strategy {
        self.release
            .strategy
            .as_deref()
            .copied()
            .unwrap_or_default()
    }

    /// Whether the processes with a port are released blue-green (Argo Rollouts).
    #[must_use]
    pub fn blue_green(&self) -> bool {
        self.strategy() == Strategy::BlueGreen
    }

    /// Whether `release.strategy` is blue-green, without noting a read (validation).
    #[must_use]
    pub fn selects_blue_green(&self) -> bool {
        self.release
            .strategy
            .as_ref()
            .is_some_and(|s| *s.peek() == Strategy::BlueGreen)
    }

    /// The deploy jobs (no schedule), in name order: run before each rollout.
    pub fn deploy_jobs(&self) -> impl Iterator<Item = (&DnsLabel, &Job)> {
        self.jobs.iter().filter(|(_, j)| j.schedule.is_none())
    }

    /// The scheduled jobs, in name order.
    pub fn scheduled_jobs(&self) -> impl Iterator<Item = (&DnsLabel, &Job)> {
        self.jobs.iter().filter(|(_, j)| j.schedule.is_some())
    }
}
