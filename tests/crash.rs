//! Crash consistency and concurrent builds: a build killed with SIGKILL at any
//! point leaves a state the next build repairs without complaint (and
//! `--check` then agrees); two builds of one project at once are serialised
//! by the output folder's lock, and both succeed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::copy_example_inputs;
use crate::hardening::cfgen;

/// Rewrites `p/cfgen.yaml` to variant `k`: production's replicas change and,
/// on odd variants, the staging environment is gone (its files are pruned).
fn variant(project: &Path, k: usize) {
    let path = project.join("cfgen.yaml");
    let base = std::fs::read_to_string(crate::common::example().join("cfgen.yaml")).unwrap();
    let mut text = base.replace(
        "    replicas: 3\n",
        &format!("    replicas: {}\n", 3 + k % 3),
    );
    if k % 2 == 1 {
        let start = text.find("  staging:").unwrap();
        let end = text.find("  production:").unwrap();
        text.replace_range(start..end, "");
    }
    std::fs::write(path, text).unwrap();
}

/// Files under `dir` whose name marks them as cfgen's bookkeeping of a running build.
fn leftovers(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| {
            let name = e.file_name().to_string_lossy();
            name.starts_with(cfgen::emit::TEMP_PREFIX) || name == cfgen::emit::LOCK_NAME
        })
        .map(|e| e.path().display().to_string())
        .collect()
}

/// Every file of `deploy` is listed in its manifest, and every listed file exists.
fn manifest_matches_disk(deploy: &Path) {
    let text = std::fs::read_to_string(deploy.join(cfgen::emit::MANIFEST_NAME)).unwrap();
    let record = cfgen::emit::record::parse(&text);
    assert!(record.bad.is_empty());
    let on_disk: std::collections::BTreeSet<String> = walkdir::WalkDir::new(deploy)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(deploy).unwrap().display().to_string())
        .filter(|p| p != cfgen::emit::MANIFEST_NAME)
        .collect();
    // the repository-root workflow (`../.github/workflows/…`) is listed too, outside `deploy`
    let (root, listed): (Vec<String>, Vec<String>) = record
        .entries
        .keys()
        .cloned()
        .partition(|p| p.starts_with("../"));
    let listed: std::collections::BTreeSet<String> = listed.into_iter().collect();
    assert_eq!(on_disk, listed, "{}", deploy.display());
    for path in root {
        assert!(deploy.join(&path).is_file(), "{path}");
    }
    for (path, entry) in &record.entries {
        assert_eq!(entry.hashes.len(), 1, "{path}: write-ahead entry left");
    }
}

/// A small deterministic generator for kill delays (no dependency on `rand`).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[test]
fn sigkill_at_random_points_of_a_50_project_build_is_repaired_by_the_next_build() {
    let tmp = tempfile::tempdir().unwrap();
    let projects: Vec<_> = (0..50)
        .map(|i| tmp.path().join(format!("p{i:02}")))
        .collect();
    for p in &projects {
        copy_example_inputs(p);
    }
    let start = Instant::now();
    let out = cfgen(tmp.path(), &["build", "."]);
    assert_eq!(out.status.code(), Some(0));
    let full = start.elapsed();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut rng = Lcg(seed);
    let mut interrupted = 0;
    let mut untidy = 0;
    for trial in 1..=6 {
        for p in &projects {
            variant(p, trial);
        }
        // Anywhere from validation to the last manifest write (writes come last).
        let fraction = 20 + rng.next() % 80;
        let delay = full * u32::try_from(fraction).unwrap() / 100;
        let mut child = Command::new(env!("CARGO_BIN_EXE_cfgen"))
            .args(["build", "."])
            .env("CFGEN_NO_CACHE", "1")
            .current_dir(tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let killed = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        child.wait().unwrap();
        let left = leftovers(tmp.path());
        interrupted += usize::from(killed);
        untidy += usize::from(!left.is_empty());
        let out = cfgen(tmp.path(), &["build", "."]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(0),
            "seed {seed}, trial {trial}, killed after {delay:?} (left {left:?}):\n{stderr}"
        );
        assert!(!stderr.contains("refusing"), "seed {seed}: {stderr}");
        assert!(
            !stderr.contains("in place although cfgen no longer generates it"),
            "seed {seed}: {stderr}"
        );
        let out = cfgen(tmp.path(), &["build", "--check", "."]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "seed {seed}, trial {trial}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
        for p in &projects {
            manifest_matches_disk(&p.join("deploy"));
        }
    }
    eprintln!(
        "{interrupted} of 6 builds were killed while running, {untidy} left temporary or lock files (seed {seed})"
    );
}

#[test]
fn concurrent_builds_of_one_project_are_serialised_and_both_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("p");
    copy_example_inputs(&project);
    let out = cfgen(tmp.path(), &["build", "p"]);
    assert_eq!(out.status.code(), Some(0));
    let mut waited = 0;
    for pair in 1..=10 {
        // Each pair prunes (staging comes and goes) and rewrites.
        variant(&project, pair);
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_cfgen"))
                .args(["build", "p"])
                .current_dir(tmp.path())
                .env("NO_COLOR", "1")
                .env("CFGEN_NO_CACHE", "1")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let deadline = Instant::now() + Duration::from_secs(120);
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            waited += usize::from(String::from_utf8_lossy(&out.stderr).contains("waiting for it"));
            assert!(
                Instant::now() < deadline,
                "pair {pair}: builds took over 120 s"
            );
            assert_eq!(
                out.status.code(),
                Some(0),
                "pair {pair}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = cfgen(tmp.path(), &["build", "--check", "p"]);
        assert_eq!(out.status.code(), Some(0), "pair {pair}");
        assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
        manifest_matches_disk(&project.join("deploy"));
    }
    eprintln!("in {waited} of 10 pairs one build waited for the other's lock");
}
