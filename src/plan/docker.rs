//! The app image: `Dockerfile` and `Dockerfile.dockerignore` (BuildKit reads
//! `<Dockerfile>.dockerignore` beside the Dockerfile, so the ignore file
//! travels with it whatever the build context). One recipe per runtime:
//! python (uvicorn, virtualenv built in a builder stage) and rust (cargo with
//! cache mounts, the binary alone in the runtime stage).
//!
//! The HEALTHCHECK, the image's binary path and the log folders are also what
//! compose uses, so they are computed here once.

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::common::APP_UID;
use super::{Artifact, Check, Syntax};
use crate::model::manifest::Runtime;
use crate::model::values::ImageRef;
use crate::model::{Config, FileKind};
use crate::validate::Project;

/// Where the Dockerfile is written, relative to the output folder.
pub const DOCKERFILE: &str = "Dockerfile";

/// Where the rust binary is installed in the image.
const BIN_DIR: &str = "/usr/local/bin";

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

/// A Python string literal (single-quoted) holding `s`.
fn python_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

/// The app's healthcheck: a probe of the liveness path with a tool the image
/// itself contains (the interpreter for python, the binary's own
/// `healthcheck` subcommand for rust); never curl, which slim images lack.
#[must_use]
pub fn healthcheck(config: &Config) -> Healthcheck {
    let app = &config.manifest.app;
    let test = match *app.runtime {
        Runtime::Python => {
            let url = format!(
                "http://127.0.0.1:{}{}",
                app.port,
                app.probes.liveness.as_str()
            );
            vec![
                "python".to_owned(),
                "-c".to_owned(),
                format!(
                    "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen({}, timeout=4).status == 200 else 1)",
                    python_literal(&url)
                ),
            ]
        }
        Runtime::Rust => vec![binary_path(config), "healthcheck".to_owned()],
    };
    Healthcheck {
        test,
        interval: "30s",
        timeout: "5s",
        start_period: "10s",
        retries: 3,
    }
}

/// The rust binary's path in the image.
#[must_use]
pub fn binary_path(config: &Config) -> String {
    format!("{BIN_DIR}/{}", config.manifest.app.entrypoint)
}

/// The command the image runs (exec form).
#[must_use]
pub fn command(config: &Config) -> Vec<String> {
    let app = &config.manifest.app;
    match *app.runtime {
        Runtime::Python => [
            "uvicorn",
            app.entrypoint.as_str(),
            "--host",
            "0.0.0.0",
            "--port",
            &app.port.to_string(),
            "--workers",
            &config.performance.application.workers.to_string(),
            "--timeout-keep-alive",
            &config.performance.application.keepalive_timeout.to_string(),
            "--proxy-headers",
            "--forwarded-allow-ips",
            "*",
        ]
        .map(str::to_owned)
        .to_vec(),
        Runtime::Rust => vec![binary_path(config), "serve".to_owned()],
    }
}

