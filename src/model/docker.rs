//! `config/deployment/docker.yaml`: images, build strategy, container runtime settings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::provenance::Tracked;

use super::values::{CpuQuantity, ImageRef, MemoryQuantity};

/// The file `docker.yaml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "cfgen docker.yaml")]
pub struct DockerFile {
    /// How the app image is built and how its containers run.
    pub docker_config: DockerConfig,
}

/// How the app image is built and how its containers run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DockerConfig {
    /// Base images by role; pin them (a tag at least, a digest for reproducible builds).
    pub base_images: BaseImages,
    /// Image build strategy.
    pub build: Build,
    /// Container runtime settings, shared by compose and Kubernetes.
    pub runtime: Runtime,
}

/// Base images by role.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BaseImages {
    /// Base of Python app images (builder and runtime stages), e.g. `python:3.11-slim`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<Tracked<ImageRef>>,
    /// Base of Rust build stages, e.g. `rust:1.95-slim-bookworm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust: Option<Tracked<ImageRef>>,
    /// Runtime base of Rust app images, e.g. `debian:bookworm-slim`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_runtime: Option<Tracked<ImageRef>>,
    /// Base of Node.js app images (`build.runtime: node`): the dependency stage, and the runtime stage unless `node_runtime` names another (default `node:24-bookworm-slim`). Node 18 and 20 are end of life: use 22 or newer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<Tracked<ImageRef>>,
    /// Runtime base of Node.js app images, when it differs from `node` (e.g. `node` a full image that compiles native addons, this its slim variant of the same Node and Debian release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_runtime: Option<Tracked<ImageRef>>,
    /// Base of Go build stages, e.g. `golang:1.27-bookworm` (the default). Go apps run on an empty image (`scratch`): a static binary needs no base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go: Option<Tracked<ImageRef>>,
    /// Base of Java build stages (a JDK; with Maven, one that has `mvn`), e.g. `maven:3.9-eclipse-temurin-21` (default for Maven) or `eclipse-temurin:21-jdk` (default for Gradle, which runs its wrapper).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub java: Option<Tracked<ImageRef>>,
    /// Runtime base of Java app images (a JRE of the build's Java release or newer), e.g. `eclipse-temurin:21-jre` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub java_runtime: Option<Tracked<ImageRef>>,
    /// Reverse-proxy image, used by the compose `nginx` service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nginx: Option<Tracked<ImageRef>>,
    /// Database image, used by the compose `postgres` service (default `postgres:<dependencies.database.version>`, 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<Tracked<ImageRef>>,
    /// Database image, used by the compose `mysql` service (default `mysql:8.4`, or `mariadb:11.4` for the mariadb flavour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mysql: Option<Tracked<ImageRef>>,
    /// Cache image, used by the compose `redis` service (default `redis:<dependencies.cache.version>`, 7.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<Tracked<ImageRef>>,
}

/// Image build strategy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Build {
    /// Build in a separate stage so compilers and build caches stay out of the runtime image.
    pub multi_stage: Tracked<bool>,
    /// Order the Dockerfile so dependency layers are cached apart from source changes, and use BuildKit cache mounts.
    pub layer_caching: Tracked<bool>,
    /// Scan each built image for vulnerabilities in CI (gate: `security_config.container.vulnerability_threshold`).
    pub security_scanning: Tracked<bool>,
    /// Keep the runtime image small: slim bases, no package caches, no build tools.
    pub size_optimization: Tracked<bool>,
}

/// Container runtime settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Runtime {
    /// Security hardening of the app container.
    pub security: RuntimeSecurity,
    /// CPU and memory of the app container.
    pub resources: Resources,
}

/// Security hardening of the app container.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeSecurity {
    /// Run as a numeric non-root UID (10001) in every target.
    pub non_root_user: Tracked<bool>,
    /// Mount the root filesystem read-only; cfgen adds writable tmpfs/emptyDir mounts where the app must write.
    pub read_only_filesystem: Tracked<bool>,
    /// Forbid privilege escalation (`no-new-privileges`, `allowPrivilegeEscalation: false`).
    pub no_new_privileges: Tracked<bool>,
}

/// CPU and memory of the app container; must agree with `kubernetes_config.resources`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Resources {
    /// Memory limit; the container is killed above it.
    pub memory_limit: Tracked<MemoryQuantity>,
    /// CPU limit; the container is throttled above it.
    pub cpu_limit: Tracked<CpuQuantity>,
    /// Memory reserved for the container; at most the limit.
    pub memory_request: Tracked<MemoryQuantity>,
    /// CPU reserved for the container; at most the limit.
    pub cpu_request: Tracked<CpuQuantity>,
}

fn on() -> Tracked<bool> {
    Tracked::default_value(true)
}

impl Default for Build {
    /// Every build practice on.
    fn default() -> Self {
        Self {
            multi_stage: on(),
            layer_caching: on(),
            security_scanning: on(),
            size_optimization: on(),
        }
    }
}

impl Default for RuntimeSecurity {
    /// Every hardening on.
    fn default() -> Self {
        Self {
            non_root_user: on(),
            read_only_filesystem: on(),
            no_new_privileges: on(),
        }
    }
}

impl Default for Resources {
    /// A quarter core and 256 MiB reserved, half a core and 512 MiB at most (as kubernetes.yaml's defaults).
    fn default() -> Self {
        Self {
            memory_limit: "512Mi".parse().expect("valid quantity"),
            cpu_limit: "500m".parse().expect("valid quantity"),
            memory_request: "256Mi".parse().expect("valid quantity"),
            cpu_request: "250m".parse().expect("valid quantity"),
        }
    }
}
