//! Dockerfile recipes, one module and one template per runtime.
//!
//! A recipe knows its runtime's build (the Dockerfile and its ignore file),
//! the command that serves HTTP on a port, and how the final image can probe
//! a URL with what it contains. Adding a runtime is a new variant of
//! [`Runtime`], a module here with its [`Recipe`], its line in [`of`],
//! and its templates under `templates/docker/`.

mod go;
mod java;
mod node;
mod python;
mod rust;

use serde::Serialize;

use super::Artifact;
use super::docker::{self, ContextPaths};
use super::workload::Healthcheck;
use crate::model::Config;
use crate::model::manifest::{Build, Process, Runtime};
use crate::model::values::{DnsLabel, ImageRef};
use crate::validate::Project;

/// A runtime's Dockerfile recipe.
pub trait Recipe: Sync {
    /// The `build` keys beyond `runtime` and `context` that this runtime takes
    /// (of `entrypoint`, `sources`, `server`, `package_manager`, `build_tool`, `package`).
    fn options(&self) -> &'static [&'static str];

    /// Why `entrypoint` (as written, or `None`) cannot be started by this
    /// runtime: the label and the fix; `None` when it can.
    fn entrypoint_problem(&self, entrypoint: Option<&str>) -> Option<(String, String)>;

    /// The command of a process that serves HTTP on `port` (exec form).
    fn server_command(&self, config: &Config, port: u16) -> Vec<String>;

    /// A command the final image can run that exits 0 when `url` answers 200
    /// (exec form), using only what the image contains.
    fn http_healthcheck(&self, config: &Config, url: &str) -> Vec<String>;

    /// The Dockerfile and its ignore file.
    fn artifacts(&self, project: &Project, image: &ImageContext<'_>) -> Vec<Artifact>;
}

/// The recipe of the project's runtime, if cfgen writes its Dockerfile.
#[must_use]
pub fn recipe(config: &Config) -> Option<&'static dyn Recipe> {
    Some(of(config.manifest.runtime()?))
}

/// The recipe of a runtime.
#[must_use]
pub fn of(runtime: Runtime) -> &'static dyn Recipe {
    match runtime {
        Runtime::Python => &python::Python,
        Runtime::Node => &node::Node,
        Runtime::Go => &go::Go,
        Runtime::Java => &java::Java,
        Runtime::Rust => &rust::Rust,
    }
}

/// Every `build` key a recipe may take, for the rule that refuses the others.
pub const OPTIONS: [&str; 6] = [
    "entrypoint",
    "sources",
    "server",
    "package_manager",
    "build_tool",
    "package",
];

/// What every recipe gets: the build settings, the process the image runs
/// by default (its `CMD`, `EXPOSE` and `HEALTHCHECK`), and shared paths.
pub struct ImageContext<'a> {
    /// `cfgen.yaml` `build`.
    pub build: &'a Build,
    /// The default process: the public one, else the first with a port, else the first.
    pub process: (&'a DnsLabel, &'a Process),
    /// Its command.
    pub command: Option<Vec<String>>,
    /// Its healthcheck.
    pub healthcheck: Option<Healthcheck>,
    /// The build context and the output folder, relative to each other.
    pub paths: ContextPaths,
    /// `docker build -f … …`, run from the folder of cfgen.yaml.
    pub build_command: String,
    /// The checkov checks the config opts out of.
    pub checkov_skips: Vec<&'static str>,
    /// Folders the app writes to: log files and data volumes.
    pub writable_dirs: Vec<String>,
}

/// The common part of every recipe's view.
#[derive(Serialize)]
pub struct CommonView {
    /// `docker build …`.
    pub build_command: String,
    /// checkov skips, with their reasons.
    pub checkov_skips: Vec<&'static str>,
    /// Every base image is pinned by digest.
    pub pinned_by_digest: bool,
    /// Run as a numeric non-root UID.
    pub non_root: bool,
    /// The UID and GID.
    pub uid: u32,
    /// Folders to create, owned by the app: its log folders (logging.yaml file handlers) and
    /// the mount paths of its data volumes (cfgen.yaml `processes.<name>.volumes`: a fresh
    /// named volume takes the ownership of the folder it is mounted on).
    pub writable_dirs: Vec<String>,
    /// Layer caching (BuildKit cache mounts).
    pub layer_caching: bool,
    /// The default process's port, for `EXPOSE`.
    pub port: Option<u16>,
    /// The default process's healthcheck.
    pub healthcheck: Option<Healthcheck>,
    /// Its command, exec form.
    pub healthcheck_cmd: Option<String>,
    /// The default command, exec form.
    pub cmd: Option<String>,
    /// The default process's name, for comments.
    pub process: String,
}

impl CommonView {
    /// The common view for base images `images`.
    #[must_use]
    pub fn new(config: &Config, image: &ImageContext<'_>, images: &[&ImageRef]) -> Self {
        Self {
            build_command: image.build_command.clone(),
            checkov_skips: image.checkov_skips.clone(),
            pinned_by_digest: images.iter().all(|i| i.digest.is_some()),
            non_root: *config.docker.runtime.security.non_root_user,
            uid: super::common::APP_UID,
            writable_dirs: image.writable_dirs.clone(),
            layer_caching: *config.docker.build.layer_caching,
            port: image.process.1.port.as_deref().copied(),
            healthcheck_cmd: image
                .healthcheck
                .as_ref()
                .map(|h| docker::exec_form(&h.test)),
            healthcheck: image.healthcheck.clone(),
            cmd: image.command.as_deref().map(docker::exec_form),
            process: image.process.0.to_string(),
        }
    }
}

/// A base image from docker.yaml, or the recipe's default.
#[must_use]
pub fn base_image(
    configured: Option<&crate::provenance::Tracked<ImageRef>>,
    default: &str,
) -> ImageRef {
    configured.map_or_else(
        || default.parse().expect("a valid default image"),
        |i| (**i).clone(),
    )
}

/// A probe's source as `printf '%s\n'` arguments: one single-quoted shell
/// word per line. The source holds no single quote (each recipe's test says so).
#[must_use]
pub fn probe_lines(source: &str) -> Vec<String> {
    debug_assert!(!source.contains('\''));
    source.lines().map(|l| format!("'{l}'")).collect()
}

/// Whether the HEALTHCHECK runs `probe` (the recipe's own probe binary or
/// class), so the builder must make it.
#[must_use]
pub fn runs_probe(image: &ImageContext<'_>, probe: &str) -> bool {
    image
        .healthcheck
        .as_ref()
        .is_some_and(|h| h.test.iter().any(|w| w == probe))
}

/// `path` is relative, inside the build context (no `..`, no leading `/`),
/// and made of ordinary file-name characters.
#[must_use]
pub fn is_plain_relative_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/@+".contains(c))
        && path.split('/').all(|part| part != "..")
}
