//! What the incremental-build cache ([`crate::cache`]) knows of an output folder it
//! verified: each generated file's status (size, times, inode, mode) and content hash,
//! and the same of `.cfgen-manifest`. A later run trusts a file whose status is
//! unchanged, re-hashes one whose status changed, and gives up (the caller takes the
//! full path) on anything else, as git's index does.
//!
//! A status is trusted only when the file's modification and change times are older
//! than the moment the record was made by [`RACY_MARGIN`]: a file changed within the
//! same timestamp tick as the one recorded would keep its status ("racy git"), so such
//! a file is hashed again, and recorded anew once it is old enough.

use super::{EmitError, Folder, LOCK_NAME, MANIFEST_NAME, MAX_DEPTH, Op, record};
use crate::generate::Output;
use crate::load::MAX_FILE_BYTES;

/// How much older than the record a file's times must be for its status to be trusted:
/// well above any file system's timestamp granularity (FAT's 2 s) and the lag of the
/// kernel's coarse clock behind the one read here.
pub const RACY_MARGIN_SECONDS: i64 = 3;
/// [`RACY_MARGIN_SECONDS`], for the docs.
pub const RACY_MARGIN: std::time::Duration =
    std::time::Duration::from_secs(RACY_MARGIN_SECONDS as u64);

/// A regular file's status as `stat` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time: seconds and nanoseconds since the epoch.
    pub mtime: [i64; 2],
    /// Status change time (no call sets it back): seconds and nanoseconds.
    pub ctime: [i64; 2],
    /// Inode number.
    pub ino: u64,
    /// Device number.
    pub dev: u64,
    /// Permission bits.
    pub mode: u32,
}

impl Stamp {
    pub(super) fn of(st: &rustix::fs::Stat) -> Self {
        #[allow(
            clippy::cast_sign_loss,
            clippy::unnecessary_cast,
            clippy::useless_conversion
        )]
        Self {
            size: st.st_size as u64,
            mtime: [st.st_mtime as i64, st.st_mtime_nsec as i64],
            ctime: [st.st_ctime as i64, st.st_ctime_nsec as i64],
            ino: st.st_ino as u64,
            dev: st.st_dev as u64,
            mode: st.st_mode & 0o7777,
        }
    }

    /// The status in `meta` (as `lstat` gives it: not following a link).
    #[must_use]
    pub fn of_metadata(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self {
            size: meta.size(),
            mtime: [meta.mtime(), meta.mtime_nsec()],
            ctime: [meta.ctime(), meta.ctime_nsec()],
            ino: meta.ino(),
            dev: meta.dev(),
            mode: meta.mode() & 0o7777,
        }
    }

    /// Whether this status cannot tell a later change: a time not older than `made`
    /// (the record's moment) by the margin, or in the future.
    #[must_use]
    pub fn racy(&self, made: [i64; 2]) -> bool {
        let limit = made[0] - RACY_MARGIN_SECONDS;
        self.mtime[0] >= limit || self.ctime[0] >= limit
    }
}

/// Now, as seconds and nanoseconds since the epoch.
#[must_use]
pub fn now() -> [i64; 2] {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    [
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        i64::from(d.subsec_nanos()),
    ]
}

/// One file the cache vouches for: its path as in `.cfgen-manifest` (relative to the
/// output folder), its status and the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tracked {
    /// The path relative to the output folder (`../…` for the repository-root workflow).
    pub path: String,
    /// Its status when verified.
    pub stamp: Stamp,
    /// Hex SHA-256 of its content.
    pub hash: String,
}

