//! Robustness of the command line: a closed pipe, file paths that find their
//! project (and never above the working folder), `-` for paths on stdin,
//! `diff --check`, suggestions and completion of environment names.

use std::io::Write as _;
use std::process::Stdio;

use insta_cmd::assert_cmd_snapshot;

use crate::common::{cfgen, copy_example_inputs, minimal_project};

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example_inputs(&tmp.path().join("shop"));
    // `cfgen diff | head -1` (a long diff: nothing is built yet), then
    // `cfgen -v build 2>&1 | head -1`.
    for command in ["diff shop", "-v build shop 2>&1"] {
        let script = format!("\"$CFGEN\" {command} | head -1; echo \"exit ${{PIPESTATUS[0]}}\"");
        let out = std::process::Command::new("bash")
            .args(["-c", &script])
            .env("CFGEN", env!("CARGO_BIN_EXE_cfgen"))
            .env("CFGEN_NO_CACHE", "1")
            .current_dir(tmp.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{command}: {stdout}");
        assert_eq!(lines[1], "exit 0", "{command}: {stdout}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
    // A reader gone before cfgen writes anything.
    std::fs::remove_dir_all(tmp.path().join("shop/deploy")).unwrap();
    let mut child = cfgen(tmp.path())
        .args(["diff", "shop"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn a_file_path_finds_its_enclosing_project() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example_inputs(&tmp.path().join("shop"));
    let out = cfgen(tmp.path())
        .args([
            "-q",
            "validate",
            "shop/config/deployment/docker.yaml",
            "shop/cfgen.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cfgen(tmp.path())
        .args(["validate", "shop/config/deployment/docker.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.ends_with("1 project: valid; 0 errors, 5 warnings\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("missing"), "{stderr}");
}

#[test]
fn the_search_for_a_project_stops_at_the_working_folder() {
    let tmp = tempfile::tempdir().unwrap();
    minimal_project(tmp.path());
    let inner = tmp.path().join("inner");
    std::fs::create_dir_all(inner.join("notes")).unwrap();
    std::fs::write(inner.join("notes/todo.yaml"), "a: 1\n").unwrap();
    assert_cmd_snapshot!(cfgen(&inner).args(["validate", "notes/todo.yaml"]));
}

#[test]
fn a_dash_reads_the_paths_from_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    minimal_project(&tmp.path().join("a"));
    minimal_project(&tmp.path().join("b"));
    let run = |input: &str| {
        let mut child = cfgen(tmp.path())
            .args(["validate", "-"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = run("a/cfgen.yaml\n\nb\n");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "2 projects: valid; 0 errors, 0 warnings\n");
    let (code, stderr) = run("");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("`-` reads paths from stdin, one per line, and stdin held none"),
        "{stderr}"
    );
}

#[test]
fn diff_check_exits_1_when_stale_and_diff_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    minimal_project(&tmp.path().join("api"));
    let code = |args: &[&str]| cfgen(tmp.path()).args(args).output().unwrap().status.code();
    assert_eq!(code(&["diff", "api"]), Some(0));
    assert_eq!(code(&["diff", "api", "--check"]), Some(1));
    assert_eq!(code(&["build", "api"]), Some(0));
    assert_eq!(code(&["diff", "api", "--check"]), Some(0));
}

#[test]
fn an_unknown_environment_suggests_the_closest() {
    let tmp = tempfile::tempdir().unwrap();
    minimal_project(&tmp.path().join("api"));
    assert_cmd_snapshot!(cfgen(tmp.path()).args(["build", "api", "--env", "prod"]));
    let out = cfgen(tmp.path())
        .env("COLUMNS", "200")
        .args(["build", "api", "--env", "qa"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no environment `qa` in `api/cfgen.yaml`; its environments are `production` and `staging`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn shells_complete_environment_names() {
    let tmp = tempfile::tempdir().unwrap();
    minimal_project(&tmp.path().join("api"));
    // What bash's dynamic completion (`source <(COMPLETE=bash cfgen)`) asks for `cfgen build --env s<TAB>`.
    let out = cfgen(tmp.path())
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "3")
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_COMPLETE_SPACE", "true")
        .env("_CLAP_IFS", "\n")
        .args(["--", "cfgen", "build", "--env", ""])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "production\nstaging");
    // The static scripts no longer offer file names for `--env`.
    let out = cfgen(tmp.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let script = String::from_utf8_lossy(&out.stdout);
    let env = script.split("--env)").nth(1).unwrap();
    let env = &env[..env.find(";;").unwrap()];
    assert!(!env.contains("compgen -f"), "{env}");
}
