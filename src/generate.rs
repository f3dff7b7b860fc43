//! Stages 4–6 for one project: plan, render and verify every artifact in
//! memory. Nothing here touches the output folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::messages;
use crate::plan;
use crate::render::Renderer;
use crate::validate::Project;

/// The part of a project a run builds: every artifact, or those of one
/// environment (`--env`) and/or of some families (`--target`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only this environment's per-environment artifacts (and every shared one).
    pub environment: Option<String>,
    /// Only these families (empty: all).
    pub targets: Vec<crate::model::manifest::Target>,
}

impl Selection {
    /// Whether the run builds `artifact`.
    #[must_use]
    pub fn includes(&self, artifact: &plan::Artifact) -> bool {
        let env_ok = match (&self.environment, &artifact.environment) {
            (Some(only), Some(env)) => only == env,
            _ => true,
        };
        env_ok && (self.targets.is_empty() || self.targets.contains(&artifact.family))
    }

    /// Whether the run may prune the output file `rel` (one it no longer
    /// generates): never when narrowed to an environment; within its families
    /// when narrowed by target; always otherwise.
    #[must_use]
    pub fn owns(&self, rel: &str) -> bool {
        if self.environment.is_some() {
            return false;
        }
        self.targets.is_empty()
            || plan::family_of_path(rel).is_some_and(|f| self.targets.contains(&f))
    }

    /// Whether the run is narrowed at all.
    #[must_use]
    pub fn is_narrowed(&self) -> bool {
        self.environment.is_some() || !self.targets.is_empty()
    }
}

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Its text.
    pub text: String,
    /// Written with the executable bit.
    pub executable: bool,
}

/// A project's rendered and verified output, not yet written.
#[derive(Debug)]
pub struct Output {
    /// The output folder.
    pub out_dir: PathBuf,
    /// Files by path relative to `out_dir`.
    pub files: BTreeMap<String, GeneratedFile>,
    /// What this run was narrowed to (`--env`, `--target`): it writes and compares
    /// only that, and prunes only what it owns.
    pub selection: Selection,
    /// Every input value the project's artifacts read (all of them, whatever
    /// `selection` narrows to): what the unused-value report compares with.
    pub reads: crate::provenance::Reads,
}

/// An artifact rendered with the patches of cfgen.yaml applied.
#[derive(Debug)]
pub struct Rendered {
    /// The artifact; a patched one's reads (and so its `# Source:` header)
    /// include the patches' values.
    pub artifact: plan::Artifact,
    /// Its text.
    pub text: String,
    /// The patches it took ([`crate::patch::Spec::index`]).
    pub patched: Vec<usize>,
}

