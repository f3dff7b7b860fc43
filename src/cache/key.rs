//! The key of a project's cache record: a SHA-256 over everything its build reads.
//!
//! The build reads its config files and overlays (confined to the project folder), probes
//! for files there (scripts a step runs, the overlay folders), finds the enclosing git
//! repository, and reads the template overrides. Rather than trust a list of those reads
//! (which grows with every feature), the key covers the whole project folder: every
//! entry's path and kind, every regular file's bytes, every link's target and what it
//! leads to; a folder cfgen never reads inside (`.git`, `node_modules`, …) counts by its
//! name and kind only. Left out are the run's own output (the output folder and a
//! repository-root workflow inside the project), which the record tracks by status and
//! hash instead. Added are cfgen's build id, the run's options, the project's canonical
//! path and git root, and every file of `--templates`.
//!
//! Reading every byte is what a no-op run of a large monorepo spends its time on, so the
//! walk is stat-first, as git's index is: the record keeps each regular file's status
//! ([`Stamp`]: size, times, inode, device, mode) beside its content hash ([`Input`]), and
//! a later walk that finds the same status reuses the hash without opening the file. The
//! key stays the same function of the content (the hashes); the status only decides
//! whether a file is read again. A status is never trusted when the file's modification
//! or change time is not older than the walk that hashed it (or the record's moment) by
//! [`RACY_MARGIN`](crate::emit::stamp::RACY_MARGIN): a change within the same timestamp
//! tick would keep its status ("racy git"), so such a file is read every time until it
//! is old enough. The `--templates` folder is read in full every time (it is small, and
//! has no record of its own).

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::hex;
use crate::emit::stamp::{self, Stamp};

/// cfgen's build id: a SHA-256 of its sources, templates, `Cargo.lock` and compiler
/// (computed by `build.rs`; see there why not the version or the executable).
pub const BUILD_ID: &str = env!("CFGEN_BUILD_ID");

/// Most entries of a project folder the key walks; a larger folder is never cached.
const MAX_ENTRIES: usize = 20_000;
/// Most bytes the key reads in one project folder; a larger folder is never cached.
const MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Deepest folder the key walks into; a deeper folder is never cached.
const MAX_DEPTH: usize = 32;
/// Folders whose content the build never reads (the discovery's skipped folders).
const OPAQUE: &[&str] = &[".git", "target", "node_modules", ".venv"];

/// One entry of a walked folder: its `/`-separated path, kind and content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    path: String,
    what: String,
}

/// What of the project folder is the run's own output, left out of the key: the
/// generated files (project-relative) and, below the output folder, its folders and
/// cfgen's bookkeeping files. Any other file there stays in (a build may probe for it).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Excluded {
    /// The output folder, project-relative (`deploy`).
    pub folder: Option<String>,
    /// The generated files, project-relative.
    pub files: std::collections::BTreeSet<String>,
}

impl Excluded {
    fn covers(&self, path: &str, is_folder: bool) -> bool {
        if self.files.contains(path) {
            return true;
        }
        // A folder that holds a generated file (the repository-root workflow's `.github`
        // and `.github/workflows`, which the first build creates): whether it exists as a
        // folder changes nothing a build says (as a link or file it stays in the key).
        let prefix = format!("{path}/");
        if is_folder
            && self
                .files
                .range(prefix.clone()..)
                .next()
                .is_some_and(|f| f.starts_with(&prefix))
        {
            return true;
        }
        let Some(folder) = &self.folder else {
            return false;
        };
        let below = path == folder
            || path
                .strip_prefix(folder.as_str())
                .is_some_and(|rest| rest.starts_with('/'));
        let name = path.rsplit('/').next().unwrap_or(path);
        below
            && (is_folder
                || name == crate::emit::MANIFEST_NAME
                || name == crate::emit::LOCK_NAME
                || name.starts_with(crate::emit::TEMP_PREFIX))
    }
}

/// A regular file a walk hashed: its `/`-separated path, its status when hashed, and
/// the hex SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Input {
    /// The path relative to the walked folder.
    pub path: String,
    /// Its status, taken before its content was read.
    pub stamp: Stamp,
    /// Hex SHA-256 of its content.
    pub hash: String,
}

/// The hashes an earlier walk found, for a walk to reuse where a file's status is the
/// same and not racy at `made`.
#[derive(Debug, Default)]
pub struct Known<'a> {
    by_path: std::collections::HashMap<&'a str, &'a Input>,
    made: [i64; 2],
}

impl<'a> Known<'a> {
    /// Nothing known: every file is read.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// The `inputs` of a walk taken at `made` (no later than it hashed them).
    #[must_use]
    pub fn of(inputs: &'a [Input], made: [i64; 2]) -> Self {
        Self {
            by_path: inputs.iter().map(|i| (i.path.as_str(), i)).collect(),
            made,
        }
    }

