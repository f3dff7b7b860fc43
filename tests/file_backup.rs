//! File backups run for real: the generated `scripts/backup_files.sh` of examples/tasks (its
//! `web` process declares the data volume `uploads`) backs a folder up with restic, a restore
//! gives the same tree back without the excluded files, and a second run is incremental.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{cfgen, repo};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().expect("type").is_dir() {
            if entry.file_name() != "deploy" {
                copy_dir(&src, &dst);
            }
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// Every file under `root`, by relative path, with its bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_path_buf();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

fn dir_bytes(root: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let entry = entry.expect("entry");
            let meta = entry.metadata().expect("meta");
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}

/// Pseudo-random bytes (xorshift): incompressible, so a re-upload would show in the size.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

struct Restic {
    work: PathBuf,
}

impl Restic {
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("DATA_DIR", self.work.join("data"))
            .env("RESTIC_REPOSITORY", self.work.join("repo"))
            .env("RESTIC_PASSWORD_FILE", self.work.join("password"))
            .env("RESTIC_CACHE_DIR", self.work.join("cache"));
        cmd
    }

    fn run(&self, mut cmd: Command) -> String {
        let out = cmd
            .output()
            .expect("runs (restic is installed by .ci/install)");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "failed: {text}");
        text
    }

    fn backup(&self, script: &Path) -> String {
        let mut cmd = self.command("sh");
        cmd.arg(script);
        self.run(cmd)
    }

    fn restic(&self, args: &[&str]) -> String {
        let mut cmd = self.command("restic");
        cmd.args(args);
        self.run(cmd)
    }
}

#[test]
fn the_generated_file_backup_restores_the_tree_and_runs_incrementally() {
    let tmp = tempfile::tempdir().expect("tmp");
    let project = tmp.path().join("tasks");
    copy_dir(&repo().join("examples/tasks"), &project);
    let out = cfgen(&project)
        .args(["build", "."])
        .output()
        .expect("cfgen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = project.join("deploy/scripts/backup_files.sh");
    let text = std::fs::read_to_string(&script).expect("script");
    assert!(text.contains("--keep-within 90d --prune"), "{text}");
    assert!(text.contains(
        "restic -r /var/backups/tasks/files restore latest --tag files --target /restore"
    ));

    let work = tmp.path().join("work");
    let data = work.join("data/web-uploads");
    std::fs::create_dir_all(data.join("photos/2026")).expect("mkdir");
    std::fs::create_dir_all(data.join(".cache")).expect("mkdir");
    std::fs::write(data.join("photos/2026/cat.jpg"), noise(2 << 20, 7)).expect("write");
    std::fs::write(data.join("readme.txt"), "uploads\n").expect("write");
    // excluded by examples/tasks/config/deployment/backup.yaml: *.tmp, *.part, .cache
    std::fs::write(data.join("photos/upload.tmp"), "half").expect("write");
    std::fs::write(data.join("big.part"), "partial").expect("write");
    std::fs::write(data.join(".cache/thumb"), "cached").expect("write");
    std::fs::write(work.join("password"), "correct horse battery staple\n").expect("write");
    let r = Restic { work: work.clone() };

    let first = r.backup(&script);
    assert!(first.contains("initialising the repository"), "{first}");
    let after_first = dir_bytes(&work.join("repo"));

    // a second run after a small change: a new snapshot, a few KiB more, not the 2 MiB again
    std::fs::write(data.join("notes.txt"), "one more line\n").expect("write");
    let second = r.backup(&script);
    assert!(!second.contains("initialising"), "{second}");
    let grown = dir_bytes(&work.join("repo")) - after_first;
    eprintln!("repository: {after_first} bytes after the first run, +{grown} after the second");
    assert!(
        grown < 64 * 1024,
        "the second run added {grown} bytes: not incremental"
    );
    let snapshots: serde_json::Value =
        serde_json::from_str(&r.restic(&["snapshots", "--tag", "files", "--json"])).expect("json");
    assert_eq!(snapshots.as_array().map(Vec::len), Some(2), "{snapshots}");

    // another password (a compose host whose secrets were made again) is an error naming
    // it, and no second repository is initialised over the first
    std::fs::write(work.join("other-password"), "another one\n").expect("write");
    let mut cmd = r.command("sh");
    cmd.arg(&script)
        .env("RESTIC_PASSWORD_FILE", work.join("other-password"));
    let out = cmd.output().expect("sh");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("does not open the repository"), "{text}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("initialising"));

    // the documented restore: the newest snapshot under --target, without the excluded files
    let target = work.join("restore");
    r.restic(&[
        "restore",
        "latest",
        "--tag",
        "files",
        "--target",
        target.to_str().expect("utf-8"),
    ]);
    let restored = tree(&target.join("web-uploads"));
    let mut expected = tree(&data);
    for excluded in ["photos/upload.tmp", "big.part", ".cache/thumb"] {
        assert!(expected.remove(Path::new(excluded)).is_some(), "{excluded}");
    }
    assert_eq!(
        restored.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    assert!(restored == expected, "restored bytes differ");
}

#[test]
fn a_read_write_once_volume_on_many_replicas_is_a_located_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let project = tmp.path().join("tasks");
    copy_dir(&repo().join("examples/tasks"), &project);
    let manifest = project.join("cfgen.yaml");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(&manifest, text.replace(", access: ReadWriteMany", "")).expect("write");
    let out = cfgen(&project)
        .args(["validate", "."])
        .output()
        .expect("cfgen");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("volume `uploads` of process `web` is ReadWriteOnce, but the process runs 3"),
        "{err}"
    );
    assert!(err.contains("cfgen.yaml:22:24"), "{err}");
    assert!(err.contains("help: set `access: ReadWriteMany`"), "{err}");
}

#[test]
fn without_a_data_volume_the_file_values_stay_unused_with_the_reason() {
    let out = cfgen(&repo().join("examples/ecommerce"))
        .args(["build", ".", "--check", "--unused"])
        .output()
        .expect("cfgen");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    for key in [
        "frequency",
        "retention",
        "incremental",
        "exclude_patterns[0]",
    ] {
        assert!(
            text.contains(&format!(
                "`backup_config.files.{key}`: no process declares a data volume (processes.<name>.volumes)"
            )),
            "{key}: {text}"
        );
    }
}

#[test]
fn the_file_backup_artifacts_of_the_tasks_example() {
    let tmp = tempfile::tempdir().expect("tmp");
    let project = tmp.path().join("tasks");
    copy_dir(&repo().join("examples/tasks"), &project);
    let out = cfgen(&project)
        .args(["build", "."])
        .output()
        .expect("cfgen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for path in [
        "scripts/backup_files.sh",
        "k8s/production/cronjob-file-backup.yaml",
        "k8s/production/pvc-web-uploads.yaml",
        "k8s/production/pvc-file-backups.yaml",
    ] {
        let text = std::fs::read_to_string(project.join("deploy").join(path)).expect("generated");
        insta::with_settings!({ snapshot_suffix => path.replace('/', "__"), omit_expression => true }, {
            insta::assert_snapshot!(text);
        });
    }
}
