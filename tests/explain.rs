//! `cfgen explain`: a line of output names the values that produce it (an
//! overlay's, a base file's, the manifest's), a line no value changes is
//! cfgen's; a key shows its effective value per environment and every layer.
//! The property: varying a value changes exactly lines that `explain`
//! attributes to it.

use std::path::Path;

use insta_cmd::assert_cmd_snapshot;

use crate::common::{cfgen, copy_example_with_overlays};

/// The example's inputs in `tmp/shop`, built.
fn built(tmp: &Path) {
    copy_example_with_overlays(&tmp.join("shop"));
    crate::common::make_rolling(&tmp.join("shop"));
    let out = cfgen(tmp).args(["build", "shop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// The 1-based number of the first line of `rel` containing `needle`.
fn line_of(tmp: &Path, rel: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(tmp.join("shop/deploy").join(rel)).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} in {rel}"))
        + 1
}

fn explain(tmp: &Path, rel: &str, line: usize) -> String {
    let out = cfgen(tmp)
        .args(["explain", &format!("shop/deploy/{rel}:{line}")])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_line_is_explained_by_an_overlay_a_base_file_the_manifest_or_cfgen() {
    let tmp = tempfile::tempdir().unwrap();
    built(tmp.path());
    let rel = "k8s/dev/deployment-app.yaml";
    let by_overlay = line_of(tmp.path(), rel, "cpu: \"125m\"");
    assert_cmd_snapshot!(
        "by_overlay",
        cfgen(tmp.path()).args(["explain", &format!("shop/deploy/{rel}:{by_overlay}")])
    );
    let by_base = line_of(tmp.path(), rel, "maxUnavailable:");
    assert_cmd_snapshot!(
        "by_base",
        cfgen(tmp.path()).args(["explain", &format!("shop/deploy/{rel}:{by_base}")])
    );
    let by_manifest = line_of(tmp.path(), rel, "namespace: ecommerce-dev");
    assert_cmd_snapshot!(
        "by_manifest",
        cfgen(tmp.path()).args(["explain", &format!("shop/deploy/{rel}:{by_manifest}")])
    );
    let fixed = line_of(tmp.path(), rel, "apiVersion: apps/v1");
    assert_cmd_snapshot!(
        "fixed",
        cfgen(tmp.path()).args(["explain", &format!("shop/deploy/{rel}:{fixed}")])
    );
    assert_cmd_snapshot!(
        "header",
        cfgen(tmp.path()).args(["explain", &format!("shop/deploy/{rel}:2")])
    );
}

#[test]
fn a_key_shows_its_value_in_an_environment_and_every_layer() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example_with_overlays(&tmp.path().join("shop"));
    crate::common::make_rolling(&tmp.path().join("shop"));
    assert_cmd_snapshot!(
        "key_dev",
        cfgen(tmp.path()).args([
            "explain",
            "--project",
            "shop",
            "--env",
            "dev",
            "kubernetes_config.resources.requests.cpu"
        ])
    );
    assert_cmd_snapshot!(
        "key_production",
        cfgen(tmp.path()).args([
            "explain",
            "--project",
            "shop",
            "--env",
            "production",
            "kubernetes_config.resources.requests.cpu"
        ])
    );
    assert_cmd_snapshot!(
        "key_unknown_environment",
        cfgen(tmp.path()).args([
            "explain",
            "--project",
            "shop",
            "--env",
            "prod",
            "kubernetes_config.resources.requests.cpu"
        ])
    );
}

#[test]
fn explain_refuses_files_it_does_not_generate_and_lines_past_the_end() {
    let tmp = tempfile::tempdir().unwrap();
    built(tmp.path());
    let out = cfgen(tmp.path())
        .args(["explain", "shop/config/deployment/docker.yaml:3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not in its project's output folder"));
    let out = cfgen(tmp.path())
        .args(["explain", "shop/deploy/Dockerfile:100000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no line 100000"));
    // a FILE:LINE whose file does not exist says so (it was read as a config key)
    let out = cfgen(tmp.path())
        .args(["explain", "shop/deploy/k8s/dev/no-such.yaml:3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("there is no file `shop/deploy/k8s/dev/no-such.yaml`"),
        "{err}"
    );
}

/// README's `cfgen explain` example is what cfgen prints for the bundled example.
#[test]
fn the_readme_explain_example_is_what_cfgen_prints() {
    let repo = crate::common::repo();
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let section = readme
        .split_once("### `cfgen explain`")
        .expect("README has the explain section")
        .1;
    let block = section
        .split_once("```console\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a console block")
        .0;
    let mut commands = 0;
    for example in block.split("$ ").filter(|e| !e.trim().is_empty()) {
        let (command, expected) = example.split_once('\n').unwrap();
        let args: Vec<&str> = command.split_whitespace().collect();
        assert_eq!(args[0], "cfgen", "{command}");
        let out = cfgen(&repo).args(&args[1..]).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "README: $ {command}"
        );
        commands += 1;
    }
    assert_eq!(commands, 2);
}

/// Varies one value in the file and returns the 1-based lines of `rel` that change.
fn changed_lines(tmp: &Path, file: &str, from: &str, to: &str, rel: &str) -> Vec<usize> {
    let before = std::fs::read_to_string(tmp.join("shop/deploy").join(rel)).unwrap();
    let path = tmp.join("shop").join(file);
    let original = std::fs::read_to_string(&path).unwrap();
    assert!(original.contains(from), "{from:?} not in {file}");
    std::fs::write(&path, original.replacen(from, to, 1)).unwrap();
    let out = cfgen(tmp).args(["build", "shop"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read_to_string(tmp.join("shop/deploy").join(rel)).unwrap();
    std::fs::write(&path, original).unwrap();
    let out = cfgen(tmp).args(["build", "shop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let diff = similar::TextDiff::from_lines(&before, &after);
    let mut lines: Vec<usize> = diff
        .ops()
        .iter()
        .filter(|op| op.tag() != similar::DiffTag::Equal)
        .flat_map(|op| op.old_range())
        .map(|i| i + 1)
        .collect();
    lines.dedup();
    lines
}

#[test]
fn every_line_a_value_changes_is_attributed_to_it_and_no_fixed_line_changes() {
    let tmp = tempfile::tempdir().unwrap();
    built(tmp.path());
    let rel = "k8s/dev/deployment-app.yaml";
    // (file, value as written, a variation, the key explain names)
    let cases = [
        (
            "config/environments/dev/kubernetes.yaml",
            "cpu: \"250m\"",
            "cpu: \"300m\"",
            "kubernetes_config.resources.limits.cpu",
        ),
        (
            "config/deployment/kubernetes.yaml",
            "max_unavailable: 1",
            "max_unavailable: 0",
            "kubernetes_config.cluster.rolling_update.max_unavailable",
        ),
        (
            "config/deployment/performance.yaml",
            "workers: 4",
            "workers: 5",
            "performance_config.application.workers",
        ),
    ];
    for (file, from, to, key) in cases {
        let lines = changed_lines(tmp.path(), file, from, to, rel);
        assert!(!lines.is_empty(), "{key} changes no line of {rel}");
        for line in lines {
            let said = explain(tmp.path(), rel, line);
            assert!(
                said.contains(&format!("`{key}`")),
                "line {line} changes with {key}, but explain says:\n{said}"
            );
            assert!(!said.contains("fixed by cfgen"), "{said}");
        }
    }
}

/// The property on the environments' monitoring files: the staging overlay's CPU threshold
/// changes staging's rules only, each line it changes explained by that overlay leaf, and
/// the base's threshold the production rules the same way.
#[test]
fn each_environments_alert_threshold_is_attributed_to_its_layer_and_stays_there() {
    let tmp = tempfile::tempdir().unwrap();
    built(tmp.path());
    let staging_overlay = (
        "config/environments/staging/monitoring.yaml",
        "cpu_threshold: 90",
        "cpu_threshold: 91",
    );
    let unchanged = changed_lines(
        tmp.path(),
        staging_overlay.0,
        staging_overlay.1,
        staging_overlay.2,
        "monitoring/production/alert_rules.yml",
    );
    assert!(
        unchanged.is_empty(),
        "staging's overlay changed production: {unchanged:?}"
    );
    let cases = [
        (
            staging_overlay,
            "monitoring/staging/alert_rules.yml",
            "config/environments/staging/monitoring.yaml",
        ),
        (
            (
                "config/deployment/monitoring.yaml",
                "cpu_threshold: 80",
                "cpu_threshold: 81",
            ),
            "monitoring/production/alert_rules.yml",
            "config/deployment/monitoring.yaml",
        ),
    ];
    for ((file, from, to), rel, layer) in cases {
        let lines = changed_lines(tmp.path(), file, from, to, rel);
        assert!(!lines.is_empty(), "{file} changes no line of {rel}");
        for line in lines {
            let said = explain(tmp.path(), rel, line);
            assert!(
                said.contains(&format!("{layer}:"))
                    && said.contains("`monitoring_config.infrastructure.cpu_threshold`"),
                "line {line} of {rel} changes with {file}, but explain says:\n{said}"
            );
            assert!(!said.contains("fixed by cfgen"), "{said}");
        }
    }
}

/// A line that only a default changes names that default and the file where
/// writing the key would change the line: tasks keeps the database dumps'
/// defaults (it has a backup.yaml for its file backup only).
#[test]
fn a_line_set_by_a_default_names_the_key_and_where_to_write_it() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = crate::common::repo();
    crate::common::copy_tree(&repo.join("examples/tasks"), &tmp.path().join("tasks"));
    let out = cfgen(tmp.path()).args(["build", "tasks"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rel = "k8s/production/backup-cronjob.yaml";
    let text = std::fs::read_to_string(tmp.path().join("tasks/deploy").join(rel)).unwrap();
    let schedule = text
        .lines()
        .position(|l| l.contains("schedule: \"0 2 * * *\""))
        .expect("the default schedule")
        + 1;
    assert_cmd_snapshot!(
        "by_default",
        cfgen(tmp.path()).args(["explain", &format!("tasks/deploy/{rel}:{schedule}")])
    );
}

/// A value that decides whether a file exists is named on the file's header:
/// the example releases blue-green, so its `app` process is an Argo Rollout
/// (a rolling release would write a Deployment instead).
#[test]
fn the_header_names_the_value_that_decides_the_file_exists() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example_with_overlays(&tmp.path().join("shop"));
    let out = cfgen(tmp.path()).args(["build", "shop"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_cmd_snapshot!(
        "exists",
        cfgen(tmp.path()).args(["explain", "shop/deploy/k8s/dev/rollout-app.yaml:1"])
    );
}