    /// The hash of the file at `path` when its status is `stamp` and can be trusted.
    fn hash(&self, path: &str, stamp: &Stamp) -> Option<&'a str> {
        let known = self.by_path.get(path)?;
        (known.stamp == *stamp && !stamp.racy(self.made)).then_some(known.hash.as_str())
    }
}

/// The entries of a folder, sorted by path, with the inputs whose status a later walk
/// may trust.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    entries: Vec<Entry>,
    /// The regular files whose status was not racy when the walk began, sorted by path.
    inputs: Vec<Input>,
    /// When the walk began.
    taken: [i64; 2],
    /// How many files the walk read (the others' hashes were reused).
    hashed: usize,
}

impl Snapshot {
    /// The entries `excluded` does not cover.
    #[must_use]
    pub fn without(&self, excluded: &Excluded) -> Self {
        Self {
            entries: self
                .entries
                .iter()
                .filter(|e| !excluded.covers(&e.path, e.what == "folder"))
                .cloned()
                .collect(),
            inputs: self
                .inputs
                .iter()
                .filter(|i| !excluded.covers(&i.path, false))
                .cloned()
                .collect(),
            ..*self
        }
    }

    /// Whether `other` has the same entries (paths, kinds and content hashes; the
    /// statuses may differ).
    #[must_use]
    pub fn same(&self, other: &Self) -> bool {
        self.entries == other.entries
    }

    /// The regular files whose status a later walk may trust, sorted by path.
    #[must_use]
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// What a later walk may reuse of this one.
    #[must_use]
    pub fn known(&self) -> Known<'_> {
        Known::of(&self.inputs, self.taken)
    }

    /// How many files the walk read.
    #[must_use]
    pub fn hashed(&self) -> usize {
        self.hashed
    }
}

/// Walks `dir` (not following links) into a snapshot, leaving out what `excluded`
/// covers (unread), and reusing the hash `known` has of a file whose status is the same;
/// `None` when the folder is larger than the bounds or cannot be read.
#[must_use]
pub fn snapshot(dir: &Path, excluded: &Excluded, known: &Known<'_>) -> Option<Snapshot> {
    snapshot_at(dir, excluded, known, stamp::now())
}

/// [`snapshot`], as if the walk began at `taken` (tests move the clock).
fn snapshot_at(
    dir: &Path,
    excluded: &Excluded,
    known: &Known<'_>,
    taken: [i64; 2],
) -> Option<Snapshot> {
    let mut walk = Walk {
        entries: Vec::new(),
        inputs: Vec::new(),
        bytes: 0,
        excluded,
        known,
        taken,
        hashed: 0,
    };
    walk.folder(dir, "", 0)?;
    walk.entries.sort_by(|a, b| a.path.cmp(&b.path));
    walk.inputs.sort_by(|a, b| a.path.cmp(&b.path));
    Some(Snapshot {
        entries: walk.entries,
        inputs: walk.inputs,
        taken: walk.taken,
        hashed: walk.hashed,
    })
}

struct Walk<'a> {
    entries: Vec<Entry>,
    inputs: Vec<Input>,
    bytes: u64,
    excluded: &'a Excluded,
    known: &'a Known<'a>,
    taken: [i64; 2],
    hashed: usize,
}

impl Walk<'_> {
    fn folder(&mut self, dir: &Path, prefix: &str, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        for entry in std::fs::read_dir(dir).ok()? {
            let entry = entry.ok()?;
            let name = entry.file_name().into_string().ok()?;
            let rel = format!("{prefix}{name}");
            if self.entries.len() >= MAX_ENTRIES {
                return None;
            }
            let path = entry.path();
            let kind = entry.file_type().ok()?;
            let excluded = self.excluded.covers(&rel, kind.is_dir());
            let what = if kind.is_dir() {
                if OPAQUE.contains(&name.as_str()) {
                    "opaque folder".to_owned()
                } else {
                    self.folder(&path, &format!("{rel}/"), depth + 1)?;
                    "folder".to_owned()
                }
            } else if excluded {
                continue;
            } else if kind.is_file() {
                // The status first (before any read: a change after it shows in the
                // next walk's status), counted against the bound whether read or not.
                let stamp = Stamp::of_metadata(&entry.metadata().ok()?);
                self.bytes += stamp.size;
                if self.bytes > MAX_BYTES {
                    return None;
                }
                let hash = match self.known.hash(&rel, &stamp) {
                    Some(hash) => hash.to_owned(),
                    None => {
                        self.hashed += 1;
                        hex(&Sha256::digest(std::fs::read(&path).ok()?))
                    }
                };
                let what = format!("file {hash}");
                if !stamp.racy(self.taken) {
                    self.inputs.push(Input {
                        path: rel.clone(),
                        stamp,
                        hash,
                    });
                }
                what
            } else if kind.is_symlink() {
                // What the link names, and what following it finds (a probe such as
                // `is_file` follows it).
                let target = std::fs::read_link(&path).ok()?;
                let found = match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() => "a file",
                    Ok(m) if m.is_dir() => "a folder",
                    Ok(_) => "something else",
                    Err(_) => "nothing",
                };
                format!("link {} to {found}", target.display())
            } else {
                "special".to_owned()
            };
            if !excluded {
                self.entries.push(Entry { path: rel, what });
            }
        }
        Some(())
    }
}

