//! The image family: the `Dockerfile` and `Dockerfile.dockerignore` of the
//! runtime recipe (BuildKit reads `<Dockerfile>.dockerignore` beside the
//! Dockerfile, so the ignore file travels with it whatever the build
//! context). Only for `build.runtime`: a prebuilt image or the user's own
//! Dockerfile gets none. The recipes live in [`super::runtimes`]; this module
//! holds what they and compose share (paths, log folders, exec form).

use std::path::{Component, Path, PathBuf};

use super::{Artifact, runtimes, workload};
use crate::model::Config;
use crate::model::manifest::{Process, Target};
use crate::model::values::DnsLabel;
use crate::validate::Project;

/// Where the Dockerfile is written, relative to the output folder.
pub const DOCKERFILE: &str = "Dockerfile";

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

/// Folders the image creates owned by the app: the log folders and every process's data
/// volume mount paths (cfgen.yaml `processes.<name>.volumes`). Docker gives a fresh named
/// volume the owner of the folder it is mounted on, so without this the app (a non-root
/// UID) could not write its own volume in compose. Sorted, deduplicated.
#[must_use]
pub fn writable_dirs(config: &Config) -> Vec<String> {
    let mut dirs = log_dirs(config);
    dirs.extend(
        config
            .manifest
            .processes
            .values()
            .flat_map(|p| p.volumes.values().map(|v| (*v.path).clone())),
    );
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
#[must_use]
pub fn normalize(path: &Path) -> PathBuf {
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
    let context = dir.join(build_context(&project.config));
    let output = dir.join(&*manifest.output);
    ContextPaths {
        context_from_output: relative_path(&output, &context),
        output_from_context: relative_path(&context, &output),
    }
}

/// The build context relative to cfgen.yaml (`.` without a build).
#[must_use]
pub fn build_context(config: &Config) -> &str {
    match config
        .manifest
        .build
        .as_ref()
        .map(|b| b.context.trim_end_matches('/'))
    {
        None | Some("") => ".",
        Some(c) => c,
    }
}

/// The Dockerfile relative to cfgen.yaml: the user's own, or the generated one.
#[must_use]
pub fn dockerfile_path(config: &Config) -> String {
    match config
        .manifest
        .build
        .as_ref()
        .and_then(|b| b.dockerfile.as_ref())
    {
        Some(own) => own.to_string(),
        None => format!(
            "{}/{DOCKERFILE}",
            config.manifest.output.trim_end_matches('/')
        ),
    }
}

/// The `docker build` command, run from the folder of `cfgen.yaml`.
fn build_command(config: &Config) -> String {
    format!(
        "docker build -f {} {}",
        dockerfile_path(config),
        build_context(config)
    )
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
pub fn trim_slash(s: &str) -> &str {
    let t = s.trim_end_matches('/');
    if t.is_empty() { s } else { t }
}

/// The process the image runs by default: the public one, else the first
/// with a port, else the first.
#[must_use]
pub fn default_process(config: &Config) -> Option<(&DnsLabel, &Process)> {
    let processes = &config.manifest.processes;
    config
        .manifest
        .public_process()
        .or_else(|| processes.iter().find(|(_, p)| p.port.is_some()))
        .or_else(|| processes.iter().next())
}

/// The Dockerfile and its ignore file, when cfgen writes them.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    if !config.manifest.wants(Target::Image) {
        return Vec::new();
    }
    let (Some(recipe), Some(build), Some(process)) = (
        runtimes::recipe(config),
        config.manifest.build.as_ref(),
        default_process(config),
    ) else {
        return Vec::new();
    };
    let image = runtimes::ImageContext {
        build,
        command: workload::process_command(config, process.1),
        healthcheck: workload::healthcheck(config, process.1),
        process,
        paths: context_paths(project),
        build_command: build_command(config),
        checkov_skips: checkov_skips(config),
        writable_dirs: writable_dirs(config),
    };
    recipe.artifacts(project, &image)
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
        assert_eq!(view["writable_dirs"], json!(["/var/log/app"]));
        assert_eq!(
            view["build_command"],
            json!("docker build -f deploy/Dockerfile .")
        );
        assert_eq!(view["checkov_skips"], json!([]));
        let cmd = view["cmd"].as_str().unwrap();
        assert!(cmd.starts_with(r#"["uvicorn", "app.main:app""#), "{cmd}");
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
    fn no_dockerfile_for_a_prebuilt_image_or_a_dockerfile_of_ones_own() {
        let mut project = example();
        let build = project.config.manifest.build.as_mut().unwrap();
        build.runtime = None;
        build.dockerfile = Some("docker/Dockerfile".into());
        assert!(plan(&project).is_empty());
        assert_eq!(
            dockerfile_path(&project.config),
            "docker/Dockerfile",
            "compose and the workflow build the user's own file"
        );
        project.config.manifest.build = None;
        assert!(plan(&project).is_empty());
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
    fn exec_form_is_a_json_array_with_spaces() {
        let args = vec![
            "python".to_owned(),
            "-c".to_owned(),
            "print('a \"b\"')".to_owned(),
        ];
        assert_eq!(exec_form(&args), r#"["python", "-c", "print('a \"b\"')"]"#);
    }
}
