//! The incremental-build cache: a cached run gives byte-identical output, diagnostics and
//! unused report to an uncached one, renders exactly the projects whose inputs changed,
//! and falls back to the full path on any doubt (a corrupt record, an edited output file,
//! another build id, an interrupted build). Every run here has a cache folder of its
//! own test (`CFGEN_CACHE_DIR`), never the user's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

/// `cfgen ARGS` in `dir` with the cache in `cache` (or none).
fn run(dir: &Path, cache: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = crate::common::cfgen(dir);
    if let Some(cache) = cache {
        cmd.env_remove("CFGEN_NO_CACHE")
            .env("CFGEN_CACHE_DIR", cache);
    }
    cmd.args(args).output().unwrap()
}

/// Stderr without the cache's part of the summary line, and how many projects were
/// rendered (`None` without that part).
fn split(out: &Output) -> (String, Option<usize>) {
    let text = String::from_utf8(out.stderr.clone()).unwrap();
    let mut rendered = None;
    let mut lines = Vec::new();
    for line in text.lines() {
        match line.split_once("; ").and_then(|_| line.rsplit_once("; ")) {
            Some((head, tail)) if tail.ends_with(" from the cache") => {
                let n = tail.split(' ').next().unwrap().replace(',', "");
                rendered = Some(n.parse().unwrap());
                lines.push(head.to_owned());
            }
            _ => lines.push(line.to_owned()),
        }
    }
    (lines.join("\n"), rendered)
}

/// Every file below `dir` (path → bytes).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap().to_path_buf();
            files.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
    files
}

/// A copy of the example (its inputs and overlays) as project `name` of `root`, with
/// `seed` varying its values so no two projects render the same text.
fn example_project(root: &Path, name: &str, seed: usize) {
    let dir = root.join(name);
    crate::common::copy_example_with_overlays(&dir);
    let manifest = std::fs::read_to_string(dir.join("cfgen.yaml")).unwrap();
    let manifest = manifest
        .replace("port: 8000", &format!("port: {}", 8000 + seed))
        .replace(
            "host: api.ecommerce.com",
            &format!("host: {name}.example.com"),
        );
    std::fs::write(dir.join("cfgen.yaml"), manifest).unwrap();
}

/// A small deterministic generator (no dependency on `rand`).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// What one edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    /// Changed an input (or nothing: a touch).
    Input,
    /// Edited a generated file by hand.
    Output,
}

/// One random edit of project `p` in both copies.
fn edit(rng: &mut Lcg, roots: [&Path; 2], p: &str, round: usize) -> Edit {
    let kind = rng.below(7);
    let value = rng.below(50);
    for root in roots {
        let dir = root.join(p);
        let append = |rel: &str, text: &str| {
            let path = dir.join(rel);
            let mut old = std::fs::read_to_string(&path).unwrap();
            old.push_str(text);
            std::fs::write(&path, old).unwrap();
        };
        let replace_line = |rel: &str, starts: &str, with: &str| {
            let path = dir.join(rel);
            let old = std::fs::read_to_string(&path).unwrap();
            let new: Vec<String> = old
                .lines()
                .map(|l| {
                    if l.trim_start().starts_with(starts) {
                        let indent = &l[..l.len() - l.trim_start().len()];
                        format!("{indent}{with}")
                    } else {
                        l.to_owned()
                    }
                })
                .collect();
            std::fs::write(&path, new.join("\n") + "\n").unwrap();
        };
        match kind {
            // A value of the manifest (every artifact of the port changes; the same value
            // twice gives the inputs of an earlier record back).
            0 => replace_line(
                "cfgen.yaml",
                "port:",
                &format!("port: {}", 8100 + value % 4),
            ),
            // A comment: no output changes, yet the inputs did.
            1 => append(
                "config/deployment/kubernetes.yaml",
                &format!("# round {round}\n"),
            ),
            // An overlay.
            2 => append(
                "config/environments/dev/kubernetes.yaml",
                &format!("# overlay edit {round}.{value}\n"),
            ),
            // An error: the run fails and writes nothing (until a later kind 0).
            3 => replace_line("cfgen.yaml", "port:", "port: not-a-port"),
            // A generated file edited by hand: the next build rewrites it.
            4 => append("deploy/k8s/dev/configmap.yaml", "# hand edit\n"),
            // A generated file touched: its status changed, its content not.
            5 => {
                let f = std::fs::File::options()
                    .append(true)
                    .open(dir.join("deploy/k8s/dev/configmap.yaml"))
                    .unwrap();
                f.set_modified(std::time::SystemTime::now()).unwrap();
            }
            // A new file in the project folder (a build may probe for any).
            _ => std::fs::write(dir.join(format!("notes-{round}.txt")), "x").unwrap(),
        }
    }
    if kind == 4 { Edit::Output } else { Edit::Input }
}

