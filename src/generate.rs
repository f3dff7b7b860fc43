//! Stages 4–6 for one project: plan, render and verify every artifact in
//! memory. Nothing here touches the output folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::messages;
use crate::plan;
use crate::render::Renderer;
use crate::validate::Project;

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
    /// Set when only one environment was built (no pruning then).
    pub only_environment: Option<String>,
    /// Every input value the project's artifacts read (all of them, whatever
    /// `only_environment` selects): what the unused-value report compares with.
    pub reads: crate::provenance::Reads,
}

/// Renders one artifact and verifies the result.
fn render_and_verify(
    artifact: &plan::Artifact,
    renderer: &Renderer,
) -> Result<String, Box<Diagnostic>> {
    let text = renderer.render(artifact).map_err(|e| {
        Box::new(
            Diagnostic::unlocated("render", e.message(&artifact.path))
                .with_help(messages::template_fault_help(e.overridden)),
        )
    })?;
    crate::verify::verify(artifact, &text).map_err(|detail| {
        Box::new(
            Diagnostic::unlocated("verify", messages::verify_failed(&artifact.path, &detail))
                .with_help(messages::template_fault_help(
                    renderer.is_overridden(artifact.template),
                )),
        )
    })?;
    Ok(text)
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
    only_environment: Option<&str>,
) -> Result<Output, Box<Diagnostic>> {
    let plan = plan::plan(project);
    let wanted: Vec<&plan::Artifact> = plan
        .artifacts
        .iter()
        .filter(|artifact| match (only_environment, &artifact.environment) {
            (Some(only), Some(env)) => only == env,
            _ => true,
        })
        .collect();
    // Artifacts are independent: render and verify them on every core (inline
    // when this project is itself one of many being built in parallel).
    let rendered = crate::parallel::map(&wanted, |artifact| render_and_verify(artifact, renderer));
    let mut files = BTreeMap::new();
    for (artifact, text) in wanted.iter().zip(rendered) {
        files.insert(
            artifact.path.clone(),
            GeneratedFile {
                text: text?,
                executable: artifact.executable,
            },
        );
    }
    Ok(Output {
        out_dir: out_dir.map_or(plan.out_dir, Path::to_path_buf),
        files,
        only_environment: only_environment.map(str::to_owned),
        reads: plan.reads,
    })
}
