//! Stage 7: emit. Compares rendered output with the output folder, writes it,
//! and prunes what an earlier build generated and this one no longer does.
//!
//! The output folder and its `.cfgen-manifest` may come from an untrusted pull
//! request, so:
//!
//! 1. every path is opened below a handle on the folder without following a
//!    link ([`confined`]); only regular files are read, never blocking, capped;
//! 2. manifest entries are checked one by one ([`record`]); a file is deleted
//!    only while its content hashes to what cfgen recorded when it wrote it;
//! 3. one build writes a folder at a time ([`lock`]), and the order of writes
//!    leaves, after a crash at any point, a state the next build repairs:
//!    the manifest is extended (write-ahead) before any file appears, files are
//!    written through temporary files named `.cfgen-tmp.*` that the next build
//!    sweeps, and the final manifest is written last.
//!
//! A file that is not listed in the manifest but already holds exactly what
//! cfgen generates (a manifest deleted by hand, a checkout without it) is
//! adopted: listed from then on, and named in a note; any other unlisted file
//! is refused.

mod confined;
mod lock;
pub mod record;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use confined::{Dir, Refusal};
pub use confined::{Kind, TEMP_PREFIX};
pub use lock::{LOCK_NAME, Lock};
use record::{BadEntry, Entry, Record};

use crate::generate::Output;
use crate::load::MAX_FILE_BYTES;

/// The file in each output folder listing what cfgen generated there.
pub const MANIFEST_NAME: &str = ".cfgen-manifest";

/// Deepest folder nesting searched for leftover temporary files.
const MAX_DEPTH: usize = 32;

/// Writes `bytes` to `path` (a path the user gave, such as `--dir` of
/// `cfgen schema`) through a temporary file in the same folder and a rename,
/// so readers see the old file or the new one, never a partial one.
///
/// # Errors
/// On any I/O failure; the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    set_mode(tmp.path(), 0o644)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// Where an output folder is: a trusted start and the components below it
/// that are opened without following links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    base: PathBuf,
    within: Vec<String>,
}

