//! The built-in templates' compose files, workflows and custom resources
//! against the vendored Compose Specification, SchemaStore workflow and CRD
//! schemas (Prometheus Operator, Gateway API, Argo). A build checks those
//! schemas only for a template override's output (`verify::verify_output`);
//! what the built-in templates render is proven here instead, on every
//! bundled project and on every valid one-value variation of two of them.

use std::path::Path;

use cfgen::explain::render_all;
use cfgen::plan::Check;
use cfgen::render::Renderer;
use cfgen::validate::{Project, check_project};

use crate::common::{copy_tree, repo};
use crate::leaves::{leaves, with_varied};

/// Fully verifies every artifact of `project`; how many compose files and
/// workflows there were.
fn verify_vendored(project: &Project, renderer: &Renderer, what: &str) -> usize {
    let mut checked = 0;
    for (rel, (artifact, text)) in render_all(project, renderer, None) {
        if let Err(e) = cfgen::verify::verify(&artifact, &text) {
            panic!("{what}: {rel}: {e}");
        }
        if matches!(artifact.check, Check::Compose | Check::Workflow) {
            checked += 1;
        }
    }
    checked
}

/// The bundled projects: each example with a manifest, and the app.
fn bundled() -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("cfgen.yaml").is_file())
        .collect();
    out.sort();
    out.push(repo().join("app"));
    out
}

#[test]
fn every_bundled_projects_compose_file_and_workflow_match_their_vendored_schemas() {
    let renderer = Renderer::new(None).unwrap();
    let mut checked = 0;
    for dir in bundled() {
        let project = check_project(&dir)
            .project
            .unwrap_or_else(|| panic!("{} is valid", dir.display()));
        checked += verify_vendored(&project, &renderer, &dir.display().to_string());
    }
    // a compose file and a workflow for each of the six projects, but billing's
    // targets want no compose file and the app's no workflow
    assert_eq!(checked, 10, "files checked");
}

/// Every value of `src` varied in turn (the first variation that validates):
/// how many variations were built, and how many files they checked.
fn varied_projects(src: &Path) -> (usize, usize) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    copy_tree(src, &dir);
    let renderer = Renderer::new(None).unwrap();
    let (mut built, mut checked) = (0, 0);
    for leaf in leaves(&dir) {
        let Some((varied, project)) = leaf.variations.iter().find_map(|v| {
            with_varied(&dir, &leaf, v, || check_project(&dir).project).map(|p| (v, p))
        }) else {
            continue;
        };
        built += 1;
        let what = format!("{}:{}:{} = {varied}", leaf.file, leaf.line, leaf.column);
        checked += verify_vendored(&project, &renderer, &what);
    }
    (built, checked)
}

#[test]
fn the_compose_files_and_workflows_of_every_valid_variation_match_their_vendored_schemas() {
    for name in ["ecommerce", "tasks"] {
        let (built, checked) = varied_projects(&repo().join("examples").join(name));
        eprintln!("{name}: {built} variations, {checked} compose files and workflows checked");
        assert!(built > 20, "{name}: {built} variations");
        assert!(checked >= 2 * built, "{name}: {checked} files");
    }
}
