//! Log shipping (logging.yaml `collection`): the collector configurations cfgen writes pass the
//! structural check against the pinned collectors' documented keys (tests/logship/check.py),
//! a misspelt key fails it, and a collector or store cfgen does not render is a located error.

use std::path::Path;
use std::process::Command;

use crate::common::{cfgen, copy_example_inputs, repo};

fn check(files: &[&Path]) -> (bool, String) {
    let python = repo().join(".venv/bin/python");
    let python = if python.exists() {
        python
    } else {
        "python3".into()
    };
    let out = Command::new(python)
        .arg(repo().join("tests/logship/check.py"))
        .args(files)
        .output()
        .expect("python runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn build(dir: &Path) {
    let out = cfgen(dir)
        .args(["build", "."])
        .output()
        .expect("cfgen runs");
    assert!(
        out.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn with_agent(dir: &Path, agent: &str) {
    copy_example_inputs(dir);
    let path = dir.join("config/deployment/logging.yaml");
    let text = std::fs::read_to_string(&path).expect("logging.yaml");
    std::fs::write(
        &path,
        text.replace("agent: \"fluentd\"", &format!("agent: \"{agent}\"")),
    )
    .expect("write");
}

#[test]
fn the_generated_collector_configs_pass_the_key_check() {
    for agent in ["fluentd", "fluent-bit"] {
        let tmp = tempfile::tempdir().expect("tmp");
        with_agent(tmp.path(), agent);
        build(tmp.path());
        let out = tmp.path().join("deploy");
        let file = if agent == "fluentd" {
            "fluent.conf"
        } else {
            "fluent-bit.conf"
        };
        let compose = out.join("logging").join(file);
        let configmap = out.join("k8s/production/logging/configmap.yaml");
        let (ok, report) = check(&[&compose, &configmap]);
        assert!(ok, "{agent}: {report}");
        assert!(report.contains("2 file(s), 0 finding(s)"), "{report}");
        let daemonset =
            std::fs::read_to_string(out.join("k8s/production/logging/daemonset.yaml")).expect("ds");
        assert!(
            daemonset.contains(&format!("- name: {agent}")),
            "{daemonset}"
        );
        // only the environment's namespace is tailed
        let cm = std::fs::read_to_string(&configmap).expect("cm");
        assert!(
            cm.contains("/var/log/containers/*_ecommerce-prod_*.log"),
            "{cm}"
        );
        let compose_file =
            std::fs::read_to_string(out.join("docker-compose.yml")).expect("compose");
        assert!(
            compose_file.contains(&format!("  {agent}:\n")),
            "no {agent} service"
        );
    }
}

#[test]
fn a_misspelt_key_fails_the_check() {
    let fixtures = repo().join("tests/logship/fixtures");
    let (ok, report) = check(&[&fixtures.join("misspelt-fluent-bit.conf")]);
    assert!(!ok, "{report}");
    assert!(report.contains("unknown key `Merge_Logs`"), "{report}");
    assert!(report.contains("unknown key `HTTP_Password`"), "{report}");
    let (ok, report) = check(&[&fixtures.join("misspelt-fluent.conf")]);
    assert!(!ok, "{report}");
    assert!(report.contains("unknown parameter `ssl_verfy`"), "{report}");
}

#[test]
fn the_retention_policy_deletes_after_the_configured_days() {
    let tmp = tempfile::tempdir().expect("tmp");
    copy_example_inputs(tmp.path());
    build(tmp.path());
    let script = std::fs::read_to_string(tmp.path().join("deploy/scripts/apply_log_retention.sh"))
        .expect("script");
    assert!(script.contains("\"min_age\": \"30d\""), "{script}");
    assert!(script.contains("\"rollover\""), "{script}");
    assert!(
        script.contains("\"index.lifecycle.name\": \"ecommerce-logs\""),
        "{script}"
    );
    assert!(script.contains("--proto '=https'"), "{script}");
}

#[test]
fn an_unrendered_collector_is_a_located_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    with_agent(tmp.path(), "vector");
    let out = cfgen(tmp.path())
        .args(["validate", "."])
        .output()
        .expect("cfgen runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("log collector `vector` is not rendered"),
        "{err}"
    );
    assert!(err.contains("logging.yaml:41:"), "{err}");
    assert!(err.contains("`fluentd`, `fluent-bit`"), "{err}");
}

#[test]
fn the_fluent_bit_configs() {
    let tmp = tempfile::tempdir().expect("tmp");
    with_agent(tmp.path(), "fluent-bit");
    build(tmp.path());
    for path in [
        "logging/fluent-bit.conf",
        "k8s/production/logging/configmap.yaml",
        "k8s/production/logging/daemonset.yaml",
    ] {
        let text =
            std::fs::read_to_string(tmp.path().join("deploy").join(path)).expect("generated");
        insta::with_settings!({ snapshot_suffix => path.replace('/', "__"), omit_expression => true }, {
            insta::assert_snapshot!(text);
        });
    }
}
