//! The incremental-build cache: per project and set of options, one record of the last
//! build or check that found the output up to date, so that a later run of the same
//! inputs renders nothing and only checks that the output folder still holds what the
//! record says.
//!
//! It lives in the user's cache folder (`$CFGEN_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/cfgen`, else `~/.cache/cfgen`), never in the project: the
//! project's `.cfgen-manifest` may come from an untrusted pull request, so nothing
//! there is trusted as a proof of freshness. A record holds:
//!
//! - the key ([`key`]): cfgen's build id, the options, and every byte the build reads;
//! - each input file's status and content hash, so the next lookup reads only the files
//!   whose status changed ([`key::Input`]);
//! - each output file's status and content hash ([`crate::emit::stamp`]);
//! - the diagnostics and unused-value report to replay ([`replay`]).
//!
//! Any doubt is a miss: a record that does not parse, fails its checksum, comes from
//! another build id or key, or an output file that is missing or changed send the
//! project down the full path, which then writes a new record. Records are written
//! through a temporary file and a rename (a reader sees an old record or a new one,
//! never half of one), at most [`MAX_RECORD_BYTES`] each, and the folder is trimmed to
//! [`MAX_TOTAL_BYTES`], oldest first.

pub mod key;
pub mod replay;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::emit::stamp::Tracked;

/// The environment variable naming the cache folder (tests point it at a temporary one).
pub const DIR_VAR: &str = "CFGEN_CACHE_DIR";
/// Largest record written; a project whose record would be larger is not cached.
pub const MAX_RECORD_BYTES: usize = 8 * 1024 * 1024;
/// Most bytes of records kept; past it the least recently used go.
pub const MAX_TOTAL_BYTES: u64 = 512 * 1024 * 1024;
/// The first line of a record (the format's version).
const MAGIC: &str = "cfgen-cache 2";
/// The folder of records below the cache folder.
const RECORDS: &str = "records-2";

/// One project's record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// The build id that wrote it.
    pub build: String,
    /// The key of the inputs.
    pub key: String,
    /// When the output statuses were taken (seconds, nanoseconds).
    pub made: [i64; 2],
    /// The manifest's `output` value.
    pub output: String,
    /// What of the project folder is output (left out of the key).
    pub excluded: key::Excluded,
    /// The project folder's regular files (output left out), with the status each had
    /// when hashed: a lookup reuses the hash of a file whose status is the same.
    pub inputs: Vec<key::Input>,
    /// `.cfgen-manifest` first, then the generated files.
    pub files: Vec<Tracked>,
    /// What to replay.
    pub replay: replay::Replay,
}

/// The cache folder of this user.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache of this user, `None` when there is no cache folder to use (no
    /// `$HOME`, or the folder is writable by others: their records would be trusted).
    #[must_use]
    pub fn open() -> Option<Self> {
        let base = match std::env::var_os(DIR_VAR) {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => match std::env::var_os("XDG_CACHE_HOME") {
                Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d).join("cfgen"),
                _ => PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?)
                    .join(".cache")
                    .join("cfgen"),
            },
        };
        let dir = base.join(RECORDS);
        Some(Self { dir })
    }

    /// Where the record of the project in `dir` built with `options` is.
    #[must_use]
    pub fn slot(&self, dir: &Path, options: &str) -> PathBuf {
        let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut h = Sha256::new();
        h.update(canonical.as_os_str().as_encoded_bytes());
        h.update([0]);
        h.update(options.as_bytes());
        let digest = h.finalize();
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.json"))
    }

    /// The record at `slot`; `None` when absent, unreadable, corrupt, too large or not
    /// written by this build of cfgen.
    #[must_use]
    pub fn load(&self, slot: &Path) -> Option<Record> {
        if !self.trusted() {
            return None;
        }
        let text = read_capped(slot)?;
        let (magic, rest) = text.split_once('\n')?;
        let (sum, body) = rest.split_once('\n')?;
        if magic != MAGIC || sum != hex(&Sha256::digest(body.as_bytes())) {
            return None;
        }
        let record: Record = serde_json::from_str(body).ok()?;
        (record.build == key::BUILD_ID).then_some(record)
    }

    /// Writes `record` to `slot` atomically; false when it was not written (too large,
    /// or an I/O failure: the cache is an optimisation, a failure costs the next run time).
    pub fn store(&self, slot: &Path, record: &Record) -> bool {
        let Ok(body) = serde_json::to_string(record) else {
            return false;
        };
        let text = format!("{MAGIC}\n{}\n{body}", hex(&Sha256::digest(body.as_bytes())));
        if text.len() > MAX_RECORD_BYTES || self.create().is_err() || !self.trusted() {
            return false;
        }
        let write = || -> std::io::Result<()> {
            let mut tmp = tempfile::Builder::new()
                .prefix(".tmp.")
                .tempfile_in(&self.dir)?;
            tmp.write_all(text.as_bytes())?;
            tmp.persist(slot).map_err(|e| e.error)?;
            Ok(())
        };
        write().is_ok()
    }

    fn create(&self) -> std::io::Result<()> {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
    }

    /// Whether the records folder is a folder (not a link) that no one else may write.
    fn trusted(&self) -> bool {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::symlink_metadata(&self.dir).is_ok_and(|m| m.is_dir() && m.mode() & 0o022 == 0)
    }

    /// Removes the least recently written records while they total more than
    /// `limit` bytes, and temporary files of interrupted writes older than an hour.
    pub fn trim(&self, limit: u64) {
        let Ok(read) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let mut records = Vec::new();
        for entry in read.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            let name = entry.file_name();
            if name.to_string_lossy().starts_with(".tmp.") {
                if modified < hour_ago {
                    let _ = std::fs::remove_file(entry.path());
                }
                continue;
            }
            records.push((modified, meta.len(), entry.path()));
        }
        let mut total: u64 = records.iter().map(|r| r.1).sum();
        records.sort();
        for (_, len, path) in records {
            if total <= limit {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

/// The text of `path` when it is a regular file of at most [`MAX_RECORD_BYTES`].
fn read_capped(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    file.take(MAX_RECORD_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .ok()?;
    (text.len() <= MAX_RECORD_BYTES).then_some(text)
}

/// Lower-case hex of a digest.
pub(crate) fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