impl Folder {
    /// The folder `output` (the manifest's value) of the project in `dir`.
    ///
    /// # Errors
    /// When `output` is not a relative path inside the project (the
    /// validate rule reports it first, at its line; this is the backstop).
    pub fn of_project(dir: &Path, output: &str) -> Result<Self, EmitError> {
        let refused = || EmitError::Outside {
            path: output.to_owned(),
        };
        if output.starts_with('/') || output.contains('\\') || output.contains('\0') {
            return Err(refused());
        }
        let mut within = Vec::new();
        for part in output.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(refused()),
                name => within.push(name.to_owned()),
            }
        }
        if within.is_empty() {
            return Err(refused());
        }
        Ok(Self {
            base: dir.to_path_buf(),
            within,
        })
    }

    /// A folder given on the command line (`--out`): trusted as given.
    #[must_use]
    pub fn trusted(path: &Path) -> Self {
        Self {
            base: path.to_path_buf(),
            within: Vec::new(),
        }
    }

    /// The folder's path as shown to users.
    #[must_use]
    pub fn shown(&self) -> PathBuf {
        self.within.iter().fold(self.base.clone(), |p, c| p.join(c))
    }

    /// A key that orders folders the same way in every process (locks are
    /// taken in this order, so two builds never wait on each other in a circle).
    #[must_use]
    pub fn lock_order(&self) -> PathBuf {
        let base = std::fs::canonicalize(&self.base).unwrap_or_else(|_| self.base.clone());
        self.within.iter().fold(base, |p, c| p.join(c))
    }

    fn parts(&self) -> Vec<&str> {
        self.within.iter().map(String::as_str).collect()
    }

    /// Opens the folder; `None` when it does not exist.
    fn open(&self) -> Result<Option<Dir>, EmitError> {
        let base = match Dir::open_trusted(&self.base) {
            Ok(base) => base,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(Op::Read, "", e)),
        };
        base.descend(&self.parts(), false)
            .map_err(|r| self.base_refusal(Op::Read, r))
    }

    /// Opens the folder, creating what is missing; returns how many of the
    /// components below the base existed before.
    fn create(&self) -> Result<(Dir, usize), EmitError> {
        if self.within.is_empty() {
            std::fs::create_dir_all(&self.base).map_err(|e| self.io(Op::CreateFolder, "", e))?;
        }
        let base = Dir::open_trusted(&self.base).map_err(|e| self.io(Op::Read, "", e))?;
        let parts = self.parts();
        let mut existing = 0;
        while existing < parts.len()
            && base
                .descend(&parts[..=existing], false)
                .map_err(|r| self.base_refusal(Op::Read, r))?
                .is_some()
        {
            existing += 1;
        }
        let dir = base
            .descend(&parts, true)
            .map_err(|r| self.base_refusal(Op::CreateFolder, r))?
            .expect("created");
        Ok((dir, existing))
    }

    /// Removes the components from `existing` on, deepest first, while empty.
    fn remove_created(&self, existing: usize) {
        let Ok(base) = Dir::open_trusted(&self.base) else {
            return;
        };
        let parts = self.parts();
        for i in (existing..parts.len()).rev() {
            let Ok(Some(parent)) = base.descend(&parts[..i], false) else {
                return;
            };
            if parent.remove_empty_folder(parts[i]).is_err() {
                return;
            }
        }
    }

    fn io(&self, op: Op, rel: &str, error: std::io::Error) -> EmitError {
        EmitError::Io {
            op,
            path: self.path_of(rel),
            error,
        }
    }

    fn refusal(&self, op: Op, rel: &str, refusal: Refusal) -> EmitError {
        match refusal {
            Refusal::Io(e) => self.io(op, rel, e),
            Refusal::NotRegular { path, found } => EmitError::NotRegular {
                path: self.path_of(&path),
                found,
            },
        }
    }

    /// A refusal on the way from the base to the folder (its paths are relative to the base).
    fn base_refusal(&self, op: Op, refusal: Refusal) -> EmitError {
        match refusal {
            Refusal::Io(e) => self.io(op, "", e),
            Refusal::NotRegular { path, found } => EmitError::NotRegular {
                path: path.split('/').fold(self.base.clone(), |p, c| p.join(c)),
                found,
            },
        }
    }

    fn path_of(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.shown()
        } else {
            rel.split('/').fold(self.shown(), |p, c| p.join(c))
        }
    }
}

/// What failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Reading a file or folder.
    Read,
    /// Writing a file.
    Write,
    /// Deleting a file.
    Delete,
    /// Creating a folder.
    CreateFolder,
    /// Taking the lock.
    Lock,
}

/// Why an output folder could not be compared or written.
#[derive(Debug)]
pub enum EmitError {
    /// A system call failed.
    Io {
        /// What cfgen was doing.
        op: Op,
        /// On which path.
        path: PathBuf,
        /// The failure.
        error: std::io::Error,
    },
    /// Something other than a regular file or folder is where cfgen would read or write.
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What is there.
        found: Kind,
    },
    /// The output folder is not inside the project.
    Outside {
        /// The `output` value.
        path: String,
    },
}

impl EmitError {
    /// The message a user reads.
    #[must_use]
    pub fn message(&self) -> String {
        use crate::messages;
        match self {
            Self::Io { op, path, error } => {
                let path = path.display().to_string();
                match op {
                    Op::Read => messages::read_failed(&path, error),
                    Op::Write => messages::write_failed(&path, error),
                    Op::Delete => messages::delete_failed(&path, error),
                    Op::CreateFolder => messages::create_folder_failed(&path, error),
                    Op::Lock => messages::lock_failed(&path, error),
                }
            }
            Self::NotRegular {
                path,
                found: Kind::File,
            } => messages::file_where_folder_is_needed(&path.display().to_string()),
            Self::NotRegular { path, found } => {
                messages::not_regular_output(&path.display().to_string(), found.words())
            }
            Self::Outside { path } => messages::output_outside_project(path),
        }
    }
}