/// Folders the app writes log files to (logging.yaml file handlers), sorted, deduplicated.
#[must_use]
pub fn log_dirs(config: &Config) -> Vec<String> {
    let mut dirs: Vec<String> = config
        .logging
        .handlers
        .values()
        // The file name first: a handler without one writes no file whatever its class.
        .filter_map(|h| Some((h.filename.as_deref()?, h)))
        .filter(|(_, h)| h.class.writes_file())
        .map(|(f, _)| f)
        .filter_map(|f| f.rsplit_once('/').map(|(dir, _)| dir.to_owned()))
        .filter(|d| !d.is_empty())
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// A Dockerfile/compose exec-form array: `["a", "b"]` (JSON strings).
#[must_use]
pub fn exec_form(args: &[String]) -> String {
    let items: Vec<String> = args
        .iter()
        .map(|a| serde_json::to_string(a).unwrap_or_default())
        .collect();
    format!("[{}]", items.join(", "))
}

/// `path` with `.` and `..` resolved lexically (no file system access).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The relative path from folder `from` to `to`, `/`-separated, `.` when equal.
/// Both are absolute or both relative to the same folder.
#[must_use]
pub fn relative_path(from: &Path, to: &Path) -> String {
    let from = normalize(from);
    let to = normalize(to);
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// The project folder as an absolute path (lexically), so that relative paths
/// that climb above it keep the folder's own name.
fn absolute_dir(project: &Project) -> PathBuf {
    normalize(&std::path::absolute(&project.dir).unwrap_or_else(|_| project.dir.clone()))
}

/// Paths between the output folder (where the Dockerfile and compose file live)
/// and the Docker build context, both as configured in `cfgen.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextPaths {
    /// The build context, relative to the output folder (compose `build.context`).
    pub context_from_output: String,
    /// The output folder, relative to the build context (compose `build.dockerfile` is
    /// `<this>/Dockerfile`; `.` when they are the same folder).
    pub output_from_context: String,
}

/// The build context and output folder, relative to each other.
#[must_use]
pub fn context_paths(project: &Project) -> ContextPaths {
    let dir = absolute_dir(project);
    let manifest = &project.config.manifest;
    let context = dir.join(&*manifest.app.build_context);
    let output = dir.join(&*manifest.output);
    ContextPaths {
        context_from_output: relative_path(&output, &context),
        output_from_context: relative_path(&context, &output),
    }
}

/// The `docker build` command, run from the folder of `cfgen.yaml`.
fn build_command(config: &Config) -> String {
    let manifest = &config.manifest;
    let output = manifest.output.trim_end_matches('/');
    let context = match manifest.app.build_context.trim_end_matches('/') {
        "" => ".",
        c => c,
    };
    format!("docker build -f {output}/{DOCKERFILE} {context}")
}

/// Whether every base image is pinned by digest.
fn pinned(images: &[&ImageRef]) -> bool {
    images.iter().all(|i| i.digest.is_some())
}

/// One `COPY` of the python recipe.
#[derive(Serialize)]
struct Copy {
    src: String,
    dest: String,
}

#[derive(Serialize)]
struct PythonView {
    build_command: String,
    base_image: String,
    multi_stage: bool,
    layer_caching: bool,
    pinned_by_digest: bool,
    non_root: bool,
    uid: u32,
    log_dirs: Vec<String>,
    sources: Vec<Copy>,
    port: u16,
    healthcheck: Healthcheck,
    healthcheck_cmd: String,
    cmd: String,
    checkov_skips: Vec<&'static str>,
}

#[derive(Serialize)]
struct RustView {
    build_command: String,
    builder_image: String,
    runtime_image: String,
    layer_caching: bool,
    pinned_by_digest: bool,
    non_root: bool,
    uid: u32,
    package: String,
    bin: String,
    bin_path: String,
    log_dirs: Vec<String>,
    port: u16,
    healthcheck: Healthcheck,
    healthcheck_cmd: String,
    cmd: String,
    checkov_skips: Vec<&'static str>,
}

#[derive(Serialize)]
struct IgnoreView {
    sources: Vec<String>,
    output_from_context: String,
}

/// The checkov checks the config explicitly opts out of, with the reason.
fn checkov_skips(config: &Config) -> Vec<&'static str> {
    let mut skips = Vec::new();
    if !config.docker.runtime.security.non_root_user {
        skips.push("CKV_DOCKER_3: docker.yaml runtime.security.non_root_user is false");
    }
    skips
}

/// The `/`-free-at-the-end form of a source path, as `.dockerignore` and COPY take it.
fn trim_slash(s: &str) -> &str {
    let t = s.trim_end_matches('/');
    if t.is_empty() { s } else { t }
}