/// Renders one artifact and applies the patches that target it.
///
/// # Errors
/// A template fault, or a patch that cannot apply (located in cfgen.yaml).
pub fn render_patched(
    project: &Project,
    specs: &[crate::patch::Spec<'_>],
    artifact: &plan::Artifact,
    renderer: &Renderer,
) -> Result<Rendered, Box<Diagnostic>> {
    let render = |artifact: &plan::Artifact| {
        renderer.render(artifact).map_err(|e| {
            Box::new(
                Diagnostic::unlocated("render", e.message(&artifact.path))
                    .with_help(messages::template_fault_help(e.overridden)),
            )
        })
    };
    let text = render(artifact)?;
    let Some(applied) = crate::patch::apply(project, specs, artifact, &text)? else {
        return Ok(Rendered {
            artifact: artifact.clone(),
            text,
            patched: Vec::new(),
        });
    };
    // The header names the patches' file too: render it again with their reads.
    let mut artifact = artifact.clone();
    artifact.reads.extend(&applied.reads);
    artifact.sources = plan::sources(project, &artifact.reads);
    let text = render(&artifact)?;
    let applied = crate::patch::apply(project, specs, &artifact, &text)?.unwrap_or(applied);
    Ok(Rendered {
        artifact,
        text: applied.text,
        patched: applied.applied,
    })
}

/// Renders one artifact, patches it and verifies the result (with
/// `verify_all` false, only when a patch changed it).
fn render_and_verify(
    project: &Project,
    specs: &[crate::patch::Spec<'_>],
    artifact: &plan::Artifact,
    renderer: &Renderer,
    verify_all: bool,
) -> Result<Rendered, Box<Diagnostic>> {
    let rendered = render_patched(project, specs, artifact, renderer)?;
    if !verify_all && rendered.patched.is_empty() {
        return Ok(rendered);
    }
    // A template override's or a patch's output is checked against the
    // vendored schemas too (see `crate::verify`).
    let overridden = renderer.is_overridden(artifact.template);
    let vendored = overridden || !rendered.patched.is_empty();
    crate::verify::verify_output(artifact, &rendered.text, vendored).map_err(|detail| {
        Box::new(
            Diagnostic::unlocated("verify", messages::verify_failed(&artifact.path, &detail))
                .with_help(messages::template_fault_help(overridden)),
        )
    })?;
    Ok(rendered)
}

/// Renders, patches and verifies `wanted` on every core (inline when this
/// project is itself one of many being checked in parallel), then checks
/// that every patch whose objects were rendered matched one. With
/// `verify_all` false, only the patched artifacts are verified: what a
/// patch did, not what cfgen's own templates render.
///
/// # Errors
/// The first artifact's failure in plan order, else the first patch that
/// matched nothing.
fn render_checked(
    project: &Project,
    specs: &[crate::patch::Spec<'_>],
    wanted: &[&plan::Artifact],
    renderer: &Renderer,
    verify_all: bool,
) -> Result<Vec<Rendered>, Box<Diagnostic>> {
    let rendered = crate::parallel::map(wanted, |artifact| {
        render_and_verify(project, specs, artifact, renderer, verify_all)
    });
    let rendered = rendered.into_iter().collect::<Result<Vec<_>, _>>()?;
    let applied: std::collections::BTreeSet<usize> = rendered
        .iter()
        .flat_map(|r| r.patched.iter().copied())
        .collect();
    let texts: Vec<(&plan::Artifact, &str)> = wanted
        .iter()
        .zip(&rendered)
        .map(|(a, r)| (*a, r.text.as_str()))
        .collect();
    crate::patch::unmatched(project, specs, &texts, &applied)?;
    Ok(rendered)
}

/// Checks the patches of cfgen.yaml as [`generate`] does, keeping nothing
/// (`cfgen validate`): the artifacts a patch may target are rendered and
/// patched in memory, and those a patch changed are verified. A project
/// without patches plans and renders nothing.
///
/// # Errors
/// The diagnostic `generate` gives for the same patches (located in cfgen.yaml).
pub fn check_patches(project: &Project, renderer: &Renderer) -> Result<(), Box<Diagnostic>> {
    if !crate::patch::declared(project) {
        return Ok(());
    }
    let plan = project.plan();
    let specs = crate::patch::specs(project)?;
    let wanted: Vec<&plan::Artifact> = plan
        .artifacts
        .iter()
        .filter(|artifact| crate::patch::may_target(&specs, artifact))
        .collect();
    render_checked(project, &specs, &wanted, renderer, false).map(drop)
}

/// Plans, renders and verifies a project's artifacts.
///
/// # Errors
/// A diagnostic naming the artifact and template when rendering or
/// verification fails (a cfgen bug, or a bug in a template override).
pub fn generate(
    project: &Project,
    renderer: &Renderer,
    out_dir: Option<&Path>,
    selection: &Selection,
) -> Result<Output, Box<Diagnostic>> {
    let plan = project.plan();
    let specs = crate::patch::specs(project)?;
    let wanted: Vec<&plan::Artifact> = plan
        .artifacts
        .iter()
        .filter(|artifact| selection.includes(artifact))
        .collect();
    let rendered = render_checked(project, &specs, &wanted, renderer, true)?;
    let mut reads = plan.reads.clone();
    reads.extend(&crate::patch::reads(&specs));
    let mut files = BTreeMap::new();
    for (artifact, rendered) in wanted.iter().zip(rendered) {
        // `--out DIR` holds everything: the repository-root workflow goes to its
        // `.github/workflows/` (the user's own choice of folder, trusted as given).
        let path = match (out_dir, plan::repository::split_root_path(&artifact.path)) {
            (Some(_), Some((_, file))) => format!("{}/{file}", plan::repository::WORKFLOWS_DIR),
            _ => artifact.path.clone(),
        };
        files.insert(
            path,
            GeneratedFile {
                text: rendered.text,
                executable: artifact.executable,
            },
        );
    }
    Ok(Output {
        out_dir: out_dir.map_or_else(|| plan.out_dir.clone(), Path::to_path_buf),
        files,
        selection: selection.clone(),
        reads,
    })
}