/// What a build would change in an output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new file.
    Added(String),
    /// A file whose content differs; holds the unified diff.
    Modified(String, String),
    /// A file whose content is right and whose mode is not.
    Mode {
        /// The file.
        path: String,
        /// Its mode on disk.
        found: u32,
        /// The mode cfgen gives it.
        wanted: u32,
    },
    /// A file generated earlier and no longer, unchanged since cfgen wrote it.
    Removed(String),
    /// A temporary file an interrupted build left.
    Leftover(String),
}

/// The plan of a write: changes, unchanged files, and what cfgen refuses to touch.
#[derive(Debug, Default)]
pub struct Comparison {
    /// What differs.
    pub changes: Vec<Change>,
    /// Files already up to date.
    pub unchanged: usize,
    /// Existing files not generated by cfgen that the build would overwrite (shown paths).
    pub foreign: Vec<String>,
    /// Unlisted files that already hold exactly the generated content; the build lists them.
    pub adopted: Vec<String>,
    /// Listed files no longer generated that cfgen leaves in place, and why.
    pub kept: Vec<(String, KeptBecause)>,
    /// Manifest lines refused, and the manifest's text to point at them.
    pub bad_entries: Vec<BadEntry>,
    /// The manifest's text as read (for locating [`Self::bad_entries`]).
    pub manifest_text: String,
    record: Record,
}

/// Why a listed file is not pruned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptBecause {
    /// Its content changed since cfgen wrote it.
    Changed,
    /// The entry comes from an older cfgen and records no hash.
    NoHash,
    /// It is not a regular file.
    NotRegular(Kind),
}

/// The mode cfgen gives a file.
fn mode_of(executable: bool) -> u32 {
    if executable { 0o755 } else { 0o644 }
}

fn read_record(dir: &Dir, folder: &Folder) -> Result<(Record, String), EmitError> {
    match dir.read(MANIFEST_NAME, MAX_FILE_BYTES) {
        Ok(None) => Ok((Record::default(), String::new())),
        Ok(Some(found)) => {
            let text = String::from_utf8_lossy(&found.bytes).into_owned();
            Ok((record::parse(&text), text))
        }
        Err(r) => Err(folder.refusal(Op::Read, MANIFEST_NAME, r)),
    }
}