/// What else a build's result depends on besides the project folder.
#[derive(Debug, Clone)]
pub struct Context {
    /// The run's options that change what is built or said (`--env`, `--target`,
    /// `--deny-warnings`, the project path as shown), as one string.
    pub options: String,
    /// The folder of template overrides, when given.
    pub templates: Option<PathBuf>,
}

/// The key: the build id, the options, the project's canonical path and git root, the
/// template overrides, and the snapshot.
#[must_use]
pub fn key(dir: &Path, context: &Context, snapshot: &Snapshot) -> Option<String> {
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &[u8]| {
        h.update(name.as_bytes());
        h.update((value.len() as u64).to_le_bytes());
        h.update(value);
    };
    field("build", BUILD_ID.as_bytes());
    field("options", context.options.as_bytes());
    let canonical = std::fs::canonicalize(dir).ok()?;
    field("canonical", canonical.as_os_str().as_encoded_bytes());
    let git = crate::plan::repository::git_root(&canonical);
    field(
        "git",
        git.as_ref()
            .map_or(&b"none"[..], |g| g.as_os_str().as_encoded_bytes()),
    );
    if let Some(templates) = &context.templates {
        field("templates", templates.as_os_str().as_encoded_bytes());
        for e in &snapshot_of_templates(templates)?.entries {
            field(&e.path, e.what.as_bytes());
        }
    }
    for e in &snapshot.entries {
        field(&e.path, e.what.as_bytes());
    }
    Some(hex(&h.finalize()))
}

