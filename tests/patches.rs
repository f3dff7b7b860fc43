//! `patches:` in cfgen.yaml: each way a patch can be wrong is a located error
//! at the patch (fixtures in `tests/fixtures/patch/`, laid over the example),
//! and a patched line of output is explained by the patch's line.

use std::path::Path;

use cfgen::generate::{Selection, generate};
use cfgen::render::Renderer;
use cfgen::validate::check_project;
use insta_cmd::assert_cmd_snapshot;

use crate::common::{cfgen, overlay_project, render};

#[test]
fn wrong_patches_are_errors_at_the_patch() {
    let renderer = Renderer::new(None).unwrap();
    insta::glob!("fixtures/patch/err_*", |fixture| {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        overlay_project(fixture, &project);
        let outcome = check_project(&project);
        let project = outcome
            .project
            .unwrap_or_else(|| panic!("{}: the manifest is invalid", fixture.display()));
        let error = generate(&project, &renderer, None, &Selection::default())
            .err()
            .unwrap_or_else(|| panic!("{} was accepted", fixture.display()));
        let (file, _, _) = error
            .position()
            .unwrap_or_else(|| panic!("{}: no location: {}", fixture.display(), error.message));
        assert!(file.ends_with("cfgen.yaml"), "{file}");
        assert!(error.help.is_some(), "{}: no help", fixture.display());
        let description = std::fs::read_to_string(fixture.join("README.md")).unwrap_or_default();
        insta::with_settings!({ description => description.trim(), omit_expression => true }, {
            insta::assert_snapshot!(render(&[*error], tmp.path()));
        });
    });
}

/// node-api's inputs (its manifest and sources) in `dest`, and beside it the shared policy
/// it extends (`../platform-policy`) in a repository (a `.git` folder in `dest`'s parent).
fn copy_node_api(dest: &Path) {
    let examples = crate::common::repo().join("examples");
    crate::common::copy_tree(&examples.join("node-api"), dest);
    let parent = dest.parent().unwrap();
    crate::common::copy_tree(
        &examples.join("platform-policy"),
        &parent.join("platform-policy"),
    );
    std::fs::create_dir_all(parent.join(".git")).unwrap();
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?}"))
        + 1
}

#[test]
fn a_patched_line_is_explained_by_the_patch() {
    let tmp = tempfile::tempdir().unwrap();
    copy_node_api(&tmp.path().join("api"));
    let out = cfgen(tmp.path()).args(["build", "api"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rel = "api/deploy/k8s/production/deployment-web.yaml";
    let text = std::fs::read_to_string(tmp.path().join(rel)).unwrap();
    // the header names cfgen.yaml, which the patches are in
    assert!(text.lines().nth(1).unwrap().contains("cfgen.yaml"));
    let by_project_patch = line_of(&text, "terminationMessagePolicy: FallbackToLogsOnError");
    assert_cmd_snapshot!(
        "by_project_patch",
        cfgen(tmp.path()).args(["explain", &format!("{rel}:{by_project_patch}")])
    );
    let by_env_patch = line_of(&text, "safe-to-evict");
    assert_cmd_snapshot!(
        "by_environment_patch",
        cfgen(tmp.path()).args(["explain", &format!("{rel}:{by_env_patch}")])
    );
    // A line the patches leave is explained as before: not by a patch.
    let kept = line_of(&text, "revisionHistoryLimit:");
    let out = cfgen(tmp.path())
        .args(["explain", &format!("{rel}:{kept}")])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("patches"));
    // The staging Deployment takes the project's patch, not production's.
    let staging = std::fs::read_to_string(
        tmp.path()
            .join("api/deploy/k8s/staging/deployment-web.yaml"),
    )
    .unwrap();
    assert!(staging.contains("terminationMessagePolicy: FallbackToLogsOnError"));
    assert!(!staging.contains("safe-to-evict"));
}
