//! The editor experience: the real `yaml-language-server` (npm 1.x, installed by `.ci/install`
//! into `tests/tools/node_modules`) run headless over stdio by `tests/tools/lsp-check.mjs`,
//! with the schema mapping of `.vscode/settings.json`, over the example and broken copies of
//! it. Missing tools fail the test: they are part of the test suite's install.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{copy_example_with_overlays, example, repo};

/// Bound on one server session (the script kills the server when it is reached); generous
/// because the server takes ~4 s to start on a busy 2-core machine.
const TIMEOUT_MS: &str = "45000";

/// A request to the language server: documents to open, completions and hovers to ask.
#[derive(Default)]
struct Session {
    open: Vec<PathBuf>,
    complete: Vec<(PathBuf, usize, usize)>,
    hover: Vec<(PathBuf, usize, usize)>,
}

/// What the server answered (the JSON object printed by lsp-check.mjs).
struct Answer(Value);

impl Session {
    fn run(&self, root: &Path) -> Answer {
        let script = repo().join("tests/tools/lsp-check.mjs");
        let server = repo().join("tests/tools/node_modules/.bin/yaml-language-server");
        match Command::new("node").arg("--version").output() {
            Ok(out) if out.status.success() => {}
            other => panic!("node is not available ({other:?}): run .ci/install"),
        }
        assert!(
            server.exists(),
            "{} is missing: run .ci/install (it installs yaml-language-server from tests/tools/package-lock.json)",
            server.display()
        );
        let mut cmd = Command::new("node");
        cmd.arg(&script)
            .arg("--root")
            .arg(root)
            .arg("--settings")
            .arg(repo().join(".vscode/settings.json"))
            .args(["--timeout", TIMEOUT_MS]);
        for file in &self.open {
            cmd.arg("--open").arg(file);
        }
        for (file, line, col) in &self.complete {
            cmd.arg("--complete")
                .arg(format!("{}:{line}:{col}", file.display()));
        }
        for (file, line, col) in &self.hover {
            cmd.arg("--hover")
                .arg(format!("{}:{line}:{col}", file.display()));
        }
        let out = cmd.output().expect("run node tests/tools/lsp-check.mjs");
        assert!(
            out.status.success(),
            "lsp-check.mjs failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let answer: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "lsp-check.mjs printed no JSON ({e}):\n{}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        let version = answer["server"]["package"].as_str().unwrap_or_default();
        assert!(
            version.starts_with("1."),
            "yaml-language-server {version}: 1.x expected (2.x needs Node 22)"
        );
        Answer(answer)
    }
}

impl Answer {
    fn diagnostics(&self, file: &Path) -> &[Value] {
        self.0["diagnostics"][file.to_str().unwrap()]
            .as_array()
            .unwrap_or_else(|| panic!("no diagnostics published for {}", file.display()))
    }