/// The statuses of `output`'s files and of the folder's `.cfgen-manifest`, taken after a
/// build wrote them or a check found them up to date (the content hashes are those of the
/// generated text; a change since is caught by the racy rule, see the module docs).
/// `None` when a file is missing or not a regular file.
///
/// # Errors
/// On I/O failure.
pub fn stamps(output: &Output, folder: &Folder) -> Result<Option<Vec<Tracked>>, EmitError> {
    let Some(dir) = folder.open()? else {
        return Ok(None);
    };
    let mut tracked = Vec::with_capacity(output.files.len() + 1);
    let Some(manifest) = dir
        .read(MANIFEST_NAME, MAX_FILE_BYTES)
        .map_err(|r| folder.refusal(Op::Read, MANIFEST_NAME, r))?
    else {
        return Ok(None);
    };
    tracked.push(Tracked {
        path: MANIFEST_NAME.to_owned(),
        stamp: manifest.stamp,
        hash: record::hash(&manifest.bytes),
    });
    for (rel, file) in &output.files {
        match folder.at(&dir, rel, Op::Read, |d, r| d.stat(r)) {
            Ok(Some(stamp)) => tracked.push(Tracked {
                path: rel.clone(),
                stamp,
                hash: record::hash(file.text.as_bytes()),
            }),
            Ok(None) | Err(EmitError::NotRegular { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(Some(tracked))
}

/// What [`verify`] found.
#[derive(Debug)]
pub enum Verified {
    /// Every file is as recorded; holds the statuses as found (refreshed where a file was
    /// re-hashed) and whether any differs from the record.
    Same(Vec<Tracked>, bool),
    /// Something differs, is missing, or cannot be told: take the full path.
    Doubt,
}

/// Whether the output folder still holds exactly what `tracked` records (taken at
/// `made`): no build holds its lock, no temporary file of an interrupted write is left,
/// and every tracked file has its recorded status, or its recorded size, mode and content.
#[must_use]
pub fn verify(folder: &Folder, tracked: &[Tracked], made: [i64; 2]) -> Verified {
    let Ok(Some(dir)) = folder.open() else {
        return Verified::Doubt;
    };
    if !matches!(dir.stat(LOCK_NAME), Ok(None)) {
        return Verified::Doubt;
    }
    if !matches!(dir.leftovers(MAX_DEPTH), Ok(l) if l.is_empty()) {
        return Verified::Doubt;
    }
    let mut found = Vec::with_capacity(tracked.len());
    let mut refreshed = false;
    let mut opened = std::collections::HashMap::new();
    for t in tracked {
        if Folder::is_root_file(&t.path)
            && !matches!(folder.root_leftovers(&t.path), Ok(l) if l.is_empty())
        {
            return Verified::Doubt;
        }
        let Some(stamp) = status(folder, &dir, &mut opened, &t.path) else {
            return Verified::Doubt;
        };
        if stamp == t.stamp && !t.stamp.racy(made) {
            found.push(t.clone());
            continue;
        }
        if stamp.size != t.stamp.size || stamp.mode != t.stamp.mode {
            return Verified::Doubt;
        }
        let Ok(Some(read)) = folder.at(&dir, &t.path, Op::Read, |d, r| d.read(r, MAX_FILE_BYTES))
        else {
            return Verified::Doubt;
        };
        if read.truncated
            || read.stamp.size != t.stamp.size
            || read.stamp.mode != t.stamp.mode
            || record::hash(&read.bytes) != t.hash
        {
            return Verified::Doubt;
        }
        refreshed = true;
        found.push(Tracked {
            path: t.path.clone(),
            stamp: read.stamp,
            hash: t.hash.clone(),
        });
    }
    Verified::Same(found, refreshed)
}

/// The status of the regular file at `rel`, opening each folder below `dir` once (kept in
/// `opened`); `None` when it is absent, not a regular file, or cannot be read.
fn status(
    folder: &Folder,
    dir: &super::confined::Dir,
    opened: &mut std::collections::HashMap<String, Option<super::confined::Dir>>,
    rel: &str,
) -> Option<Stamp> {
    if Folder::is_root_file(rel) {
        return folder.at(dir, rel, Op::Read, |d, r| d.stat(r)).ok()?;
    }
    let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let sub = opened.entry(parent.to_owned()).or_insert_with(|| {
        let parts: Vec<&str> = parent.split('/').filter(|p| !p.is_empty()).collect();
        dir.descend(&parts, false).ok().flatten()
    });
    sub.as_ref()?.stat_here(name, rel).ok()?
}
