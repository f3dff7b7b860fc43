//! Stage 4: plan. Turns a validated project into the list of artifacts to
//! render, each with a view model computed in Rust, so templates hold no logic.
//! One module per target family; [`common`] holds what several share.

pub mod checklist;
pub mod common;
pub mod compose;
pub mod docker;
pub mod drill;
pub mod file_backup;
pub mod kubernetes;
pub mod logship;
pub mod monitoring;
pub mod nginx;
pub mod release;
pub mod repository;
pub mod runtimes;
pub mod scripts;
pub mod workflow;
pub mod workload;

use std::path::PathBuf;

use serde::Serialize;

use crate::model::manifest::Target;
use crate::provenance::{self, Reads};
use crate::validate::Project;

/// Comment syntax and conventions of an output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// YAML (`#` comments).
    Yaml,
    /// A bash script (`#` comments after the shebang).
    Shell,
    /// A Dockerfile (`#` comments; a `# syntax=` line stays first).
    Dockerfile,
    /// nginx configuration (`#` comments).
    Nginx,
    /// A `.dockerignore` (`#` comments).
    Ignore,
    /// Markdown (`<!-- -->` comments).
    Markdown,
    /// A collector's configuration (fluentd, fluent-bit: `#` comments).
    Conf,
}

/// How an artifact is verified in-process before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Nothing beyond rendering.
    None,
    /// Parses as YAML.
    Yaml,
    /// Parses as YAML, and each document round-trips through its `k8s-openapi` type.
    Kubernetes,
    /// Parses as YAML and validates against the compose-spec schema.
    Compose,
    /// Parses as YAML and validates against the GitHub workflow schema.
    Workflow,
}

/// One file to generate.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// Path relative to the output folder, with `/` separators.
    pub path: String,
    /// Template name relative to `templates/`.
    pub template: &'static str,
    /// The view model the template renders (cheap to clone: artifacts that
    /// share a view share one value).
    pub context: minijinja::Value,
    /// Comment syntax.
    pub syntax: Syntax,
    /// In-process verification.
    pub check: Check,
    /// Written with the executable bit.
    pub executable: bool,
    /// The environment it belongs to, for per-environment artifacts.
    pub environment: Option<String>,
    /// The input values its view read (see [`crate::provenance`]).
    pub reads: Reads,
    /// Its artifact family (set by [`plan`]).
    pub family: Target,
    /// The files its reads came from, relative to the project: base files in
    /// their order, then environment overlays (set by [`plan`]).
    pub sources: Vec<String>,
}

impl Artifact {
    /// An artifact with the given path, template and view model.
    pub fn new(
        path: impl Into<String>,
        template: &'static str,
        context: impl Serialize,
        syntax: Syntax,
        check: Check,
    ) -> Self {
        Self {
            path: path.into(),
            template,
            context: minijinja::Value::from(minijinja::value::Serde(context)),
            syntax,
            check,
            executable: false,
            environment: None,
            reads: Reads::default(),
            family: Target::Kubernetes,
            sources: Vec::new(),
        }
    }

    /// The view model as JSON, for tests and debugging.
    #[must_use]
    pub fn context_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.context).unwrap_or(serde_json::Value::Null)
    }

    /// Marks the artifact executable.
    #[must_use]
    pub fn executable(mut self) -> Self {
        self.executable = true;
        self
    }

    /// Ties the artifact to an environment.
    #[must_use]
    pub fn for_environment(mut self, env: &str) -> Self {
        self.environment = Some(env.to_owned());
        self
    }
}

/// Everything to generate for one project.
#[derive(Debug)]
pub struct Plan {
    /// The project's output folder.
    pub out_dir: PathBuf,
    /// The artifacts, in a stable order.
    pub artifacts: Vec<Artifact>,
    /// Every input value some artifact read.
    pub reads: Reads,
}

/// The family an output file belongs to, by its path (the same layout for
/// every project): what a run narrowed with `--target` may prune.
#[must_use]
pub fn family_of_path(rel: &str) -> Option<Target> {
    Some(if rel.starts_with("Dockerfile") {
        Target::Image
    } else if rel == "docker-compose.yml"
        || rel == "compose-secrets.sh"
        || rel.starts_with("nginx/")
        || rel.starts_with("logging/")
    {
        Target::Compose
    } else if rel.starts_with("k8s/") {
        Target::Kubernetes
    } else if rel.starts_with("monitoring/") {
        Target::Monitoring
    } else if rel.starts_with(".github/workflows/") || repository::split_root_path(rel).is_some() {
        Target::Workflow
    } else if rel.starts_with("scripts/") {
        Target::Scripts
    } else if rel == ".github/pull_request_template.md" {
        Target::Checklist
    } else {
        return None;
    })
}

