//! Output for machines: one versioned JSON document on stdout for every
//! command, its `errors` consistent with the exit code, the diff inside it;
//! SARIF and JUnit; stale output as GitHub annotations; columns counted in
//! characters in every format.

use std::path::Path;

use serde_json::Value;

use crate::common::{cfgen, minimal_project};

fn json_of(root: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = cfgen(root).args(args).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not one JSON document ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (
        out.status.code().unwrap(),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A built minimal project `api/` whose output is then made stale: one
/// file edited, one deleted.
fn stale_project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    minimal_project(&tmp.path().join("api"));
    let out = cfgen(tmp.path()).args(["build", "api"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let dockerfile = tmp.path().join("api/deploy/Dockerfile");
    let mut text = std::fs::read_to_string(&dockerfile).unwrap();
    text.push_str("# edited by hand\n");
    std::fs::write(&dockerfile, text).unwrap();
    std::fs::remove_file(tmp.path().join("api/deploy/nginx/nginx.conf")).unwrap();
    tmp
}

#[test]
fn every_command_prints_one_versioned_document_whose_errors_match_the_exit_code() {
    let tmp = stale_project();
    let root = tmp.path();
    let runs: &[&[&str]] = &[
        &["validate", "api", "--format", "json"],
        &["build", "api", "--check", "--format", "json"],
        &["diff", "api", "--format", "json"],
        &["diff", "api", "--check", "--format", "json"],
        &["schema", "--check", "--dir", "none", "--format", "json"],
        &["init", "new", "--runtime", "rust", "--format", "json"],
        &["init", "new", "--runtime", "rust", "--format", "json"],
        &["validate", "missing", "--format", "json"],
        &["build", "api", "--format", "json"],
    ];
    let mut seen = Vec::new();
    for args in runs {
        let (code, doc, stderr) = json_of(root, args);
        assert_eq!(doc["format"], "cfgen-report", "{args:?}");
        assert_eq!(doc["format_version"], 1, "{args:?}");
        assert_eq!(doc["command"], args[0], "{args:?}");
        assert_eq!(doc["exit_code"], code, "{args:?}");
        let errors = doc["errors"].as_u64().unwrap();
        assert_eq!(
            errors > 0,
            code != 0,
            "{args:?}: errors {errors}, exit {code}\n{doc:#}"
        );
        let listed = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] == "error")
            .count();
        assert_eq!(listed as u64, errors, "{args:?}");
        // Nothing but the document on stdout, and no diff on stderr either.
        assert!(!stderr.contains("+++ "), "{args:?}: {stderr}");
        seen.push(code);
    }
    assert_eq!(seen, [0, 1, 0, 1, 1, 0, 2, 2, 0]);
}

#[test]
fn the_json_of_a_stale_check_holds_the_stale_files_and_the_diff() {
    let tmp = stale_project();
    let (code, doc, _) = json_of(tmp.path(), &["build", "api", "--check", "--format", "json"]);
    assert_eq!(code, 1);
    let project = &doc["projects"][0];
    assert_eq!(project["path"], "api");
    assert_eq!(project["name"], "api");
    assert_eq!(project["output"], "api/deploy");
    assert_eq!(
        project["files"]["stale"],
        serde_json::json!([
            { "path": "Dockerfile", "change": "modified" },
            { "path": "nginx/nginx.conf", "change": "added" },
        ])
    );
    assert_eq!(project["files"]["unchanged"].as_array().unwrap().len(), 49);
    let diff = project["diff"].as_str().unwrap();
    assert!(
        diff.contains("--- a/Dockerfile\n+++ b/Dockerfile\n"),
        "{diff}"
    );
    assert!(diff.contains("-# edited by hand\n"), "{diff}");
    assert!(diff.contains("+++ b/nginx/nginx.conf\n"), "{diff}");
    let codes: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["emit::stale", "emit::stale"]);
    // A build writes and lists what it wrote.
    let (code, doc, _) = json_of(tmp.path(), &["build", "api", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(
        doc["projects"][0]["files"]["written"],
        serde_json::json!(["Dockerfile", "nginx/nginx.conf"])
    );
    assert_eq!(
        doc["summary"],
        "1 project: 2 written, 49 unchanged, 0 pruned; 0 errors, 0 warnings"
    );
}

#[test]
fn stale_output_is_a_github_annotation_and_the_diff_goes_to_stderr() {
    let tmp = stale_project();
    let out = cfgen(tmp.path())
        .args(["build", "api", "--check", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout,
        "::error file=api/deploy/Dockerfile,line=1,col=1,endLine=1,endColumn=1,title=cfgen emit%3A%3Astale::generated file `api/deploy/Dockerfile` is stale%0Ahelp: run `cfgen build` and commit the result\n\
         ::error file=api/deploy/nginx/nginx.conf,line=1,col=1,endLine=1,endColumn=1,title=cfgen emit%3A%3Astale::generated file `api/deploy/nginx/nginx.conf` is missing%0Ahelp: run `cfgen build` and commit the result\n"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--- a/Dockerfile"), "{stderr}");
}

#[test]
fn sarif_for_code_scanning_and_junit_for_test_reports() {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::copy_example_inputs(&tmp.path().join("shop"));
    let path = tmp.path().join("shop/cfgen.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("accept:\n  - { code: rule::rpo, reason: replicated }\n");
    std::fs::write(&path, text).unwrap();
    let out = cfgen(tmp.path())
        .args(["validate", "shop", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "cfgen");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let results = run["results"].as_array().unwrap();
    // by file: backup.yaml (rpo), docker.yaml (two end-of-life images), logging.yaml,
    // scripts.yaml (the migration after the rollout)
    assert_eq!(results.len(), 5);
    let log = &results[3];
    assert_eq!(log["ruleId"], "rule::log-file-read-only");
    assert_eq!(log["level"], "warning");
    assert_eq!(
        log["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "shop/config/deployment/logging.yaml"
    );
    assert!(log.get("suppressions").is_none());
    assert_eq!(results[0]["ruleId"], "rule::rpo");
    assert_eq!(
        results[0]["suppressions"],
        serde_json::json!([{ "kind": "inSource", "justification": "replicated" }])
    );
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules[results[0]["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "rule::rpo"
    );

    std::fs::write(
        tmp.path().join("shop/config/deployment/backup.yaml"),
        "backup_config: 3\n",
    )
    .unwrap();
    let out = cfgen(tmp.path())
        .args(["validate", "shop", "--format", "junit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cfgen validate\" tests=\"1\" failures=\"1\" errors=\"0\">\n"), "{xml}");
    assert!(
        xml.contains(
            "<testcase classname=\"shop\" name=\"validate\">\n      <failure type=\"schema::type\""
        ),
        "{xml}"
    );
    assert!(
        xml.contains("shop/config/deployment/backup.yaml:1:16: error schema::type"),
        "{xml}"
    );
    assert!(xml.trim_end().ends_with("</testsuites>"), "{xml}");
}

#[test]
fn columns_are_characters_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    minimal_project(&tmp.path().join("api"));
    let path = tmp.path().join("api/cfgen.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "build: { runtime: python, entrypoint: \"app.main:app\" }",
        "build: { runtime: python, sources: [\"应用/\"], bogus: 1 }",
    );
    std::fs::write(&path, &text).unwrap();
    let line = text.lines().position(|l| l.contains("bogus")).unwrap() + 1;
    let column = text
        .lines()
        .nth(line - 1)
        .unwrap()
        .split("bogus")
        .next()
        .unwrap()
        .chars()
        .count()
        + 1;
    // In bytes it would be 49: each of the two CJK characters is three bytes.
    assert_eq!(column, 45);
    let place = format!("{line}:{column}");
    let run = |format: &str| {
        let out = cfgen(tmp.path())
            .args(["validate", "api", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (_, human) = run("human");
    assert!(
        human.contains(&format!("╭─[api/cfgen.yaml:{place}]")),
        "{human}"
    );
    let (json, _) = run("json");
    let json: Value = serde_json::from_str(&json).unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(line as u64), Some(column as u64))
    );
    let (github, _) = run("github");
    assert!(
        github.contains(&format!("line={line},col={column},")),
        "{github}"
    );
    let (sarif, _) = run("sarif");
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"].as_u64(), Some(column as u64));
    let (junit, _) = run("junit");
    assert!(
        junit.contains(&format!("api/cfgen.yaml:{place}: error")),
        "{junit}"
    );
}
