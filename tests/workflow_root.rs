//! The deploy workflow at the repository root (`<root>/.github/workflows/<name>-deploy.yml`):
//! a monorepo's projects each get their own, with their own `paths:` and working directory;
//! the one file cfgen writes outside a project folder is confined like every other.

use std::path::Path;

use crate::common::{MINIMAL_MANIFEST, cfgen};

/// A project named `name` in `root/rel`, with `extra` appended to its manifest.
fn project(root: &Path, rel: &str, name: &str, extra: &str) {
    let dir = root.join(rel);
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = MINIMAL_MANIFEST.replace("name: api", &format!("name: {name}"));
    std::fs::write(dir.join("cfgen.yaml"), format!("{manifest}{extra}")).unwrap();
}

/// A temp folder that is a repository root (its `.git` a folder).
fn repository() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    tmp
}

/// Runs cfgen in `dir`; returns the exit code and stdout with stderr.
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = cfgen(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn workflow(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    cfgen::verify::parse_yaml("workflow", &text).unwrap()
}

#[test]
fn a_monorepo_gets_one_workflow_per_project_at_its_root() {
    let tmp = repository();
    let root = tmp.path();
    project(root, "services/a", "a", "");
    // b's image builds from the folder above it (a shared library beside it)
    project(root, "services/b", "b", "");
    let b = root.join("services/b/cfgen.yaml");
    let text = std::fs::read_to_string(&b).unwrap().replace(
        "entrypoint: \"app.main:app\" }",
        "entrypoint: \"app.main:app\", context: \"..\" }",
    );
    std::fs::write(&b, text).unwrap();
    let (code, err) = run(root, &["build", "services/a", "services/b"]);
    assert_eq!(code, 0, "{err}");
    assert!(!root.join("services/a/deploy/.github/workflows").exists());
    let a = workflow(&root.join(".github/workflows/a-deploy.yml"));
    let b = workflow(&root.join(".github/workflows/b-deploy.yml"));
    assert_eq!(a["defaults"]["run"]["working-directory"], "services/a");
    assert_eq!(b["defaults"]["run"]["working-directory"], "services/b");
    assert_eq!(
        a["on"]["push"]["paths"],
        serde_json::json!(["services/a/**", ".github/workflows/a-deploy.yml"])
    );
    assert_eq!(
        b["on"]["push"]["paths"],
        serde_json::json!([
            "services/b/**",
            ".github/workflows/b-deploy.yml",
            "services/**"
        ])
    );
    let step = |w: &serde_json::Value| {
        w["jobs"]["build"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "push")
            .unwrap()["with"]
            .clone()
    };
    // `uses:` steps resolve from the root; `run:` steps from the working directory
    assert_eq!(step(&a)["context"], "services/a");
    assert_eq!(step(&a)["file"], "services/a/deploy/Dockerfile");
    assert_eq!(step(&b)["context"], "services");
    assert_eq!(step(&b)["file"], "services/b/deploy/Dockerfile");
    assert_eq!(
        a["jobs"]["deploy-staging"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Deploy to staging")
            .unwrap()["run"],
        "deploy/scripts/deploy.sh staging"
    );
    assert!(root.join("services/a/deploy/scripts/deploy.sh").is_file());
    // recorded in the project's own manifest, relative to its output folder
    let record = std::fs::read_to_string(root.join("services/a/deploy/.cfgen-manifest")).unwrap();
    assert!(
        record.contains(" 644 ../../../.github/workflows/a-deploy.yml\n"),
        "{record}"
    );
    let (code, err) = run(root, &["build", "--check", "services/a", "services/b"]);
    assert_eq!(code, 0, "{err}");

    // an edited root workflow is stale for --check, and the next build repairs it
    let path = root.join(".github/workflows/a-deploy.yml");
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        original.replace("timeout-minutes: 30", "timeout-minutes: 31"),
    )
    .unwrap();
    let (code, err) = run(root, &["build", "--check", "services/a"]);
    assert_eq!(code, 1, "{err}");
    // the diff's paths are relative to the output folder, as for every other file
    assert!(
        err.contains("--- a/../../../.github/workflows/a-deploy.yml\n"),
        "{err}"
    );
    let (code, err) = run(root, &["build", "services/a"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);

    // renamed, the project's old workflow (unchanged since cfgen wrote it) is pruned
    let a_manifest = root.join("services/a/cfgen.yaml");
    let text = std::fs::read_to_string(&a_manifest).unwrap();
    std::fs::write(&a_manifest, text.replace("name: a", "name: alpha")).unwrap();
    let (code, err) = run(root, &["build", "services/a"]);
    assert_eq!(code, 0, "{err}");
    assert!(!path.exists());
    assert!(root.join(".github/workflows/alpha-deploy.yml").is_file());
    assert!(root.join(".github/workflows/b-deploy.yml").is_file());
}

/// The errors of a failed run, as (code, file, line) from `--format json`.
fn errors(dir: &Path, args: &[&str]) -> (i32, Vec<(String, String, u64)>) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = cfgen(dir).args(["build"]).args(&all).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let mut found = Vec::new();
    let mut push = |d: &serde_json::Value| {
        if d["severity"] == "error" {
            found.push((
                d["code"].as_str().unwrap_or_default().to_owned(),
                d["file"].as_str().unwrap_or_default().to_owned(),
                d["line"].as_u64().unwrap_or_default(),
            ));
        }
    };
    for d in report["diagnostics"].as_array().into_iter().flatten() {
        push(d);
    }
    for p in report["projects"].as_array().into_iter().flatten() {
        for d in p["diagnostics"].as_array().into_iter().flatten() {
            push(d);
        }
    }
    (out.status.code().unwrap_or(-1), found)
}

#[test]
fn a_repository_root_that_is_not_an_ancestor_inside_the_repository_is_a_located_error() {
    let tmp = repository();
    let root = tmp.path();
    for (value, rel) in [("../..", "api"), ("sub", "api2"), ("/", "api3")] {
        project(
            root,
            rel,
            "api",
            &format!("workflow: {{ repository_root: \"{value}\" }}\n"),
        );
        let (code, found) = errors(root, &[rel]);
        assert_eq!(code, 1, "{value}");
        assert_eq!(
            found,
            [(
                "rule::workflow-root".to_owned(),
                format!("{rel}/cfgen.yaml"),
                10
            )],
            "{value}"
        );
        assert!(!root.join(rel).join("deploy").exists());
    }
    assert!(!root.join(".github").exists());
    // without a repository, nothing bounds a climb above the project
    let bare = tempfile::tempdir().unwrap();
    project(
        bare.path(),
        "api",
        "api",
        "workflow: { repository_root: \"..\" }\n",
    );
    let (code, found) = errors(bare.path(), &["api"]);
    assert_eq!(code, 1);
    assert_eq!(found[0].0, "rule::workflow-root");
    assert!(!bare.path().join(".github").exists());
}

#[test]
fn a_symlinked_github_folder_is_a_located_error_and_nothing_is_written_through_it() {
    let tmp = repository();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), tmp.path().join(".github")).unwrap();
    project(tmp.path(), "api", "api", "");
    let (code, found) = errors(tmp.path(), &["api"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [(
            "rule::workflow-path".to_owned(),
            "api/cfgen.yaml".to_owned(),
            2
        )]
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    // a symlinked workflows folder, too
    std::fs::remove_file(tmp.path().join(".github")).unwrap();
    std::fs::create_dir(tmp.path().join(".github")).unwrap();
    std::os::unix::fs::symlink(outside.path(), tmp.path().join(".github/workflows")).unwrap();
    let (code, found) = errors(tmp.path(), &["api"]);
    assert_eq!((code, found[0].0.as_str()), (1, "rule::workflow-path"));
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn a_hand_written_workflow_of_the_same_name_is_not_overwritten() {
    let tmp = repository();
    let workflows = tmp.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    let mine = "name: mine\non: push\njobs: {}\n";
    std::fs::write(workflows.join("api-deploy.yml"), mine).unwrap();
    project(tmp.path(), "api", "api", "");
    let (code, found) = errors(tmp.path(), &["api"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [(
            "emit::foreign-workflow".to_owned(),
            "api/cfgen.yaml".to_owned(),
            2
        )]
    );
    assert_eq!(
        std::fs::read_to_string(workflows.join("api-deploy.yml")).unwrap(),
        mine
    );
    assert!(
        !tmp.path().join("api/deploy").exists(),
        "a failed build writes nothing"
    );
}

#[test]
fn two_projects_with_one_workflow_file_are_a_located_error() {
    let tmp = repository();
    project(tmp.path(), "one/api", "api", "");
    project(tmp.path(), "two/api", "api", "");
    let (code, found) = errors(tmp.path(), &["one/api", "two/api"]);
    assert_eq!(code, 1);
    let mut files: Vec<(String, String, u64)> = found;
    files.sort();
    assert_eq!(
        files,
        [
            (
                "emit::workflow-collision".to_owned(),
                "one/api/cfgen.yaml".to_owned(),
                2
            ),
            (
                "emit::workflow-collision".to_owned(),
                "two/api/cfgen.yaml".to_owned(),
                2
            ),
        ]
    );
    assert!(!tmp.path().join(".github").exists());
    assert!(!tmp.path().join("one/api/deploy").exists());
}

/// A `.cfgen-manifest` entry that climbs out of the repository is refused at its line, and
/// the file it names stays, though its hash and header match.
#[test]
fn a_manifest_entry_leading_out_of_the_repository_deletes_nothing() {
    let outer = tempfile::tempdir().unwrap();
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    project(&repo, "api", "api", "");
    let (code, err) = run(&repo, &["build", "api"]);
    assert_eq!(code, 0, "{err}");
    let victim = outer.path().join(".github/workflows/x.yml");
    std::fs::create_dir_all(victim.parent().unwrap()).unwrap();
    let content = "# Generated by cfgen\nname: x\n";
    std::fs::write(&victim, content).unwrap();
    let record = repo.join("api/deploy/.cfgen-manifest");
    let mut text = std::fs::read_to_string(&record).unwrap();
    let hash = cfgen::emit::record::hash(content.as_bytes());
    text.push_str(&format!("{hash} 644 ../../../.github/workflows/x.yml\n"));
    std::fs::write(&record, text).unwrap();
    let (code, found) = errors(&repo, &["api"]);
    assert_eq!(code, 1);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "emit::manifest-entry");
    assert!(
        found[0].1.ends_with("api/deploy/.cfgen-manifest"),
        "{found:?}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), content);
}

/// `cfgen explain` finds the repository-root workflow's project and the value of a line.
#[test]
fn explain_reads_the_root_workflow() {
    let root = crate::common::repo();
    let rel = "examples/ecommerce/.github/workflows/ecommerce-deploy.yml";
    let text = std::fs::read_to_string(root.join(rel)).unwrap();
    let line = text
        .lines()
        .position(|l| l.trim() == "cache-to: type=gha,mode=max")
        .unwrap()
        + 1;
    let (code, out) = run(&root, &["explain", &format!("{rel}:{line}")]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "config/deployment/docker.yaml:12:20 `docker_config.build.layer_caching` = true"
        ),
        "{out}"
    );
}