/// The Dockerfile and its ignore file.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    let app = &config.manifest.app;
    let docker = &config.docker;
    let hc = healthcheck(config);
    let non_root = docker.runtime.security.non_root_user;
    let paths = context_paths(project);
    let sources = [FileKind::Manifest, FileKind::Docker, FileKind::Logging];
    let (dockerfile, ignore) = match *app.runtime {
        Runtime::Python => {
            // The validation rules guarantee the image; the fallback only keeps this total.
            let base = docker
                .base_images
                .python
                .clone()
                .unwrap_or_else(|| "python:3.11-slim".parse().expect("valid image"));
            let view = PythonView {
                build_command: build_command(config),
                base_image: base.to_string(),
                multi_stage: *docker.build.multi_stage,
                layer_caching: *docker.build.layer_caching,
                pinned_by_digest: pinned(&[&base]),
                non_root: *non_root,
                uid: APP_UID,
                log_dirs: log_dirs(config),
                sources: app
                    .sources
                    .iter()
                    .map(|s| Copy {
                        src: s.clone(),
                        dest: format!("./{s}"),
                    })
                    .collect(),
                port: *app.port,
                healthcheck_cmd: exec_form(&hc.test),
                healthcheck: hc,
                cmd: exec_form(&command(config)),
                checkov_skips: checkov_skips(config),
            };
            let ignore = IgnoreView {
                sources: app
                    .sources
                    .iter()
                    .map(|s| trim_slash(s).to_owned())
                    .collect(),
                output_from_context: paths.output_from_context.clone(),
            };
            (
                Artifact::new(
                    DOCKERFILE,
                    "docker/Dockerfile.python.j2",
                    view,
                    &[
                        FileKind::Manifest,
                        FileKind::Docker,
                        FileKind::Performance,
                        FileKind::Logging,
                    ],
                    Syntax::Dockerfile,
                    Check::None,
                ),
                Artifact::new(
                    format!("{DOCKERFILE}.dockerignore"),
                    "docker/dockerignore.python.j2",
                    ignore,
                    &[FileKind::Manifest],
                    Syntax::Ignore,
                    Check::None,
                ),
            )
        }
        Runtime::Rust => {
            let builder = docker
                .base_images
                .rust
                .clone()
                .unwrap_or_else(|| "rust:1-slim-bookworm".parse().expect("valid image"));
            let runtime = docker
                .base_images
                .rust_runtime
                .clone()
                .unwrap_or_else(|| "debian:bookworm-slim".parse().expect("valid image"));
            let view = RustView {
                build_command: build_command(config),
                pinned_by_digest: pinned(&[&builder, &runtime]),
                builder_image: builder.to_string(),
                runtime_image: runtime.to_string(),
                layer_caching: *docker.build.layer_caching,
                non_root: *non_root,
                uid: APP_UID,
                package: app
                    .package
                    .as_ref()
                    .map_or_else(|| app.entrypoint.to_string(), ToString::to_string),
                bin: app.entrypoint.to_string(),
                bin_path: binary_path(config),
                log_dirs: log_dirs(config),
                port: *app.port,
                healthcheck_cmd: exec_form(&hc.test),
                healthcheck: hc,
                cmd: exec_form(&command(config)),
                checkov_skips: checkov_skips(config),
            };
            let ignore = IgnoreView {
                sources: Vec::new(),
                output_from_context: paths.output_from_context.clone(),
            };
            (
                Artifact::new(
                    DOCKERFILE,
                    "docker/Dockerfile.rust.j2",
                    view,
                    &sources,
                    Syntax::Dockerfile,
                    Check::None,
                ),
                Artifact::new(
                    format!("{DOCKERFILE}.dockerignore"),
                    "docker/dockerignore.rust.j2",
                    ignore,
                    &[FileKind::Manifest],
                    Syntax::Ignore,
                    Check::None,
                ),
            )
        }
    };
    vec![dockerfile, ignore]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    use crate::plan::example_project as example;

    #[test]
    fn python_recipe_from_the_example() {
        let mut project = example();
        let artifacts = plan(&project);
        assert_eq!(artifacts[0].path, "Dockerfile");
        assert_eq!(artifacts[1].path, "Dockerfile.dockerignore");
        let view = &artifacts[0].context_json();
        assert_eq!(view["log_dirs"], json!(["/var/log/app"]));
        assert_eq!(
            view["build_command"],
            json!("docker build -f deploy/Dockerfile .")
        );
        assert_eq!(view["checkov_skips"], json!([]));
        let cmd = view["cmd"].as_str().unwrap();
        assert!(cmd.contains(r#""--workers", "4""#), "{cmd}");
        assert!(!view["healthcheck_cmd"].as_str().unwrap().contains("curl"));
        assert_eq!(
            artifacts[1].context_json()["sources"],
            json!(["app", "alembic", "alembic.ini"])
        );
        *project.config.docker.runtime.security.non_root_user = false;
        let view = plan(&project)[0].context_json().clone();
        assert_eq!(view["non_root"], json!(false));
        assert_eq!(view["checkov_skips"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn rust_recipe_builds_the_package_and_probes_with_the_binary() {
        let mut project = example();
        let config = &mut project.config;
        *config.manifest.app.runtime = Runtime::Rust;
        config.manifest.app.entrypoint = "shop".into();
        config.manifest.app.package = Some("app".into());
        config.docker.base_images.rust = Some("rust:1.95-slim-bookworm".parse().unwrap());
        config.docker.base_images.rust_runtime = Some("debian:bookworm-slim".parse().unwrap());
        let artifacts = plan(&project);
        assert_eq!(artifacts[0].template, "docker/Dockerfile.rust.j2");
        let view = &artifacts[0].context_json();
        assert_eq!(view["package"], json!("app"));
        assert_eq!(
            view["healthcheck_cmd"],
            json!(r#"["/usr/local/bin/shop", "healthcheck"]"#)
        );
        assert_eq!(view["cmd"], json!(r#"["/usr/local/bin/shop", "serve"]"#));
        assert_eq!(
            artifacts[1].context_json()["output_from_context"],
            json!("deploy")
        );
    }

    #[test]
    fn relative_paths_between_output_and_context() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(relative_path(&p("/r/ex/deploy"), &p("/r/ex/.")), "..");
        assert_eq!(relative_path(&p("/r/ex"), &p("/r/ex/deploy")), "deploy");
        assert_eq!(relative_path(&p("/r/app/deploy"), &p("/r/app/..")), "../..");
        assert_eq!(
            relative_path(&p("/r/app/.."), &p("/r/app/deploy")),
            "app/deploy"
        );
        assert_eq!(relative_path(&p("/r/x"), &p("/r/x/")), ".");
    }

    #[test]
    fn python_literals_escape_quotes() {
        assert_eq!(python_literal("http://h/health"), "'http://h/health'");
        assert_eq!(python_literal("/it's"), r"'/it\'s'");
    }

    #[test]
    fn exec_form_is_a_json_array_with_spaces() {
        let args = vec![
            "python".to_owned(),
            "-c".to_owned(),
            "print('a \"b\"')".to_owned(),
        ];
        assert_eq!(exec_form(&args), r#"["python", "-c", "print('a \"b\"')"]"#);
    }
}