/// A project's inputs: every file of its folder but its output.
fn inputs(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    tree(dir)
        .into_iter()
        .filter(|(p, _)| !p.starts_with("deploy"))
        .collect()
}

#[test]
fn random_edits_give_the_same_output_and_diagnostics_cached_as_uncached_and_render_only_the_edited()
{
    for seed in [1_u64, 12] {
        let tmp = tempfile::tempdir().unwrap();
        let (cached, plain, cache) = (
            tmp.path().join("cached"),
            tmp.path().join("plain"),
            tmp.path().join("cache"),
        );
        let names: Vec<String> = (0..3).map(|i| format!("svc-{i}")).collect();
        for root in [&cached, &plain] {
            for (i, name) in names.iter().enumerate() {
                example_project(root, name, i);
            }
        }
        let mut rng = Lcg(seed);
        // Each project's inputs when the cache last recorded it, and the projects whose
        // output was edited by hand since.
        let mut recorded: BTreeMap<String, BTreeMap<PathBuf, Vec<u8>>> = BTreeMap::new();
        let mut hand_edited = std::collections::BTreeSet::new();
        for round in 0..6 {
            if round > 0 {
                for _ in 0..rng.below(3) {
                    let p = &names[usize::try_from(rng.below(3)).unwrap()];
                    if edit(&mut rng, [&cached, &plain], p, round) == Edit::Output {
                        hand_edited.insert(p.clone());
                    }
                }
            }
            // Exactly these differ from what the cache recorded.
            let expected: Vec<&String> = names
                .iter()
                .filter(|n| {
                    hand_edited.contains(*n) || recorded.get(*n) != Some(&inputs(&cached.join(n)))
                })
                .collect();
            let check = round > 1 && rng.below(3) == 0;
            let args: &[&str] = if check {
                &["build", "--check", "--unused", "."]
            } else {
                &["build", "--unused", "."]
            };
            let a = run(&cached, Some(&cache), args);
            let b = run(&plain, None, args);
            let (a_err, rendered) = split(&a);
            let (b_err, none) = split(&b);
            let what = format!("seed {seed}, round {round}, {args:?}, expected {expected:?}");
            assert_eq!(a.status.code(), b.status.code(), "{what}\n{a_err}\n{b_err}");
            assert_eq!(a_err, b_err, "{what}");
            assert_eq!(a.stdout, b.stdout, "{what}");
            assert_eq!(none, None, "{what}");
            assert!(tree(&cached) == tree(&plain), "{what}: the files differ");
            assert_eq!(rendered, Some(expected.len()), "{what}\n{a_err}");
            let mut ok = a.status.success();
            if check && !ok {
                // A stale check leaves the folder as it is: build both copies.
                let a = run(&cached, Some(&cache), &["build", "."]);
                let b = run(&plain, None, &["build", "."]);
                assert_eq!(
                    split(&a).0,
                    split(&b).0,
                    "{what}: the build after the check"
                );
                assert!(
                    tree(&cached) == tree(&plain),
                    "{what}: the build after the check"
                );
                ok = a.status.success();
            }
            // A run that succeeds records every project it rendered; one that fails
            // (an invalid project) writes and records nothing.
            if ok {
                hand_edited.clear();
                for n in &names {
                    recorded.insert(n.clone(), inputs(&cached.join(n)));
                }
            }
        }
    }
}

/// A built copy of the example and its cache folder, built twice (the second run
/// records what the first wrote, once the cache has trusted it).
fn built_example() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("p");
    let cache = tmp.path().join("cache");
    example_project(tmp.path(), "p", 0);
    assert!(
        run(tmp.path(), Some(&cache), &["build", "p"])
            .status
            .success()
    );
    let again = run(tmp.path(), Some(&cache), &["build", "p"]);
    assert_eq!(split(&again).1, Some(0), "{}", split(&again).0);
    (tmp, project, cache)
}

