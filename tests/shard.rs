//! `cfgen build --check --shard K/N`: the N shards of a monorepo hold every
//! project exactly once, the same ones on every run, and a K outside 1..=N is
//! a usage error from the argument parser.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn cfgen(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cfgen"));
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CFGEN_NO_CACHE", "1")
        .env("COLUMNS", "80");
    cmd
}

/// A monorepo of `n` minimal prebuilt-image projects under `services/`.
fn monorepo(root: &Path, n: usize) {
    for i in 0..n {
        let dir = root.join(format!("services/svc-{i:02}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("cfgen.yaml"),
            format!(
                "version: 2\nname: svc-{i:02}\nimage: registry.example.com/team/svc-{i:02}:1.0.0\n\
                 processes:\n  web:\n    port: 8080\ntargets: [kubernetes]\n\
                 environments:\n  production:\n    host: svc-{i:02}.example.com\n"
            ),
        )
        .unwrap();
    }
}

/// The projects a JSON report lists.
fn projects_of(out: &std::process::Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    report["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn shards_partition_the_projects_stably() {
    let tmp = tempfile::tempdir().unwrap();
    monorepo(tmp.path(), 12);
    let built = cfgen(tmp.path())
        .args(["build", "-q", "."])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let run = || {
            cfgen(tmp.path())
                .args([
                    "build", "--check", "--shard", &shard, "--format", "json", ".",
                ])
                .output()
                .unwrap()
        };
        let (first, second) = (run(), run());
        assert!(
            first.status.success(),
            "{}",
            String::from_utf8_lossy(&first.stderr)
        );
        assert_eq!(
            projects_of(&first),
            projects_of(&second),
            "shard {shard} is stable"
        );
        for p in projects_of(&first) {
            *seen.entry(p).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), 12, "{seen:?}");
    assert!(seen.values().all(|&n| n == 1), "{seen:?}");
    // The same project is in the same shard however the path is spelled.
    let direct = cfgen(tmp.path())
        .args([
            "build",
            "--check",
            "--shard",
            "1/1",
            "--format",
            "json",
            "./services",
        ])
        .output()
        .unwrap();
    assert_eq!(projects_of(&direct).len(), 12);
}

#[test]
fn shard_out_of_range_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    monorepo(tmp.path(), 1);
    for bad in ["0/2", "3/2", "1/0", "2", "x/2"] {
        let out = cfgen(tmp.path())
            .args(["build", "--check", "--shard", bad, "."])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--shard"), "{bad}: {stderr}");
    }
}