/// A target family's planner.
type Family = fn(&Project) -> Vec<Artifact>;

/// The bundled example project, loaded and validated (for the targets' tests).
#[cfg(test)]
pub(crate) fn example_project() -> Project {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ecommerce");
    crate::validate::check_project(&dir)
        .project
        .expect("the example is valid")
}

/// The example's policy files under a manifest of the test's own, loaded and
/// validated; panics with the diagnostics when it is invalid.
#[cfg(test)]
pub(crate) fn project_with_manifest(manifest: &str) -> Project {
    project_with_policy(manifest, None)
}

/// A manifest of the test's own over some of the example's policy files
/// (`None`: all nine; the others are absent, so their defaults apply).
#[cfg(test)]
pub(crate) fn project_with_policy(manifest: &str, files: Option<&[&str]>) -> Project {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ecommerce");
    let tmp = tempfile::tempdir().expect("a temp dir");
    let config = tmp.path().join(crate::model::CONFIG_DIR);
    std::fs::create_dir_all(&config).expect("config dir");
    for entry in std::fs::read_dir(example.join(crate::model::CONFIG_DIR)).expect("example config")
    {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        // The example's scripts.yaml names the example's Deployment (`ecommerce-app`), which
        // another manifest does not render: only when the test asks for it.
        let wanted = match files {
            None => name != "scripts.yaml" || manifest.contains("name: ecommerce"),
            Some(keep) => keep.contains(&name.as_str()),
        };
        if wanted {
            std::fs::copy(entry.path(), config.join(&name)).expect("copy");
        }
    }
    std::fs::write(tmp.path().join(crate::model::MANIFEST_FILE), manifest).expect("manifest");
    let outcome = crate::validate::check_project(tmp.path());
    outcome.project.unwrap_or_else(|| {
        let shown: Vec<String> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{}: {} ({:?})", d.message, d.label, d.help))
            .collect();
        panic!("the test manifest is invalid: {shown:#?}")
    })
}

/// The view of the artifact at `path` of a plan, as JSON.
#[cfg(test)]
pub(crate) fn view_of(project: &Project, path: &str) -> serde_json::Value {
    plan(project)
        .artifacts
        .into_iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("no artifact {path}"))
        .context_json()
}

/// The files `reads` came from ([`Project::file_of`]): each base file once, in
/// file order, then each overlay file once, in layer order.
pub(crate) fn sources(project: &Project, reads: &Reads) -> Vec<String> {
    let mut files: Vec<(
        u16,
        provenance::FileId,
        crate::model::FileKind,
        crate::load::Span,
    )> = reads
        .iter()
        .filter_map(|(file, span)| {
            let kind = crate::model::FileKind::from_id(file)?;
            let (layer, _) = crate::load::layer::split(span);
            let layer = if project.layers.get(layer).is_some() {
                layer
            } else {
                0
            };
            Some((layer, file, kind, span))
        })
        .collect();
    files.sort_by_key(|(layer, file, _, _)| (*layer, *file));
    files.dedup_by_key(|(layer, file, _, _)| (*layer, *file));
    files
        .into_iter()
        .map(|(_, _, kind, span)| project.file_of(kind, span))
        .collect()
}

/// Plans every target of a project.
#[must_use]
pub fn plan(project: &Project) -> Plan {
    const FAMILIES: [(Target, Family); 12] = [
        (Target::Checklist, checklist::plan),
        (Target::Image, docker::plan),
        (Target::Kubernetes, kubernetes::plan),
        (Target::Scripts, scripts::plan),
        (Target::Workflow, workflow::plan),
        (Target::Monitoring, monitoring::plan),
        (Target::Compose, compose::plan),
        (Target::Compose, nginx::plan),
        (Target::Kubernetes, logship::kubernetes),
        (Target::Scripts, logship::scripts),
        (Target::Scripts, file_backup::scripts),
        (Target::Compose, logship::compose),
    ];
    let mut artifacts = Vec::new();
    let mut all = Reads::default();
    for (target, family) in FAMILIES {
        let (planned, reads) = provenance::record(|| family(project));
        all.extend(&reads);
        // An artifact whose planner recorded its own reads keeps them;
        // the others read what their family read.
        artifacts.extend(planned.into_iter().map(|mut a| {
            if a.reads.is_empty() {
                a.reads = reads.clone();
            }
            a.family = target;
            a.sources = sources(project, &a.reads);
            a
        }));
    }
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    Plan {
        out_dir: project.dir.join(project.config.manifest.output.peek()),
        artifacts,
        reads: all,
    }
}