fn record_of(cache: &Path) -> PathBuf {
    let records: Vec<PathBuf> = std::fs::read_dir(cache.join("records-2"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    records[0].clone()
}

#[test]
fn a_no_op_replays_warnings_and_the_unused_report_byte_for_byte() {
    let (tmp, _, cache) = built_example();
    for args in [
        &["build", "--unused", "p"][..],
        &["build", "--check", "-v", "p"],
        &["diff", "p"],
        &["build", "--check", "--format", "json", "p"],
    ] {
        let cached = run(tmp.path(), Some(&cache), args);
        let plain = run(tmp.path(), None, args);
        let (text, rendered) = split(&cached);
        if !args.contains(&"json") {
            assert_eq!(rendered, Some(0), "{args:?}\n{text}");
        }
        assert_eq!(text, split(&plain).0, "{args:?}");
        assert_eq!(cached.status.code(), plain.status.code(), "{args:?}");
        if args.contains(&"json") {
            let strip = |o: &Output| {
                let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                let summary = v.as_object_mut().unwrap().remove("summary").unwrap();
                (v, summary.as_str().unwrap().to_owned())
            };
            let ((cached, summary), (plain, plain_summary)) = (strip(&cached), strip(&plain));
            assert_eq!(cached, plain);
            assert_eq!(
                summary,
                format!("{plain_summary}; 0 rendered, 1 from the cache")
            );
        } else {
            assert_eq!(cached.stdout, plain.stdout, "{args:?}");
        }
    }
    let text = split(&run(tmp.path(), Some(&cache), &["build", "--unused", "p"])).0;
    assert!(text.contains("5 warnings"), "{text}");
    assert!(text.contains("influence no artifact"), "{text}");
}

#[test]
fn an_edited_output_fails_the_check_with_the_same_diff_as_without_the_cache() {
    let (tmp, project, cache) = built_example();
    let file = project.join("deploy/k8s/dev/configmap.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    // Same size, and the old modification time put back: only the content tells.
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    std::fs::write(
        &file,
        text.replacen("kind: ConfigMap", "kind: ConfigMop", 1),
    )
    .unwrap();
    std::fs::File::options()
        .append(true)
        .open(&file)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let cached = run(tmp.path(), Some(&cache), &["build", "--check", "p"]);
    let plain = run(tmp.path(), None, &["build", "--check", "p"]);
    assert_eq!(cached.status.code(), Some(1));
    assert_eq!(split(&cached), (split(&plain).0, Some(1)));
    let diff = run(tmp.path(), Some(&cache), &["diff", "p"]);
    assert!(String::from_utf8_lossy(&diff.stdout).contains("+kind: ConfigMap"));
    assert_eq!(diff.stdout, run(tmp.path(), None, &["diff", "p"]).stdout);
}

#[test]
fn a_corrupt_or_foreign_record_is_a_miss_never_a_wrong_result() {
    let (tmp, _, cache) = built_example();
    let record = record_of(&cache);
    let good = std::fs::read_to_string(&record).unwrap();
    let (magic, rest) = good.split_once('\n').unwrap();
    let (_, body) = rest.split_once('\n').unwrap();
    let resum = |body: &str| {
        use sha2::Digest as _;
        let sum: String = sha2::Sha256::digest(body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{magic}\n{sum}\n{body}")
    };
    let mut value: serde_json::Value = serde_json::from_str(body).unwrap();
    value["build"] = "another build of cfgen".into();
    let other_build = resum(&value.to_string());
    // A record that passes its checksum but claims a warning-free, report-free project:
    // harmless only because the key no longer matches.
    let mut value: serde_json::Value = serde_json::from_str(body).unwrap();
    value["key"] = "0".repeat(64).into();
    let other_key = resum(&value.to_string());
    let cases = [
        ("truncated", good[..good.len() / 2].to_owned()),
        ("a flipped byte", good.replacen("\"made\"", "\"mAde\"", 1)),
        ("not a record", "hello".to_owned()),
        ("another build id", other_build),
        ("another key", other_key),
    ];
    let plain = split(&run(tmp.path(), None, &["build", "--check", "p"])).0;
    for (what, text) in cases {
        std::fs::write(&record, text).unwrap();
        let out = run(tmp.path(), Some(&cache), &["build", "--check", "p"]);
        assert!(out.status.success(), "{what}");
        assert_eq!(split(&out), (plain.clone(), Some(1)), "{what}");
    }
    // The full path wrote a good record again.
    let out = run(tmp.path(), Some(&cache), &["build", "--check", "p"]);
    assert_eq!(split(&out).1, Some(0));
}

#[test]
fn no_cache_renders_everything_and_leaves_the_cache_alone() {
    let (tmp, _, cache) = built_example();
    let record = record_of(&cache);
    let before = std::fs::read(&record).unwrap();
    let mut cmd = crate::common::cfgen(tmp.path());
    cmd.env_remove("CFGEN_NO_CACHE")
        .env("CFGEN_CACHE_DIR", &cache)
        .args(["build", "--no-cache", "p"]);
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    assert_eq!(split(&out).1, None, "no cache part in the summary");
    assert_eq!(std::fs::read(&record).unwrap(), before);
}

#[test]
fn leftovers_of_an_interrupted_build_and_a_deleted_output_take_the_full_path() {
    let (tmp, project, cache) = built_example();
    let leftover = project.join("deploy/k8s/.cfgen-tmp.99999999.0");
    std::fs::write(&leftover, "half").unwrap();
    let out = run(tmp.path(), Some(&cache), &["build", "p"]);
    assert_eq!(split(&out).1, Some(1));
    assert!(!leftover.exists(), "swept by the full path");
    std::fs::remove_file(project.join("deploy/k8s/dev/configmap.yaml")).unwrap();
    let out = run(tmp.path(), Some(&cache), &["build", "--check", "p"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(split(&out).1, Some(1));
    let manifest = project.join("deploy/.cfgen-manifest");
    let out = run(tmp.path(), Some(&cache), &["build", "p"]);
    assert!(out.status.success());
    std::fs::write(&manifest, "# emptied by hand\n").unwrap();
    let out = run(tmp.path(), Some(&cache), &["build", "--check", "p"]);
    let plain = run(tmp.path(), None, &["build", "--check", "p"]);
    assert_eq!(split(&out), (split(&plain).0, Some(1)));
}

#[test]
fn concurrent_cached_builds_agree_and_leave_a_good_record() {
    let (tmp, project, cache) = built_example();
    let manifest = project.join("cfgen.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("port: 8000", "port: 8001")).unwrap();
    let spawn = || {
        let mut cmd = crate::common::cfgen(tmp.path());
        cmd.env_remove("CFGEN_NO_CACHE")
            .env("CFGEN_CACHE_DIR", &cache)
            .args(["build", "-q", "p"])
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..4).map(|_| spawn()).collect();
    for c in children {
        assert!(c.wait_with_output().unwrap().status.success());
    }
    let cached = run(tmp.path(), Some(&cache), &["build", "--check", "p"]);
    let plain = run(tmp.path(), None, &["build", "--check", "p"]);
    assert!(cached.status.success());
    assert_eq!(split(&cached).0, split(&plain).0);
    assert_eq!(split(&cached).1, Some(0));
}

#[test]
fn a_same_size_edit_with_its_mtime_put_back_is_seen_once_statuses_are_trusted() {
    let (tmp, project, cache) = built_example();
    // Once the files are older than the racy margin (3 s), a run records their statuses
    // as trusted: the next lookup reads none of them.
    std::thread::sleep(std::time::Duration::from_secs(4));
    let trusted = run(tmp.path(), Some(&cache), &["build", "p"]);
    assert_eq!(split(&trusted).1, Some(0));
    let text = std::fs::read_to_string(record_of(&cache)).unwrap();
    let record: serde_json::Value =
        serde_json::from_str(text.splitn(3, '\n').nth(2).unwrap()).unwrap();
    let inputs = record["inputs"].as_array().unwrap();
    assert!(
        inputs.iter().any(|i| i["path"] == "cfgen.yaml"),
        "{inputs:?}"
    );
    // The same size, the old mtime put back: only the change time tells (it differs from
    // the recorded one, and is newer than the record, so the status is racy as well).
    let manifest = project.join("cfgen.yaml");
    let old = std::fs::metadata(&manifest).unwrap();
    let before = std::fs::read_to_string(&manifest).unwrap();
    let after = before.replace("port: 8000", "port: 8009");
    assert_eq!(after.len(), before.len());
    assert_ne!(after, before);
    std::fs::write(&manifest, after).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&manifest)
        .unwrap()
        .set_modified(old.modified().unwrap())
        .unwrap();
    let cached = run(tmp.path(), Some(&cache), &["build", "--check", "p"]);
    let plain = run(tmp.path(), None, &["build", "--check", "p"]);
    assert_eq!(cached.status.code(), Some(1), "the output is stale");
    assert_eq!(split(&cached), (split(&plain).0, Some(1)));
}
