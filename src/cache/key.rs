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

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::hex;

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

/// The entries of a folder, sorted by path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    entries: Vec<Entry>,
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
        }
    }
}

/// Walks `dir` (not following links) into a snapshot, leaving out what `excluded`
/// covers (unread); `None` when the folder is larger than the bounds or cannot be read.
#[must_use]
pub fn snapshot(dir: &Path, excluded: &Excluded) -> Option<Snapshot> {
    let mut walk = Walk {
        entries: Vec::new(),
        bytes: 0,
        excluded,
    };
    walk.folder(dir, "", 0)?;
    walk.entries.sort_by(|a, b| a.path.cmp(&b.path));
    Some(Snapshot {
        entries: walk.entries,
    })
}

struct Walk<'a> {
    entries: Vec<Entry>,
    bytes: u64,
    excluded: &'a Excluded,
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
                let size = entry.metadata().ok()?.len();
                self.bytes += size;
                if self.bytes > MAX_BYTES {
                    return None;
                }
                let bytes = std::fs::read(&path).ok()?;
                format!("file {}", hex(&Sha256::digest(&bytes)))
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
    let mut snap = snapshot(dir, &Excluded::default())?;
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
        let k = |d: &Path| key(d, &context, &snapshot(d, &Excluded::default()).unwrap()).unwrap();
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
}
