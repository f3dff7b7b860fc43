//! Every program a deploy job's scripts need is on the GitHub runner the job names or is
//! installed by a step of that job. The list of what they need is the one the job itself
//! checks first: `TOOLS` of `scripts/dependency_check.sh` (the steps' programs and what the
//! scripts call, e.g. rclone for the second backup site). A missing one passes every linter
//! and fails the first real deploy, so this is checked for every example that renders a
//! workflow, not for one project.

use std::collections::BTreeSet;
use std::path::Path;

/// What the `ubuntu-24.04` image of actions/runner-images has on the PATH among the
/// programs cfgen's scripts run (its Ubuntu 24.04 readme: kubectl and Kustomize under
/// "Tools", the MySQL 8.0 and PostgreSQL 16 clients, curl, jq, OpenSSL, Python 3). Not there:
/// `redis-cli` and `rclone`, which the jobs install.
const UBUNTU_2404: &[&str] = &[
    "bash",
    "curl",
    "docker",
    "find",
    "git",
    "gzip",
    "jq",
    "kubectl",
    "kustomize",
    "mysql",
    "mysqldump",
    "openssl",
    "pg_dump",
    "pg_restore",
    "psql",
    "python3",
    "sha256sum",
    "tar",
];

/// The programs of a Debian/Ubuntu package a job installs.
fn programs_of(package: &str) -> &'static [&'static str] {
    match package {
        "redis-tools" => &["redis-cli"],
        "rclone" => &["rclone"],
        "restic" => &["restic"],
        "postgresql-client" => &["psql", "pg_dump", "pg_restore"],
        other => panic!("a job installs the package {other}: say here which programs it has"),
    }
}

/// `readonly TOOLS=(a b c)` of dependency_check.sh.
fn tools(script: &str) -> Vec<String> {
    let line = script
        .lines()
        .find_map(|l| l.strip_prefix("readonly TOOLS=("))
        .expect("dependency_check.sh has `readonly TOOLS=(…)`");
    line.trim_end_matches(')')
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The jobs of a workflow (`jobs:` children, two-space indented), as (id, text).
fn jobs(workflow: &str) -> Vec<(String, String)> {
    let body = workflow
        .split_once("\njobs:\n")
        .expect("the workflow has `jobs:`")
        .1;
    let mut out: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        let id = line
            .strip_prefix("  ")
            .filter(|l| !l.starts_with(' ') && !l.starts_with('#'))
            .and_then(|l| l.strip_suffix(':'));
        match (id, out.last_mut()) {
            (Some(id), _) => out.push((id.to_owned(), String::new())),
            (None, Some((_, text))) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// What a job's steps install: apt packages' programs, and pytest where pip installs it.
fn installed(job: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in job.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("sudo apt-get install ") {
            for package in rest.split_whitespace().filter(|w| !w.starts_with('-')) {
                out.extend(programs_of(package).iter().map(|p| (*p).to_owned()));
            }
        }
        if line.contains("pip install") && line.split_whitespace().any(|w| w == "pytest") {
            out.insert("pytest".to_owned());
        }
    }
    out
}

fn check_project(project: &Path) -> usize {
    let workflows = project.join(".github/workflows");
    let Ok(entries) = std::fs::read_dir(&workflows) else {
        return 0;
    };
    let checker = project.join("deploy/scripts/dependency_check.sh");
    let mut checked = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let workflow = std::fs::read_to_string(&path).unwrap();
        for (id, job) in jobs(&workflow) {
            if !job.contains("deploy/scripts/deploy.sh") {
                continue;
            }
            let script = std::fs::read_to_string(&checker).unwrap_or_else(|e| {
                panic!(
                    "{}: job {id} runs deploy.sh but {}: {e}",
                    path.display(),
                    checker.display()
                )
            });
            let runs_on = job
                .lines()
                .find_map(|l| l.trim().strip_prefix("runs-on: "))
                .unwrap_or_else(|| panic!("{}: job {id} has no runs-on", path.display()));
            assert_eq!(
                runs_on,
                "ubuntu-24.04",
                "{}: job {id}: say here what that runner has",
                path.display()
            );
            let have = installed(&job);
            let missing: Vec<String> = tools(&script)
                .into_iter()
                .filter(|t| !UBUNTU_2404.contains(&t.as_str()) && !have.contains(t))
                .collect();
            assert!(
                missing.is_empty(),
                "{}: job {id} runs deploy.sh, whose dependency check needs {missing:?}: neither on ubuntu-24.04 nor installed by the job (it installs {have:?})",
                path.display()
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn every_program_a_deploy_job_needs_is_on_the_runner_or_installed_by_the_job() {
    let root = crate::common::repo().join("examples");
    let mut jobs = 0;
    let mut projects = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let project = entry.unwrap().path();
        let n = check_project(&project);
        if n > 0 {
            projects.push(project.file_name().unwrap().to_string_lossy().into_owned());
        }
        jobs += n;
    }
    projects.sort();
    // the examples with a deploy job and scripts (billing's is kubectl-only, tasks and
    // ecommerce run database clients, ecommerce rclone and redis-cli)
    assert!(jobs >= 6, "only {jobs} deploy jobs checked in {projects:?}");
    assert!(projects.contains(&"ecommerce".to_owned()), "{projects:?}");
}

#[test]
fn a_program_the_job_does_not_install_is_reported() {
    // the seed example's workflow as it was before the jobs installed rclone
    let example = crate::common::example();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    std::fs::create_dir_all(dir.path().join("deploy/scripts")).unwrap();
    let workflow =
        std::fs::read_to_string(example.join(".github/workflows/ecommerce-deploy.yml")).unwrap();
    assert!(workflow.contains("--no-install-recommends rclone "));
    std::fs::write(
        dir.path().join(".github/workflows/ecommerce-deploy.yml"),
        workflow.replace(
            "--no-install-recommends rclone ",
            "--no-install-recommends ",
        ),
    )
    .unwrap();
    std::fs::copy(
        example.join("deploy/scripts/dependency_check.sh"),
        dir.path().join("deploy/scripts/dependency_check.sh"),
    )
    .unwrap();
    let err = std::panic::catch_unwind(|| check_project(dir.path())).unwrap_err();
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains(r#"needs ["rclone"]"#), "{message}");
}
