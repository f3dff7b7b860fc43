//! The real `cfgen` binary: exit codes, the three output formats of
//! `validate`, usage errors and `schema --check`. Each command runs in a
//! temporary folder with relative paths, `NO_COLOR=1` and 80 columns, so the
//! snapshots hold no machine-specific paths or colours.

use std::path::Path;
use std::process::Command;

use insta_cmd::assert_cmd_snapshot;

use crate::common::{copy_example_inputs, overlay_project, repo};

/// `cfgen` run in `dir` with a fixed, colourless environment.
fn cfgen(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cfgen"));
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .env("CFGEN_NO_CACHE", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// A temporary folder holding a copy of the example's inputs as `ecommerce/`.
fn example_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_example_inputs(&tmp.path().join("ecommerce"));
    tmp
}

/// A temporary folder holding, as `project/`, the example with mistakes in four files.
fn invalid_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = repo().join("tests/fixtures/invalid/err_many_errors_in_many_files");
    overlay_project(&fixture, &tmp.path().join("project"));
    tmp
}

#[test]
fn validate_example_human() {
    let tmp = example_copy();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["validate", "ecommerce"]));
}

#[test]
fn validate_example_json() {
    let tmp = example_copy();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["validate", "ecommerce", "--format", "json"]));
}

#[test]
fn validate_example_github() {
    let tmp = example_copy();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["validate", "ecommerce", "--format", "github"]));
}

#[test]
fn validate_searches_the_current_folder_by_default() {
    let tmp = example_copy();
    let out = cfgen(tmp.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("╭─[./ecommerce/config/deployment/backup.yaml:27:10]"),
        "{stderr}"
    );
}

#[test]
fn validate_invalid_human() {
    let tmp = invalid_copy();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["validate", "project"]));
}

#[test]
fn validate_invalid_json() {
    let tmp = invalid_copy();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["validate", "project", "--format", "json"]));
}

#[test]
fn validate_invalid_github() {
    let tmp = invalid_copy();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["validate", "project", "--format", "github"]));
}

#[test]
fn validate_missing_path() {
    let tmp = tempfile::tempdir().unwrap();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["validate", "no-such-folder"]));
}

#[test]
fn validate_without_projects() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["validate", "empty"]));
}

#[test]
fn validate_help() {
    let tmp = tempfile::tempdir().unwrap();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["validate", "--help"]));
}

#[test]
fn unknown_format_is_a_usage_error() {
    let tmp = example_copy();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["validate", "ecommerce", "--format", "xml"]));
}

#[test]
fn schema_check_passes_on_the_committed_schemas() {
    assert_cmd_snapshot!(cfgen(&repo()).args(["schema", "--check"]));
}

#[test]
fn schema_check_fails_with_a_diff_on_a_stale_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("schema");
    std::fs::create_dir(&dir).unwrap();
    for entry in std::fs::read_dir(repo().join("schema")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let stale = dir.join("checklist.schema.json");
    let text = std::fs::read_to_string(&stale).unwrap();
    let edited = text.replacen("/schema/", "/schema-old/", 1);
    assert_ne!(text, edited);
    std::fs::write(&stale, edited).unwrap();
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["schema", "--check", "--dir", "schema"]));
    // `--check` writes nothing.
    assert!(
        std::fs::read_to_string(&stale)
            .unwrap()
            .contains("/schema-old/")
    );
}

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Projects (and a single project's artifacts) are built on every core; what
/// cfgen prints and writes must not depend on how many there are. `taskset`
/// pins the second run to one core, where the work runs on one thread.
#[test]
fn output_and_messages_do_not_depend_on_the_core_count() {
    let run = |one_core: bool, dir: &Path, args: &[&str]| {
        let mut cmd = if one_core {
            let mut c = Command::new("taskset");
            c.args(["-c", "0", env!("CARGO_BIN_EXE_cfgen")]);
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_cfgen"))
        };
        let out = cmd
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env("CFGEN_NO_CACHE", "1")
            .env("COLUMNS", "80")
            .output()
            .expect("taskset and cfgen run");
        (out.status.code(), out.stdout, out.stderr)
    };
    // Many invalid projects: the same diagnostics in the same order.
    let invalid = repo().join("tests/fixtures/invalid");
    let many = run(false, &invalid, &["validate", "."]);
    assert_eq!(many.0, Some(1));
    assert_eq!(many, run(true, &invalid, &["validate", "."]));
    // Several valid projects: the same messages and byte-identical output.
    let build = |one_core: bool| {
        let tmp = tempfile::tempdir().unwrap();
        for name in ["a", "b", "c"] {
            copy_example_inputs(&tmp.path().join(name));
        }
        let result = run(one_core, tmp.path(), &["build", "."]);
        assert_eq!(result.0, Some(0), "{}", String::from_utf8_lossy(&result.2));
        (result, tree(tmp.path()))
    };
    assert_eq!(build(false), build(true));
}

/// `--templates DIR` replaces a built-in template by its relative name; when
/// the override's output fails verification, the help blames the override
/// (not cfgen) and nothing is written.
#[test]
fn template_overrides_replace_built_ins_and_are_blamed_for_their_faults() {
    let builtin =
        std::fs::read_to_string(repo().join("templates/kubernetes/namespace.yaml.j2")).unwrap();
    let build = |edit: &dyn Fn(&str) -> String| {
        let tmp = example_copy();
        let overrides = tmp.path().join("overrides/kubernetes");
        std::fs::create_dir_all(&overrides).unwrap();
        std::fs::write(overrides.join("namespace.yaml.j2"), edit(&builtin)).unwrap();
        let out = cfgen(tmp.path())
            .args(["build", "ecommerce", "--templates", "overrides"])
            .output()
            .unwrap();
        (tmp, out)
    };
    let (tmp, out) = build(&|t| t.replace("kind: Namespace", "kind: Namespace\n# overridden"));
    assert_eq!(out.status.code(), Some(0));
    let written = std::fs::read_to_string(
        tmp.path()
            .join("ecommerce/deploy/k8s/production/namespace.yaml"),
    )
    .unwrap();
    assert!(
        written.contains("kind: Namespace\n# overridden\n"),
        "{written}"
    );

    let (tmp, out) = build(&|t| t.replace("kind: Namespace", "kind: Namespace\nbogus: 1"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("unknown field"), "{stderr}");
    assert!(stderr.contains("fix the override or remove it"), "{stderr}");
    assert!(!tmp.path().join("ecommerce/deploy").exists());
}