    fn completion_labels(&self, index: usize) -> Vec<&str> {
        self.0["completions"][index]["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect()
    }

    fn completion_doc(&self, index: usize, label: &str) -> Option<&str> {
        self.0["completions"][index]["items"]
            .as_array()?
            .iter()
            .find(|i| i["label"] == label)?["documentation"]
            .as_str()
    }

    fn hover(&self, index: usize) -> &str {
        self.0["hovers"][index]["contents"]
            .as_str()
            .unwrap_or_else(|| panic!("no hover: {}", self.0["hovers"][index]))
    }
}

/// Diagnostics as `line:char message` lines, for assertion messages.
fn show(diagnostics: &[Value]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  {}:{} {}", d["line"], d["character"], d["message"]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The 0-based line and column of the first occurrence of `needle` in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(n, line)| line.find(needle).map(|col| (n, col)))
        .unwrap_or_else(|| panic!("{needle:?} not found"))
}

/// A temp dir the settings' `**/...` globs can reach: yaml-language-server's globs do not
/// match a path with a hidden component, and `tempfile`'s default names are hidden (`.tmpXXX`).
fn visible_tempdir() -> tempfile::TempDir {
    let tmp = tempfile::Builder::new()
        .prefix("cfgen-editor-")
        .tempdir()
        .unwrap();
    let hidden = tmp.path().components().any(|c| {
        c.as_os_str()
            .to_str()
            .is_some_and(|c| c.starts_with('.') && c != "." && c != "..")
    });
    assert!(
        !hidden,
        "{}: a hidden folder in the temp path hides the files from the editor's schema globs; set TMPDIR to a visible folder",
        tmp.path().display()
    );
    tmp
}

/// The schema `.vscode/settings.json` maps `file` to, as (its path in the settings, its title).
fn expected_schema(file: &Path) -> (String, String) {
    let settings = std::fs::read_to_string(repo().join(".vscode/settings.json")).unwrap();
    let settings: Value = serde_json::from_str(&settings).unwrap();
    let file = file.to_str().unwrap();
    let matches: Vec<&String> = settings["yaml.schemas"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, globs)| {
            globs.as_array().unwrap().iter().any(|g| {
                let g = g.as_str().unwrap();
                let tail = g.strip_prefix("**/").expect("globs of the form **/path");
                // Each segment of the tail matches one of the file's last ones (`*`: any).
                let want: Vec<&str> = tail.split('/').collect();
                let have: Vec<&str> = file.rsplit('/').take(want.len()).collect();
                have.len() == want.len()
                    && want
                        .iter()
                        .rev()
                        .zip(&have)
                        .all(|(w, h)| *w == "*" || w == h)
            })
        })
        .map(|(schema, _)| schema)
        .collect();
    assert_eq!(matches.len(), 1, "{file}: mapped to {matches:?}");
    let text = std::fs::read_to_string(repo().join(matches[0])).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    (
        matches[0].clone(),
        schema["title"].as_str().unwrap().to_owned(),
    )
}

/// The example's input files: the manifest, `config/deployment/*.yaml` and the
/// environments' overlays `config/environments/*/*.yaml`.
fn input_files(project: &Path) -> Vec<PathBuf> {
    let mut files = vec![project.join("cfgen.yaml")];
    let mut config: Vec<PathBuf> = walkdir::WalkDir::new(project.join("config"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    config.sort();
    files.extend(config);
    files
}

/// A schema description, read from the committed schema (so the test follows the model).
fn description(schema: &str, pointer: &str) -> String {
    let path = repo().join("schema").join(schema);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    schema
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no description at {pointer}"))
        .to_owned()
}

/// The ten valid files of the example get no diagnostic, and the silence means something: the
/// server associates each with the schema `.vscode/settings.json` maps it to (and read its
/// title), and a copy of each with one unknown top-level key gets exactly that key reported,
/// so every schema is really loaded and applied (the server treats an unreadable schema as
/// empty without saying so).
#[test]
fn example_is_clean_and_every_schema_applies() {
    let valid = input_files(&example());
    let mappings = {
        let settings = std::fs::read_to_string(repo().join(".vscode/settings.json")).unwrap();
        let settings: Value = serde_json::from_str(&settings).unwrap();
        settings["yaml.schemas"].as_object().unwrap().len()
    };
    assert_eq!(valid.len(), 13, "{valid:?}");
    assert_eq!(
        mappings, 19,
        "one schema mapping per input file, and one per overlay file"
    );

    let tmp = visible_tempdir();
    let probe_dir = tmp.path().join("proj");
    copy_example_with_overlays(&probe_dir);
    let probes = input_files(&probe_dir);
    for file in &probes {
        let mut text = std::fs::read_to_string(file).unwrap();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("cfgen_editor_probe: true\n");
        std::fs::write(file, text).unwrap();
    }

    let session = Session {
        open: valid.iter().chain(&probes).cloned().collect(),
        ..Session::default()
    };
    let answer = session.run(&repo());

    let mut problems = Vec::new();
    for file in valid.iter().chain(&probes) {
        let (schema, title) = expected_schema(file);
        let applied = &answer.0["applied"][file.to_str().unwrap()];
        // The URI the script sent for that schema (absolute, from the same settings).
        let uri = answer.0["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .find(|uri| uri.ends_with(schema.trim_start_matches('.')));
        let ok =
            uri.is_some_and(|uri| *applied == serde_json::json!([{ "uri": uri, "name": title }]));
        if !ok {
            problems.push(format!(
                "{}: the server associates {applied}, not only {schema} ({title})",
                file.display()
            ));
        }
    }
    for file in &valid {
        let d = answer.diagnostics(file);
        if !d.is_empty() {
            problems.push(format!("{} (valid):\n{}", file.display(), show(d)));
        }
    }
    for file in &probes {
        let d = answer.diagnostics(file);
        let last_line = std::fs::read_to_string(file).unwrap().lines().count() - 1;
        let reported = d.len() == 1
            && d[0]["line"] == last_line
            && d[0]["message"] == "Property cfgen_editor_probe is not allowed.";
        if !reported {
            problems.push(format!(
                "{}: the unknown key on line {last_line} is not (only) what is reported, so the schema is not applied:\n{}",
                file.display(),
                show(d)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A typo in a key and a wrong enum value are reported on their own lines; completion inside
/// `docker_config.build` offers the build keys; hover on a key shows the schema's description.
#[test]
fn typos_wrong_values_completion_and_hover() {
    let tmp = visible_tempdir();
    let src = example().join("config/deployment");

    // Invalid copies, under paths the globs match.
    let broken = tmp.path().join("broken/config/deployment");
    std::fs::create_dir_all(&broken).unwrap();
    let docker_text = std::fs::read_to_string(src.join("docker.yaml")).unwrap();
    let typo_text = docker_text.replacen("multi_stage: true", "multi_stag: true", 1);
    assert_ne!(typo_text, docker_text);
    let typo = broken.join("docker.yaml");
    std::fs::write(&typo, &typo_text).unwrap();
    let k8s_text = std::fs::read_to_string(src.join("kubernetes.yaml")).unwrap();
    let enum_text = k8s_text.replacen(
        "service_type: \"ClusterIP\"",
        "service_type: \"ClusterIp\"",
        1,
    );
    assert_ne!(enum_text, k8s_text);
    let wrong_enum = broken.join("kubernetes.yaml");
    std::fs::write(&wrong_enum, &enum_text).unwrap();

    // A docker.yaml whose `build:` block is being written: one empty, indented line.
    let editing = tmp.path().join("editing/config/deployment");
    std::fs::create_dir_all(&editing).unwrap();
    let (build_line, build_col) = position(&docker_text, "build:");
    let mut lines: Vec<&str> = docker_text.lines().collect();
    let body_indent = " ".repeat(build_col + 2);
    let body_end = (build_line + 1..lines.len())
        .find(|&n| !lines[n].trim().is_empty() && !lines[n].starts_with(&body_indent))
        .unwrap_or(lines.len());
    lines.splice(build_line + 1..body_end, [body_indent.as_str(), ""]);
    let completing = editing.join("docker.yaml");
    std::fs::write(&completing, lines.join("\n") + "\n").unwrap();

    // Hover on keys of the valid example.
    let docker = src.join("docker.yaml");
    let (multi_line, multi_col) = position(&docker_text, "multi_stage:");
    let (top_line, top_col) = position(&docker_text, "docker_config:");

    let session = Session {
        open: vec![typo.clone(), wrong_enum.clone()],
        complete: vec![(completing.clone(), build_line + 1, body_indent.len())],
        hover: vec![
            (docker.clone(), multi_line, multi_col + 2),
            (docker.clone(), top_line, top_col + 2),
        ],
    };
    let answer = session.run(tmp.path());

    // (b) the typo: reported on its line and column, plus the now missing `multi_stage` on
    // `build:`, and nothing else.
    let d = answer.diagnostics(&typo);
    let (typo_line, typo_col) = position(&typo_text, "multi_stag:");
    assert!(
        d.iter().any(|d| d["line"] == typo_line
            && d["character"] == typo_col
            && d["message"] == "Property multi_stag is not allowed."),
        "typo on line {typo_line} not reported:\n{}",
        show(d)
    );
    assert!(
        d.iter()
            .all(|d| d["line"] == typo_line || d["line"] == build_line),
        "diagnostics away from the typo:\n{}",
        show(d)
    );

    // (b) the wrong enum value: one diagnostic, on the value, listing the accepted values.
    let d = answer.diagnostics(&wrong_enum);
    let (enum_line, enum_col) = position(&enum_text, "\"ClusterIp\"");
    let values = ["\"ClusterIP\"", "\"NodePort\"", "\"LoadBalancer\""];
    let lists_values = |m: &Value| {
        m.as_str()
            .is_some_and(|m| values.iter().all(|v| m.contains(v)))
    };
    assert!(
        d.len() == 1
            && d[0]["line"] == enum_line
            && d[0]["character"] == enum_col
            && lists_values(&d[0]["message"]),
        "wrong service_type on line {enum_line}: expected one diagnostic listing the values:\n{}",
        show(d)
    );

    // (c) completion inside `docker_config.build`: its keys, documented, and no key of
    // another level.
    let labels = answer.completion_labels(0);
    for key in [
        "multi_stage",
        "layer_caching",
        "security_scanning",
        "size_optimization",
    ] {
        assert!(labels.contains(&key), "{key} not offered: {labels:?}");
    }
    for key in ["base_images", "runtime", "docker_config", "python"] {
        assert!(
            !labels.contains(&key),
            "{key} offered inside build: {labels:?}"
        );
    }
    let multi_stage = description(
        "docker.schema.json",
        "/$defs/Build/properties/multi_stage/description",
    );
    assert_eq!(
        answer.completion_doc(0, "multi_stage"),
        Some(multi_stage.as_str())
    );

    // (d) hover shows the description from our schema.
    assert!(
        answer.hover(0).contains(&multi_stage),
        "hover on multi_stage: {:?}",
        answer.hover(0)
    );
    let docker_config = description(
        "docker.schema.json",
        "/properties/docker_config/description",
    );
    assert!(
        answer.hover(1).contains(&docker_config),
        "hover on docker_config: {:?}",
        answer.hover(1)
    );
}