/// Compares `output` with its folder on disk. `lock` is the build's own lock
/// on the folder; without one (`--check`, `diff`) the comparison waits for a
/// running build by a shared lock, and creates nothing.
///
/// # Errors
/// When the folder or a file in it cannot be read, or is not a regular file
/// or folder.
pub fn compare(
    output: &Output,
    folder: &Folder,
    lock: Option<&Lock>,
) -> Result<Comparison, EmitError> {
    let opened;
    let dir = match lock {
        Some(lock) => lock.dir(),
        None => match folder.open()? {
            Some(dir) => {
                opened = dir;
                &opened
            }
            None => {
                return Ok(Comparison {
                    changes: output.files.keys().cloned().map(Change::Added).collect(),
                    ..Comparison::default()
                });
            }
        },
    };
    let _shared = match lock {
        Some(_) => None,
        None => lock::shared(dir).map_err(|r| folder.refusal(Op::Lock, LOCK_NAME, r))?,
    };
    let (record, manifest_text) = read_record(dir, folder)?;
    let mut result = Comparison {
        manifest_text,
        ..Comparison::default()
    };
    for (rel, file) in &output.files {
        let wanted = mode_of(file.executable);
        let found = dir
            .read(rel, MAX_FILE_BYTES)
            .map_err(|r| folder.refusal(Op::Read, rel, r))?;
        let Some(found) = found else {
            result.changes.push(Change::Added(rel.clone()));
            continue;
        };
        let listed = record.entries.contains_key(rel);
        if found.bytes == file.text.as_bytes() {
            if !listed {
                result.adopted.push(rel.clone());
            }
            if found.mode == wanted {
                result.unchanged += 1;
            } else {
                result.changes.push(Change::Mode {
                    path: rel.clone(),
                    found: found.mode,
                    wanted,
                });
            }
            continue;
        }
        if !listed {
            result
                .foreign
                .push(folder.path_of(rel).display().to_string());
        }
        let diff = if found.truncated {
            format!(
                "--- a/{rel}\n+++ b/{rel}\n(the file on disk is larger than {MAX_FILE_BYTES} bytes; not shown)\n"
            )
        } else {
            let old = String::from_utf8_lossy(&found.bytes);
            similar::TextDiff::from_lines(old.as_ref(), file.text.as_str())
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{rel}"), &format!("b/{rel}"))
                .to_string()
        };
        result.changes.push(Change::Modified(rel.clone(), diff));
    }
    {
        for (rel, entry) in &record.entries {
            if output.files.contains_key(rel) || !output.selection.owns(rel) {
                continue;
            }
            match dir.read(rel, MAX_FILE_BYTES) {
                Ok(None) => {}
                Ok(Some(found)) => {
                    if entry.hashes.is_empty() {
                        result.kept.push((rel.clone(), KeptBecause::NoHash));
                    } else if !found.truncated && entry.hashes.contains(&record::hash(&found.bytes))
                    {
                        result.changes.push(Change::Removed(rel.clone()));
                    } else {
                        result.kept.push((rel.clone(), KeptBecause::Changed));
                    }
                }
                Err(Refusal::NotRegular { found, .. }) => {
                    result
                        .kept
                        .push((rel.clone(), KeptBecause::NotRegular(found)));
                }
                Err(r) => return Err(folder.refusal(Op::Read, rel, r)),
            }
        }
    }
    let leftovers = dir
        .leftovers(MAX_DEPTH)
        .map_err(|e| folder.io(Op::Read, "", e))?;
    result
        .changes
        .extend(leftovers.into_iter().map(Change::Leftover));
    result.bad_entries.clone_from(&record.bad);
    result.record = record;
    Ok(result)
}

/// A folder locked for writing; see [`lock`].
#[derive(Debug)]
pub struct Locked {
    lock: Option<Lock>,
    folder: Folder,
    existing: usize,
}

impl Locked {
    /// The lock, for [`compare`] and [`write`].
    #[must_use]
    pub fn lock(&self) -> &Lock {
        self.lock.as_ref().expect("held until dropped")
    }

    /// Releases the lock without writing and removes the folders that
    /// [`lock`] created for it (a build that fails writes nothing).
    pub fn abandon(mut self) {
        drop(self.lock.take());
        self.folder.remove_created(self.existing);
    }
}

/// Creates the output folder (confined) and takes its lock; `waiting` is
/// called once when another build holds it (this one then waits).
///
/// # Errors
/// When the folder cannot be created or locked.
pub fn lock(folder: &Folder, waiting: impl FnMut()) -> Result<Locked, EmitError> {
    let (dir, existing) = folder.create()?;
    let lock = Lock::take(dir, waiting).map_err(|r| folder.refusal(Op::Lock, LOCK_NAME, r))?;
    Ok(Locked {
        lock: Some(lock),
        folder: folder.clone(),
        existing,
    })
}

/// Counts of a completed write.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Files written (new or changed).
    pub written: usize,
    /// Files already up to date.
    pub unchanged: usize,
    /// Files removed.
    pub pruned: usize,
    /// Modes repaired on files whose content was right.
    pub modes: usize,
    /// Temporary files of an interrupted build removed.
    pub swept: usize,
}