/// The override folder's snapshot (links followed only as the renderer does: it reads
/// the file a link leads to, so the link's target is hashed through `metadata`).
fn snapshot_of_templates(dir: &Path) -> Option<Snapshot> {
    let mut snap = snapshot(dir, &Excluded::default(), &Known::none())?;
    for e in &mut snap.entries {
        if e.what.starts_with("link ") {
            let bytes = std::fs::read(dir.join(&e.path)).unwrap_or_default();
            e.what = format!("{} {}", e.what, hex(&Sha256::digest(&bytes)));
        }
    }
    Some(snap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions_cover_generated_files_and_the_output_folders_bookkeeping_only() {
        let x = Excluded {
            folder: Some("deploy".into()),
            files: ["deploy/k8s/a.yaml", ".github/workflows/a.yml"]
                .map(String::from)
                .into(),
        };
        assert!(x.covers("deploy", true));
        assert!(x.covers("deploy/k8s", true));
        assert!(x.covers("deploy/k8s/a.yaml", false));
        assert!(x.covers("deploy/.cfgen-manifest", false));
        assert!(x.covers("deploy/k8s/.cfgen-tmp.1.2", false));
        assert!(!x.covers("deploy/k8s/mine.yaml", false));
        assert!(!x.covers("deployment.yaml", false));
        assert!(!x.covers("deploy2", true));
        assert!(x.covers(".github/workflows/a.yml", false));
        assert!(!x.covers(".github/workflows/b.yml", false));
        assert!(x.covers(".github", true));
        assert!(x.covers(".github/workflows", true));
        assert!(!x.covers(".github", false));
        assert!(!x.covers(".git", true));
    }

    #[test]
    fn the_key_changes_with_any_byte_name_or_kind() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::write(dir.path().join("cfgen.yaml"), "a").unwrap();
        let context = Context {
            options: String::new(),
            templates: None,
        };
        let k = |d: &Path| {
            let snap = snapshot(d, &Excluded::default(), &Known::none()).unwrap();
            key(d, &context, &snap).unwrap()
        };
        let first = k(dir.path());
        assert_eq!(first, k(dir.path()));
        std::fs::write(dir.path().join("cfgen.yaml"), "b").unwrap();
        let second = k(dir.path());
        assert_ne!(first, second);
        std::fs::create_dir(dir.path().join("config/x")).unwrap();
        let third = k(dir.path());
        assert_ne!(second, third);
        std::fs::remove_dir(dir.path().join("config/x")).unwrap();
        std::fs::write(dir.path().join("config/x"), "").unwrap();
        assert_ne!(third, k(dir.path()));
    }

    /// A project folder of three files, and a moment long enough after their times that
    /// their statuses are not racy.
    fn three_files() -> (tempfile::TempDir, [i64; 2]) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(dir.path().join("cfgen.yaml"), "name: a\n").unwrap();
        std::fs::write(dir.path().join("config/app.yaml"), "port: 1\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "aaaa").unwrap();
        let now = stamp::now();
        (dir, [now[0] + 10, now[1]])
    }

    fn key_of(dir: &Path, snap: &Snapshot) -> String {
        let context = Context {
            options: String::new(),
            templates: None,
        };
        key(dir, &context, snap).unwrap()
    }

    #[test]
    fn an_unchanged_file_is_not_read_again_and_the_key_is_the_same() {
        let (dir, later) = three_files();
        let none = Excluded::default();
        let first = snapshot_at(dir.path(), &none, &Known::none(), later).unwrap();
        assert_eq!(first.hashed(), 3);
        assert_eq!(first.inputs().len(), 3);
        let second = snapshot_at(dir.path(), &none, &first.known(), later).unwrap();
        assert_eq!(second.hashed(), 0);
        assert!(second.same(&first));
        assert_eq!(second.inputs(), first.inputs());
        assert_eq!(key_of(dir.path(), &second), key_of(dir.path(), &first));
        // One file changed (its size too): only it is read, and the key changes.
        std::fs::write(dir.path().join("config/app.yaml"), "port: 22\n").unwrap();
        let third = snapshot(dir.path(), &none, &Known::of(first.inputs(), later)).unwrap();
        assert_eq!(third.hashed(), 1);
        assert_ne!(key_of(dir.path(), &third), key_of(dir.path(), &first));
        // A new file is read.
        std::fs::write(dir.path().join("config/new.yaml"), "x").unwrap();
        let fourth = snapshot_at(dir.path(), &none, &first.known(), later).unwrap();
        assert_eq!(fourth.hashed(), 2);
    }

    #[test]
    fn a_change_that_keeps_the_size_and_restores_the_mtime_is_read_again() {
        let (dir, later) = three_files();
        let none = Excluded::default();
        let path = dir.path().join("notes.txt");
        let first = snapshot_at(dir.path(), &none, &Known::none(), later).unwrap();
        let old = std::fs::metadata(&path).unwrap();
        std::fs::write(&path, "bbbb").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old.modified().unwrap())
            .unwrap();
        let new = std::fs::metadata(&path).unwrap();
        let (was, is) = (Stamp::of_metadata(&old), Stamp::of_metadata(&new));
        assert_eq!((was.size, was.mtime, was.ino), (is.size, is.mtime, is.ino));
        assert_ne!(was.ctime, is.ctime, "no call sets the change time back");
        let second = snapshot_at(dir.path(), &none, &first.known(), later).unwrap();
        assert_eq!(second.hashed(), 1);
        assert!(!second.same(&first));
        assert_ne!(key_of(dir.path(), &second), key_of(dir.path(), &first));
    }

    #[test]
    fn a_racy_status_is_never_trusted() {
        let (dir, later) = three_files();
        let none = Excluded::default();
        // Walked now, the files were changed within the margin: none is kept to trust.
        let now = snapshot(dir.path(), &none, &Known::none()).unwrap();
        assert_eq!(now.hashed(), 3);
        assert!(now.inputs().is_empty());
        let again = snapshot(dir.path(), &none, &now.known()).unwrap();
        assert_eq!(again.hashed(), 3);
        // Statuses recorded later, but trusted against a record made now: read again.
        let recorded = snapshot_at(dir.path(), &none, &Known::none(), later).unwrap();
        let racy = Known::of(recorded.inputs(), stamp::now());
        let third = snapshot_at(dir.path(), &none, &racy, later).unwrap();
        assert_eq!(third.hashed(), 3);
        assert!(third.same(&recorded));
    }

    #[test]
    fn the_byte_bound_counts_files_whose_hash_is_reused() {
        let (dir, later) = three_files();
        let big = dir.path().join("big.bin");
        // Sparse: no byte of it is written or read.
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_BYTES + 1)
            .unwrap();
        let none = Excluded::default();
        assert!(snapshot_at(dir.path(), &none, &Known::none(), later).is_none());
        let inputs = [Input {
            path: "big.bin".into(),
            stamp: Stamp::of_metadata(&std::fs::metadata(&big).unwrap()),
            hash: "0".repeat(64),
        }];
        let known = Known::of(&inputs, later);
        assert!(snapshot_at(dir.path(), &none, &known, later).is_none());
    }
}
