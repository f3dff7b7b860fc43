//! The threat model: everything in a project folder (config, output folder,
//! `.cfgen-manifest`) may come from an untrusted pull request. cfgen never
//! reads, prints, writes or deletes outside the project, never blocks on a
//! special file, and refuses with a clear message. One test per finding of
//! issue 16; each runs the real binary in a temporary folder, bounded in time.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::copy_example_inputs;

/// A secret outside the project, 27 lines like `/etc/shadow`.
const SECRET: &str = "SECRET-SHADOW-LINE";

fn secret_file(dir: &Path) -> PathBuf {
    let path = dir.join("outside/shadow");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text: String = (0..27)
        .map(|i| format!("user{i}:$6${SECRET}{i}:19000:0:99999:7:::\n"))
        .collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// `cfgen ARGS` in `dir`, killed (and the test failed) after 60 s: a hang is a finding.
pub fn cfgen(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cfgen"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CFGEN_NO_CACHE", "1")
        .env("COLUMNS", "1000")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes on their own threads, so a long diff cannot fill one and stall.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).unwrap();
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        // A hang detector, not a speed bound: the crash test's first build of 50 example
        // copies writes 4,950 files, each synced, which took 50-65 s on this 2-core machine
        // under the load of parallel tests (issue 17 added 8 files per copy).
        if start.elapsed() > Duration::from_secs(180) {
            child.kill().unwrap();
            panic!("`cfgen {}` hung for 180 s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A temporary folder with the example's inputs as `p/`.
fn project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    copy_example_inputs(&dir);
    (tmp, dir)
}

/// Built once, so the output folder exists.
fn built() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = project();
    let out = cfgen(tmp.path(), &["build", "p"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (tmp, dir)
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

/// Every entry under `dir`: kind, mode, mtime, and content or link target;
/// folders' mtimes too (any entry created and removed again changes them).
fn strict_tree(dir: &Path) -> Vec<(String, String)> {
    tree_of(dir, true)
}

/// [`strict_tree`] without folders' mtimes: a failed build may take and drop its lock file.
fn tree(dir: &Path) -> Vec<(String, String)> {
    tree_of(dir, false)
}

fn tree_of(dir: &Path, strict: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let meta = entry.path().symlink_metadata().unwrap();
        let what = if meta.file_type().is_symlink() {
            format!("link {:?}", std::fs::read_link(entry.path()).unwrap())
        } else if meta.is_file() {
            format!("file {:x}", md5ish(&std::fs::read(entry.path()).unwrap()))
        } else {
            "other".into()
        };
        let mtime = if meta.is_dir() && !strict {
            None
        } else {
            meta.modified().ok()
        };
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .display()
            .to_string();
        out.push((
            rel,
            format!("{what} {:o} {:?}", meta.permissions().mode(), mtime),
        ));
    }
    out
}

fn md5ish(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

#[test]
fn a_config_file_linking_out_of_the_project_is_not_read_nor_shown() {
    let (tmp, dir) = project();
    let secret = secret_file(tmp.path());
    let docker = dir.join("config/deployment/docker.yaml");
    std::fs::remove_file(&docker).unwrap();
    symlink(&secret, &docker).unwrap();
    for format in ["human", "json", "github"] {
        let out = cfgen(tmp.path(), &["validate", "p", "--format", format]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(
            !all.contains(SECRET),
            "{format}: the secret was printed:\n{all}"
        );
        assert!(all.contains("leads out of the project"), "{all}");
    }
    // The same link through a folder: `config` itself pointing outside.
    let (tmp, dir) = project();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::rename(dir.join("config"), &elsewhere).unwrap();
    symlink(&elsewhere, dir.join("config")).unwrap();
    let out = cfgen(tmp.path(), &["validate", "p"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("leads out of the project"));
}

#[test]
fn a_config_file_linking_inside_the_project_is_followed() {
    let (tmp, dir) = project();
    let docker = dir.join("config/deployment/docker.yaml");
    std::fs::create_dir_all(dir.join("shared")).unwrap();
    std::fs::rename(&docker, dir.join("shared/docker.yaml")).unwrap();
    symlink("../../shared/docker.yaml", &docker).unwrap();
    let out = cfgen(tmp.path(), &["validate", "p"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_fifo_or_a_device_as_a_config_file_is_refused_without_blocking() {
    let (tmp, dir) = project();
    let docker = dir.join("config/deployment/docker.yaml");
    std::fs::remove_file(&docker).unwrap();
    mkfifo(&docker);
    for args in [
        &["validate", "p"][..],
        &["build", "p"],
        &["build", "--check", "p"],
    ] {
        let out = cfgen(tmp.path(), args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("the file is a FIFO"), "{}", text(&out));
    }
    // `/dev/zero` has metadata size 0: never read, whether linked or named directly.
    std::fs::remove_file(&docker).unwrap();
    symlink("/dev/zero", &docker).unwrap();
    let out = cfgen(tmp.path(), &["validate", "p"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    match cfgen::load::load_file(None, Path::new("/dev/zero")) {
        Err(cfgen::load::ReadError::Load(_, errors)) => assert!(matches!(
            errors[0].kind,
            cfgen::load::LoadErrorKind::NotRegular { found: "a device" }
        )),
        other => panic!("{other:?}"),
    }
    // A device node inside the project (root can make one; others skip this part).
    std::fs::remove_file(&docker).unwrap();
    let made = Command::new("mknod")
        .arg(&docker)
        .args(["c", "1", "5"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let out = cfgen(tmp.path(), &["validate", "p"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out).contains("the file is a device"),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn output_outside_the_project_is_refused_and_nothing_is_written_there() {
    for output in [
        "../../somewhere",
        "../sibling",
        "/etc",
        "/",
        "\"\"",
        ".",
        "config/deployment",
        "config",
        "cfgen.yaml",
    ] {
        let (tmp, dir) = project();
        let manifest = dir.join("cfgen.yaml");
        let text_before = std::fs::read_to_string(&manifest).unwrap();
        std::fs::write(
            &manifest,
            text_before.replace("output: deploy", &format!("output: {output}")),
        )
        .unwrap();
        let before = tree(tmp.path());
        let out = cfgen(tmp.path(), &["build", "p"]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{output}: {all}");
        assert!(
            all.contains("cfgen::rule::output-outside"),
            "{output}: {all}"
        );
        let line = text_before
            .lines()
            .position(|l| l.starts_with("output:"))
            .unwrap()
            + 1;
        assert!(
            all.contains(&format!("p/cfgen.yaml:{line}:9")),
            "{output}: {all}"
        );
        assert_eq!(before, tree(tmp.path()), "{output}: something was written");
    }
}

#[test]
fn an_output_folder_linking_out_of_the_project_is_refused() {
    // `deploy` itself a link to a folder outside.
    let (tmp, dir) = project();
    let victim = tmp.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    symlink(&victim, dir.join("deploy")).unwrap();
    for args in [
        &["build", "p"][..],
        &["build", "--check", "p"],
        &["diff", "p"],
    ] {
        let out = cfgen(tmp.path(), args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(
            all.contains("refusing to use `p/deploy`: it is a symbolic link"),
            "{all}"
        );
    }
    assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0);

    // A subfolder `deploy/k8s` turned into a link to a copy outside: nothing
    // written or deleted there, even when an environment goes away.
    let (tmp, dir) = built();
    let outside = tmp.path().join("outside-k8s");
    std::fs::rename(dir.join("deploy/k8s"), &outside).unwrap();
    symlink(&outside, dir.join("deploy/k8s")).unwrap();
    let manifest = dir.join("cfgen.yaml");
    let text_before = std::fs::read_to_string(&manifest).unwrap();
    let start = text_before.find("  staging:").unwrap();
    let end = text_before.find("  production:").unwrap();
    std::fs::write(
        &manifest,
        format!("{}{}", &text_before[..start], &text_before[end..]),
    )
    .unwrap();
    let before = tree(&outside);
    let out = cfgen(tmp.path(), &["build", "p"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("`p/deploy/k8s`: it is a symbolic link"),
        "{all}"
    );
    assert_eq!(before, tree(&outside));
}

#[test]
fn a_generated_file_replaced_by_a_link_or_fifo_is_neither_followed_nor_printed() {
    let (tmp, dir) = built();
    let secret = secret_file(tmp.path());
    let dockerfile = dir.join("deploy/Dockerfile");
    std::fs::remove_file(&dockerfile).unwrap();
    symlink(&secret, &dockerfile).unwrap();
    for args in [
        &["build", "--check", "p"][..],
        &["diff", "p"],
        &["build", "p"],
    ] {
        let out = cfgen(tmp.path(), args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(!all.contains(SECRET), "the secret was printed:\n{all}");
        assert!(
            all.contains("`p/deploy/Dockerfile`: it is a symbolic link"),
            "{all}"
        );
    }
    assert!(std::fs::read_to_string(&secret).unwrap().contains(SECRET));
    std::fs::remove_file(&dockerfile).unwrap();
    mkfifo(&dockerfile);
    for args in [&["build", "--check", "p"][..], &["build", "p"]] {
        let out = cfgen(tmp.path(), args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains("it is a special file"), "{all}");
    }
}

/// Appends lines to the output folder's manifest.
fn append_manifest(dir: &Path, lines: &[String]) {
    let path = dir.join("deploy").join(cfgen::emit::MANIFEST_NAME);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn manifest_entries_leading_out_of_the_output_folder_are_refused_at_their_line() {
    let (tmp, dir) = built();
    let victims = tmp.path().join("victims");
    std::fs::create_dir(&victims).unwrap();
    std::fs::write(victims.join("x"), "victim\n").unwrap();
    let hash = cfgen::emit::record::hash(b"victim\n");
    // The first appended entry stands on the line after the generated files'.
    let first_appended =
        std::fs::read_to_string(dir.join("deploy").join(cfgen::emit::MANIFEST_NAME))
            .unwrap()
            .lines()
            .count()
            + 1;
    let docker = std::fs::read(dir.join("config/deployment/docker.yaml")).unwrap();
    let absolute = victims.join("x").display().to_string();
    append_manifest(
        &dir,
        &[
            "../../victims/x".into(),
            format!("{hash} 644 ../../victims/x"),
            format!("{hash} 644 {absolute}"),
            format!(
                "{} 644 ../config/deployment/docker.yaml",
                cfgen::emit::record::hash(&docker)
            ),
        ],
    );
    let before = tree(tmp.path());
    for args in [
        &["build", "--check", "p"][..],
        &["diff", "p"],
        &["build", "p"],
    ] {
        let out = cfgen(tmp.path(), args);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains("cfgen::emit::manifest-entry"), "{all}");
        assert!(all.contains("`..` leads out of the output folder"), "{all}");
        assert!(all.contains("it is an absolute path"), "{all}");
        assert!(
            all.contains(&format!("p/deploy/.cfgen-manifest:{first_appended}:1")),
            "{all}"
        );
        assert_eq!(before, tree(tmp.path()), "{args:?} changed something");
    }
    assert!(victims.join("x").exists());
    assert!(dir.join("config/deployment/docker.yaml").exists());
}

#[test]
fn listed_files_that_changed_are_not_pruned_and_identical_foreign_files_are_adopted() {
    let (tmp, dir) = built();
    let deploy = dir.join("deploy");
    // Listed with a hash of other content (a hand-written file), and listed by
    // an older cfgen without a hash: neither is deleted.
    std::fs::write(deploy.join("notes.md"), "mine\n").unwrap();
    std::fs::write(deploy.join("legacy.txt"), "old\n").unwrap();
    append_manifest(
        &dir,
        &[
            format!("{} 644 notes.md", cfgen::emit::record::hash(b"generated\n")),
            "legacy.txt".into(),
        ],
    );
    let out = cfgen(tmp.path(), &["build", "p"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(deploy.join("notes.md").exists() && deploy.join("legacy.txt").exists());
    assert!(all.contains("left `p/deploy/notes.md` in place"), "{all}");
    assert!(all.contains("it changed since cfgen wrote it"), "{all}");
    assert!(all.contains("left `p/deploy/legacy.txt` in place"), "{all}");
    // Without a manifest, files identical to the generated ones are adopted, by name.
    let generated = std::fs::read_to_string(deploy.join(cfgen::emit::MANIFEST_NAME))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .count();
    std::fs::remove_file(deploy.join(cfgen::emit::MANIFEST_NAME)).unwrap();
    let out = cfgen(tmp.path(), &["build", "p"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(&format!(
            "{generated} file(s) in `p/deploy` were not listed"
        )),
        "{all}"
    );
    let listed = std::fs::read_to_string(deploy.join(cfgen::emit::MANIFEST_NAME)).unwrap();
    assert_eq!(
        listed.lines().filter(|l| !l.starts_with('#')).count(),
        generated
    );
    // A foreign file that differs is refused, as before.
    std::fs::remove_file(deploy.join(cfgen::emit::MANIFEST_NAME)).unwrap();
    std::fs::write(deploy.join("Dockerfile"), "FROM scratch\n").unwrap();
    let out = cfgen(tmp.path(), &["build", "p"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("refusing to overwrite `p/deploy/Dockerfile`"));
}

#[test]
fn a_script_that_lost_its_execute_bit_fails_check_and_is_repaired() {
    let (tmp, dir) = built();
    let script = dir.join("deploy/scripts/deploy.sh");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = cfgen(tmp.path(), &["build", "--check", "p"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("(mode 644 -> 755)"), "{}", text(&out));
    let out = cfgen(tmp.path(), &["build", "p"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("repaired the mode of 1 file(s)"));
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
    let out = cfgen(tmp.path(), &["build", "--check", "p"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn temporary_files_of_an_interrupted_build_fail_check_and_are_swept() {
    let (tmp, dir) = built();
    let leftover = dir.join("deploy/k8s/staging/.cfgen-tmp.4242.7");
    std::fs::write(&leftover, "half a file").unwrap();
    let out = cfgen(tmp.path(), &["build", "--check", "p"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("a temporary file an interrupted build left"));
    let out = cfgen(tmp.path(), &["build", "p"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!leftover.exists());
    let out = cfgen(tmp.path(), &["build", "--check", "p"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn validate_check_and_diff_write_nothing_not_even_a_lock() {
    let (tmp, dir) = built();
    // Something to prune and something stale, so that a build would write.
    std::fs::write(dir.join("deploy/stale.yml"), "old\n").unwrap();
    append_manifest(
        &dir,
        &[format!(
            "{} 644 stale.yml",
            cfgen::emit::record::hash(b"old\n")
        )],
    );
    std::fs::write(dir.join("deploy/Dockerfile"), "FROM scratch\n").unwrap();
    let before = strict_tree(tmp.path());
    for args in [
        &["validate", "p"][..],
        &["build", "--check", "p"],
        &["diff", "p"],
        &["build", "--check", "--format", "json", "p"],
    ] {
        let out = cfgen(tmp.path(), args);
        assert_ne!(out.status.code(), Some(2), "{}", text(&out));
        assert_eq!(before, strict_tree(tmp.path()), "{args:?} wrote something");
    }
    // A fresh project: `--check` does not create the output folder.
    let (tmp, _) = project();
    let before = strict_tree(tmp.path());
    let out = cfgen(tmp.path(), &["build", "--check", "p"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(before, strict_tree(tmp.path()));
}

#[test]
fn io_failures_are_worded_for_what_failed_and_go_into_the_json_document() {
    let (tmp, dir) = built();
    // A read-only folder makes writing fail; root ignores modes, so there an
    // immutable folder (`chattr +i`, where the file system has it) does it.
    let k8s = dir.join("deploy/k8s/staging");
    std::fs::write(k8s.join("namespace.yaml"), "stale\n").unwrap();
    std::fs::set_permissions(&k8s, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = k8s.join("probe");
    let mut blocked = std::fs::write(&probe, "").is_err();
    let _ = std::fs::remove_file(&probe);
    let chattr = |flag: &str| {
        Command::new("chattr")
            .args([flag, k8s.to_str().unwrap()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let immutable = !blocked && chattr("+i");
    blocked |= immutable;
    if blocked {
        let out = cfgen(tmp.path(), &["build", "p", "--format", "json"]);
        if immutable {
            chattr("-i");
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            stdout.contains("cannot write `p/deploy/k8s/staging/namespace.yaml`"),
            "{stdout}"
        );
        assert!(!text(&out).contains("cannot read"), "{}", text(&out));
    }
    std::fs::set_permissions(&k8s, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A usage error of cfgen's own (a missing path) is the JSON document on stdout.
    let out = cfgen(
        tmp.path(),
        &["validate", "no-such-folder", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["errors"], 1, "{json}");
    // The wording of the disk-full case.
    let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
    assert!(cfgen::messages::write_failed("x", &full).contains("no space left on the device"));
}

#[test]
fn secrets_in_excerpts_messages_and_json_are_masked() {
    let (tmp, dir) = project();
    let docker = dir.join("config/deployment/docker.yaml");
    let mut yaml = std::fs::read_to_string(&docker).unwrap();
    yaml.push_str(
        "api_token: \"sk-live-abc123\"\n\
         DATABASE_URL: mysql://app:hunter2pw@db:3306/shop\n\
         tls: {cert: x, private_key: \"pem-inline-secret\"}\n\
         signing_key: |\n  -----BEGIN PRIVATE KEY-----\n  MIIEvQIBADANBgkqhkiG9w0B\n  -----END PRIVATE KEY-----\n",
    );
    std::fs::write(&docker, yaml).unwrap();
    for format in ["human", "json", "github"] {
        let out = cfgen(tmp.path(), &["validate", "p", "--format", format]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        for secret in [
            "sk-live-abc123",
            "hunter2pw",
            "pem-inline-secret",
            "MIIEvQIBADANBgkqhkiG9w0B",
        ] {
            assert!(!all.contains(secret), "{format} shows `{secret}`:\n{all}");
        }
        assert!(
            all.contains("unknown key `api_token`") || all.contains("api_token"),
            "{all}"
        );
    }
    let out = cfgen(tmp.path(), &["validate", "p"]);
    assert!(
        text(&out).contains("api_token: ****************"),
        "{}",
        text(&out)
    );
}

/// 48,000 unknown keys in one 480 KB file: every format answers in time
/// linear in their number, and `human`/`github` show ten and count the rest.
#[test]
fn diagnostics_are_rendered_in_linear_time_and_capped_per_file() {
    let (tmp, dir) = project();
    let docker = dir.join("config/deployment/docker.yaml");
    let mut text = std::fs::read_to_string(&docker).unwrap();
    for i in 0..48_000 {
        text.push_str(&format!("x{i:05}: 1\n"));
    }
    std::fs::write(&docker, text).unwrap();
    let start = Instant::now();
    let out = cfgen(tmp.path(), &["validate", "p"]);
    let human = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr.matches("cfgen::schema::unknown-key").count(), 10);
    assert!(
        stderr.contains("… and 47,990 more in `p/config/deployment/docker.yaml`"),
        "{stderr}"
    );
    assert!(stderr.contains("48,000 errors"), "{stderr}");
    let out = cfgen(tmp.path(), &["validate", "p", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["diagnostics"].as_array().unwrap().len(), 48_000);
    let out = cfgen(tmp.path(), &["validate", "p", "--format", "github"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("::error ").count(), 10);
    assert!(stdout.contains("::notice file=p/config/deployment/docker.yaml::… and 47,990 more"));
    // Over 300 s (debug build) before; about 1 s alone now. Loose for busy machines.
    assert!(human < Duration::from_secs(60), "human took {human:?}");
}

/// `cfgen build p --templates overrides` with `template` as the override of
/// the namespace template; returns the run and the project's folder.
fn build_with_override(template: &str) -> (tempfile::TempDir, Output, Duration) {
    let (tmp, _) = project();
    let dir = tmp.path().join("overrides/kubernetes");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("namespace.yaml.j2"), template).unwrap();
    let start = Instant::now();
    let out = cfgen(tmp.path(), &["build", "p", "--templates", "overrides"]);
    (tmp, out, start.elapsed())
}

#[test]
fn template_overrides_run_within_limits_and_their_errors_are_the_users() {
    let cases = [
        (
            "kind: Namespace\n{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}\n",
            "at line 2: the template does more work than cfgen allows",
        ),
        (
            "kind: Namespace\n{% for i in range(100000) %}{{ \"x\" * 100000 }}{% endfor %}\n",
            "the template's output is larger than 4,194,304 bytes",
        ),
        (
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\nkind: Namespace\n{{ f(0) }}\n",
            "error in your template `kubernetes/namespace.yaml.j2` at line 1",
        ),
        (
            "kind: Namespace\n{% if %}\n",
            "error in your template `kubernetes/namespace.yaml.j2` at line 2",
        ),
    ];
    for (template, expected) in cases {
        let (tmp, out, took) = build_with_override(template);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains(expected), "{expected}:\n{all}");
        assert!(!all.contains("internal error"), "{all}");
        assert!(!tmp.path().join("p/deploy").exists());
        assert!(took < Duration::from_secs(30), "{expected}: took {took:?}");
    }
}

#[test]
fn template_overrides_that_are_not_regular_files_are_refused_not_ignored() {
    let (tmp, _) = project();
    let dir = tmp.path().join("overrides/kubernetes");
    std::fs::create_dir_all(&dir).unwrap();
    let over = dir.join("namespace.yaml.j2");
    mkfifo(&over);
    let out = cfgen(tmp.path(), &["build", "p", "--templates", "overrides"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("is a FIFO, not a regular file"),
        "{}",
        text(&out)
    );
    std::fs::remove_file(&over).unwrap();
    symlink("/dev/zero", &over).unwrap();
    let out = cfgen(tmp.path(), &["build", "p", "--templates", "overrides"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("leads out of the `--templates` folder"),
        "{}",
        text(&out)
    );
    assert!(!tmp.path().join("p/deploy").exists());
}
