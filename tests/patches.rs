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

/// `cfgen validate` checks the patches as `cfgen build` does: for each wrong patch both
/// print the same located diagnostic (every line of stderr, the summary included) and exit 1.
#[test]
fn validate_reports_each_wrong_patch_as_build_does() {
    let dir = crate::common::repo().join("tests/fixtures/patch");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("err_"))
        })
        .collect();
    fixtures.sort();
    assert_eq!(fixtures.len(), 10, "{fixtures:?}");
    for fixture in &fixtures {
        let tmp = tempfile::tempdir().unwrap();
        overlay_project(fixture, &tmp.path().join("project"));
        let run = |command: &str| {
            let out = cfgen(tmp.path())
                .args([command, "project"])
                .output()
                .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let (validated, by_validate) = run("validate");
        let (built, by_build) = run("build");
        let name = fixture.display();
        assert_eq!(validated, Some(1), "{name}: validate\n{by_validate}");
        assert_eq!(built, Some(1), "{name}: build\n{by_build}");
        assert!(by_build.contains("cfgen::patch::"), "{name}: {by_build}");
        assert!(
            by_build.contains("project/cfgen.yaml:"),
            "{name}: {by_build}"
        );
        assert_eq!(by_validate, by_build, "{name}");
        // validate writes nothing (build writes nothing either when a patch is wrong)
        assert!(!tmp.path().join("project/deploy").exists(), "{name}");
    }
}

/// node-api patches its Deployments and a compose service: `validate` renders them in memory
/// and finds nothing to say.
#[test]
fn a_valid_patched_project_validates_clean() {
    let tmp = tempfile::tempdir().unwrap();
    copy_node_api(&tmp.path().join("api"));
    let validate = || {
        let out = cfgen(tmp.path())
            .args(["validate", "api"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stderr)
    };
    let (code, stderr) = validate();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "1 project: valid; 0 errors, 0 warnings\n");
    assert!(!tmp.path().join("api/deploy").exists());
    // The same project with its production patch aimed at an object it does not render fails.
    let manifest = tmp.path().join("api/cfgen.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let (head, tail) = text.split_once("environments:").unwrap();
    let tail = tail.replacen("name: node-api-web }", "name: node-api-wbe }", 1);
    std::fs::write(&manifest, format!("{head}environments:{tail}")).unwrap();
    let (code, stderr) = validate();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cfgen::patch::no-target"), "{stderr}");
    assert!(stderr.contains("`Deployment/node-api-web`"), "{stderr}");
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