fn write_record(dir: &Dir, folder: &Folder, text: &str) -> Result<(), EmitError> {
    dir.write(MANIFEST_NAME, text.as_bytes(), 0o644)
        .map_err(|r| folder.refusal(Op::Write, MANIFEST_NAME, r))?;
    dir.sync().map_err(|e| folder.io(Op::Write, "", e))
}

/// Applies a comparison made under `locked`: sweeps leftovers, extends the
/// manifest with the files about to be written, writes them, prunes, and
/// records the final set.
///
/// # Errors
/// On I/O failure; what was done so far is consistent (see the module docs).
pub fn write(
    output: &Output,
    folder: &Folder,
    comparison: &Comparison,
    locked: &Locked,
) -> Result<Summary, EmitError> {
    let dir = locked.lock().dir();
    let mut summary = Summary {
        unchanged: comparison.unchanged,
        ..Summary::default()
    };
    for change in &comparison.changes {
        if let Change::Leftover(rel) = change {
            dir.remove_leftover(rel)
                .map_err(|r| folder.refusal(Op::Delete, rel, r))?;
            summary.swept += 1;
        }
    }
    let generated: BTreeMap<&str, Entry> = output
        .files
        .iter()
        .map(|(rel, file)| {
            (
                rel.as_str(),
                Entry {
                    hashes: vec![record::hash(file.text.as_bytes())],
                    mode: Some(mode_of(file.executable)),
                },
            )
        })
        .collect();
    let writes = comparison.changes.iter().any(|c| {
        matches!(
            c,
            Change::Added(_) | Change::Modified(..) | Change::Mode { .. }
        )
    });
    if writes || !comparison.adopted.is_empty() {
        // Write-ahead: every file that may exist after a crash from here on
        // (old content or new) is listed with the hash of its content.
        let mut ahead: BTreeMap<&str, Entry> = comparison
            .record
            .entries
            .iter()
            .map(|(p, e)| (p.as_str(), e.clone()))
            .collect();
        for (rel, entry) in &generated {
            let slot = ahead.entry(rel).or_default();
            for h in &entry.hashes {
                if !slot.hashes.contains(h) {
                    slot.hashes.push(h.clone());
                }
            }
            slot.mode = entry.mode;
        }
        write_record(
            dir,
            folder,
            &record::format(ahead.iter().map(|(p, e)| (*p, e))),
        )?;
    }
    for change in &comparison.changes {
        match change {
            Change::Added(rel) | Change::Modified(rel, _) => {
                let file = &output.files[rel];
                dir.write(rel, file.text.as_bytes(), mode_of(file.executable))
                    .map_err(|r| folder.refusal(Op::Write, rel, r))?;
                summary.written += 1;
            }
            Change::Mode { path, wanted, .. } => {
                dir.set_mode(path, *wanted)
                    .map_err(|r| folder.refusal(Op::Write, path, r))?;
                summary.modes += 1;
            }
            Change::Removed(rel) => {
                let hashes = &comparison.record.entries[rel].hashes;
                let removed = dir
                    .remove_if(rel, MAX_FILE_BYTES, |found| {
                        !found.truncated && hashes.contains(&record::hash(&found.bytes))
                    })
                    .map_err(|r| folder.refusal(Op::Delete, rel, r))?;
                summary.pruned += usize::from(removed);
            }
            Change::Leftover(_) => {}
        }
    }
    let mut listed: BTreeMap<&str, Entry> = generated;
    // A narrowed run keeps the entries of what it does not own (nor rebuild).
    for (rel, entry) in &comparison.record.entries {
        if !output.selection.owns(rel) {
            listed.entry(rel.as_str()).or_insert_with(|| entry.clone());
        }
    }
    let text = record::format(listed.iter().map(|(p, e)| (*p, e)));
    let (_, current) = read_record(dir, folder)?;
    if current != text {
        write_record(dir, folder, &text)?;
    }
    Ok(summary)
}
