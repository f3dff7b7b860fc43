//! Shared platform policy (`extends` in cfgen.yaml): `explain` names a policy
//! folder's files in both directions, and the layers stack in the order
//! README.md's "Shared platform policy" gives.

use std::path::Path;

use cfgen::validate::check_project;
use insta_cmd::assert_cmd_snapshot;

use crate::common::{cfgen, copy_tree, repo};

/// A repository (`tmp/.git`) holding the example go-service (`svc/`, built) and
/// the example policy folder it extends (`platform-policy/`).
fn repository(tmp: &Path) {
    std::fs::create_dir_all(tmp.join(".git")).unwrap();
    copy_tree(&repo().join("examples/go-service"), &tmp.join("svc"));
    copy_tree(
        &repo().join("examples/platform-policy"),
        &tmp.join("platform-policy"),
    );
    let out = cfgen(tmp).args(["build", "svc"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The 1-based number of the first line of `rel` containing `needle`.
fn line_of(tmp: &Path, rel: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(tmp.join("svc/deploy").join(rel)).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} in {rel}"))
        + 1
}

#[test]
fn explain_names_the_policy_file_that_set_a_line() {
    let tmp = tempfile::tempdir().unwrap();
    repository(tmp.path());
    // Set by the policy's base file (monitoring.yaml memory_threshold: 90).
    let rel = "monitoring/production/alert_rules.yml";
    let by_policy = line_of(tmp.path(), rel, "/ 536870912 > 0.9");
    assert_cmd_snapshot!(
        "line_by_policy_base",
        cfgen(tmp.path()).args(["explain", &format!("svc/deploy/{rel}:{by_policy}")])
    );
    // Set by the policy's staging overlay (cpu_threshold: 95).
    let rel = "monitoring/staging/alert_rules.yml";
    let by_overlay = line_of(tmp.path(), rel, "> 0.95");
    assert_cmd_snapshot!(
        "line_by_policy_overlay",
        cfgen(tmp.path()).args(["explain", &format!("svc/deploy/{rel}:{by_overlay}")])
    );
    // The header names the policy files the artifact read.
    assert_cmd_snapshot!(
        "policy_header",
        cfgen(tmp.path()).args(["explain", &format!("svc/deploy/{rel}:2")])
    );
}

#[test]
fn explain_shows_every_policy_layer_of_a_key() {
    let tmp = tempfile::tempdir().unwrap();
    repository(tmp.path());
    for env in ["staging", "production"] {
        assert_cmd_snapshot!(
            format!("key_{env}"),
            cfgen(tmp.path()).args([
                "explain",
                "--project",
                "svc",
                "--env",
                env,
                "monitoring_config.infrastructure.cpu_threshold"
            ])
        );
    }
}

/// A mapping set in part by the policy and in part by the project (node-api, which has no
/// config/ of its own, given a base file and a staging overlay that each add one threshold to
/// the policy's `infrastructure`): `explain KEY` on the mapping lists every layer that writes
/// part of it, highest first, each with the part it writes.
#[test]
fn explain_lists_every_layer_that_sets_part_of_a_map() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join(".git")).unwrap();
    copy_tree(&repo().join("examples/node-api"), &tmp.path().join("api"));
    copy_tree(
        &repo().join("examples/platform-policy"),
        &tmp.path().join("platform-policy"),
    );
    for (rel, threshold) in [
        (
            "api/config/deployment/monitoring.yaml",
            "disk_threshold: 80",
        ),
        (
            "api/config/environments/staging/monitoring.yaml",
            "network_threshold: 70",
        ),
    ] {
        let path = tmp.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text = format!("monitoring_config:\n  infrastructure:\n    {threshold}\n");
        std::fs::write(path, text).unwrap();
    }
    for env in ["staging", "production"] {
        assert_cmd_snapshot!(
            format!("map_key_{env}"),
            cfgen(tmp.path()).args([
                "explain",
                "--project",
                "api",
                "--env",
                env,
                "monitoring_config.infrastructure"
            ])
        );
    }
}

/// README.md, "Shared platform policy": defaults < policy base files <
/// project base files < policy environment overlays < project environment
/// overlays < the manifest. Each threshold below is set by a different pair
/// of layers, so each pair's order is checked on its own.
#[test]
fn policy_layers_stack_in_the_documented_order() {
    let tmp = tempfile::tempdir().unwrap();
    repository(tmp.path());
    let write = |rel: &str, text: &str| {
        let path = tmp.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let monitoring = |cpu: Option<u32>, memory: Option<u32>, disk: Option<u32>| {
        let mut text = "monitoring_config:\n  infrastructure:\n".to_owned();
        for (key, value) in [("cpu", cpu), ("memory", memory), ("disk", disk)] {
            if let Some(v) = value {
                text.push_str(&format!("    {key}_threshold: {v}\n"));
            }
        }
        text
    };
    // policy base: cpu 81, memory 82, disk 83; project base: cpu 71, memory 72;
    // policy staging: memory 91, disk 93; project staging: disk 99.
    write(
        "platform-policy/deployment/monitoring.yaml",
        &monitoring(Some(81), Some(82), Some(83)),
    );
    write(
        "svc/config/deployment/monitoring.yaml",
        &monitoring(Some(71), Some(72), None),
    );
    write(
        "platform-policy/environments/staging/monitoring.yaml",
        &monitoring(None, Some(91), Some(93)),
    );
    write(
        "svc/config/environments/staging/monitoring.yaml",
        &monitoring(None, None, Some(99)),
    );
    let outcome = check_project(&tmp.path().join("svc"));
    let project = outcome.project.unwrap_or_else(|| {
        let errors: Vec<_> = outcome.diagnostics.iter().map(|d| &d.message).collect();
        panic!("{errors:?}")
    });
    let value = |env: &str, key: &str| {
        let key = format!("monitoring_config.infrastructure.{key}_threshold");
        let found = cfgen::explain::key(&project, Some(env), &key).unwrap();
        let files: Vec<String> = found
            .layers
            .iter()
            .map(|l| {
                l.setter
                    .as_ref()
                    .map_or("default".into(), |s| s.file.clone())
            })
            .collect();
        (found.effective, files)
    };
    let policy_base = "../platform-policy/deployment/monitoring.yaml";
    let own_base = "config/deployment/monitoring.yaml";
    let policy_staging = "../platform-policy/environments/staging/monitoring.yaml";
    let own_staging = "config/environments/staging/monitoring.yaml";
    // The project's base file over the policy's.
    assert_eq!(
        value("production", "cpu"),
        ("71".into(), vec![own_base.into(), policy_base.into()])
    );
    // The policy's base file over cfgen's default (only the policy sets disk in production).
    assert_eq!(
        value("production", "disk"),
        ("83".into(), vec![policy_base.into()])
    );
    // The policy's staging overlay over the project's base file.
    assert_eq!(
        value("staging", "memory"),
        (
            "91".into(),
            vec![policy_staging.into(), own_base.into(), policy_base.into()]
        )
    );
    // The project's staging overlay over the policy's.
    assert_eq!(
        value("staging", "disk"),
        (
            "99".into(),
            vec![
                own_staging.into(),
                policy_staging.into(),
                policy_base.into()
            ]
        )
    );
    // What the environments deploy with is the same stack, in the typed model.
    let staging = &project.config_for("staging").monitoring;
    let infra = &staging.infrastructure;
    assert_eq!(
        (
            infra.cpu_threshold.peek().value(),
            infra.memory_threshold.peek().value(),
            infra.disk_threshold.peek().value()
        ),
        (71.0, 91.0, 99.0)
    );
}
