//! Output for people: `--quiet`, `--verbose`, `--color`, one summary line per
//! run, the unused values behind `--unused`, warnings accepted in cfgen.yaml
//! and `--deny-warnings`.

use std::path::Path;

use insta_cmd::assert_cmd_snapshot;

use crate::common::{cfgen, copy_example_inputs, minimal_project};

/// Three copies of the example (two warnings each) as `a/`, `b/`, `c/`.
fn monorepo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["a", "b", "c"] {
        copy_example_inputs(&tmp.path().join(name));
    }
    tmp
}

/// `accept:` entries appended to a project's manifest.
fn accept(dir: &Path, entries: &str) {
    let path = dir.join("cfgen.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("accept:\n");
    text.push_str(entries);
    std::fs::write(path, text).unwrap();
}

const BOTH: &str =
    "  - { code: rule::rpo, reason: \"replicated database; the dump is the second line\" }
  - code: rule::log-file-read-only
    reason: the file handler is kept for local runs
    file: config/deployment/logging.yaml
  - { code: rule::image-end-of-life, reason: \"the seed's images, updated with the platform\" }
  - { code: rule::migration-after-rollout, reason: \"the seed's step, removed with the platform\" }
";

#[test]
fn a_no_change_build_of_many_projects_prints_warnings_and_one_summary() {
    let tmp = monorepo();
    let first = cfgen(tmp.path()).args(["build", "."]).output().unwrap();
    assert_eq!(first.status.code(), Some(0));
    // The second build changes nothing: no per-project line, one count of
    // the unused values, one grand total.
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["-q", "build", "."]));
    let out = cfgen(tmp.path()).args(["build", "."]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(2).collect();
    assert_eq!(
        tail,
        [
            "3 projects: 0 written, 420 unchanged, 0 pruned; 0 errors, 15 warnings",
            "90 config values in 3 projects influence no artifact; `--unused` lists them with the reason",
        ],
        "{stderr}"
    );
    assert!(!stderr.contains("written, 140 unchanged"), "{stderr}");
    // The same warning at the same place of each copy is shown once.
    assert_eq!(stderr.matches("cfgen::rule::rpo").count(), 1, "{stderr}");
    assert!(
        stderr.contains("the `rule::rpo` warning of `./a/config/deployment/backup.yaml` repeats at the same place in 2 more projects: `./b` and `./c` (`--verbose` shows each)\n"),
        "{stderr}"
    );
    let out = cfgen(tmp.path())
        .args(["-v", "build", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("cfgen::rule::rpo").count(), 3, "{stderr}");
    assert!(
        stderr.contains("ecommerce: 0 written, 140 unchanged, 0 pruned in `./b/deploy`\n"),
        "{stderr}"
    );
}

#[test]
fn accepted_warnings_are_silent_and_listed_with_verbose() {
    let tmp = monorepo();
    for name in ["a", "b", "c"] {
        accept(&tmp.path().join(name), BOTH);
    }
    let out = cfgen(tmp.path()).args(["build", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["build", "."]));
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["--verbose", "build", "a", "--unused"]));
    // Accepted warnings do not fail --deny-warnings.
    let out = cfgen(tmp.path())
        .args(["build", ".", "--check", "--deny-warnings"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_acceptance_that_matches_nothing_is_a_warning_at_its_entry() {
    let tmp = tempfile::tempdir().unwrap();
    minimal_project(&tmp.path().join("api"));
    accept(
        &tmp.path().join("api"),
        "  - { code: rule::rpo, reason: old }\n  - { code: rule::log-file-read-only, reason: x, file: config/deployment/logging.yaml }\n",
    );
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["validate", "api"]));
}

#[test]
fn deny_warnings_makes_warnings_errors_and_writes_nothing() {
    let tmp = monorepo();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["-q", "build", "a", "--deny-warnings"]));
    assert!(!tmp.path().join("a/deploy").exists());
}

#[test]
fn quiet_prints_errors_only() {
    let tmp = monorepo();
    let out = cfgen(tmp.path())
        .args(["-q", "build", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    std::fs::write(
        tmp.path().join("b/config/deployment/backup.yaml"),
        "backup_config: 3\n",
    )
    .unwrap();
    let out = cfgen(tmp.path())
        .args(["-q", "validate", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("× "), "{stderr}");
    assert!(!stderr.contains("⚠"), "{stderr}");
    assert!(!stderr.contains("projects:"), "{stderr}");
}

#[test]
fn unused_values_are_listed_with_the_flag_and_counted_without() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example_inputs(&tmp.path().join("shop"));
    let out = cfgen(tmp.path())
        .args(["build", "shop", "--unused"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ecommerce: 30 config values influence no artifact:\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  shop/config/deployment/docker.yaml:6:11 `docker_config.base_images.node`: only a `build.runtime: node` image is built from it; this project builds none\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("`version`"), "{stderr}");
    let out = cfgen(tmp.path()).args(["build", "shop"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("30 config values in 1 project influence no artifact; `--unused` lists them with the reason\n"), "{stderr}");
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example_inputs(&tmp.path().join("shop"));
    let coloured = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = cfgen(tmp.path());
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.args(args).arg("validate").arg("shop").output().unwrap();
        String::from_utf8_lossy(&out.stderr).contains("\x1b[")
    };
    // stderr is a pipe here: no colour unless asked.
    assert!(!coloured(&[], &[]));
    assert!(coloured(&["--color", "always"], &[("NO_COLOR", "1")]));
    assert!(!coloured(&["--color", "never"], &[("FORCE_COLOR", "1")]));
    assert!(coloured(&[], &[("FORCE_COLOR", "1")]));
    assert!(coloured(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!coloured(&[], &[("CLICOLOR_FORCE", "0")]));
    assert!(!coloured(&[], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
}
