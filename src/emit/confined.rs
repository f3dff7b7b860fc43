//! The output folder as a directory handle. Every path cfgen writes, compares
//! or deletes is opened relative to it one component at a time with
//! `O_NOFOLLOW`, so a symbolic link anywhere below the folder (a `deploy/k8s`
//! that points at `/etc`, a generated file replaced by a link to a secret) is
//! refused instead of followed; special files are never opened for reading
//! without a check that they are regular, and never block (`O_NONBLOCK`).

use std::fs::File;
use std::io::{self, Read as _, Write as _};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

/// Prefix of the temporary files of a write; a later build sweeps any it finds.
pub const TEMP_PREFIX: &str = ".cfgen-tmp.";

/// What sits at a path instead of a regular file or folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A folder.
    Folder,
    /// A symbolic link (never followed).
    Link,
    /// A FIFO, socket or device.
    Special,
}

impl Kind {
    fn of(file_type: FileType) -> Self {
        match file_type {
            FileType::RegularFile => Self::File,
            FileType::Directory => Self::Folder,
            FileType::Symlink => Self::Link,
            _ => Self::Special,
        }
    }

    /// Words for messages: "a symbolic link".
    #[must_use]
    pub fn words(self) -> &'static str {
        match self {
            Self::File => "a regular file",
            Self::Folder => "a folder",
            Self::Link => "a symbolic link",
            Self::Special => "a special file (FIFO, socket or device)",
        }
    }
}

/// An I/O failure, or a path that holds something cfgen refuses to touch.
#[derive(Debug)]
pub enum Refusal {
    /// The system call failed.
    Io(io::Error),
    /// `path` (relative to the folder) is not what was expected.
    NotRegular {
        /// The offending path, relative to the output folder.
        path: String,
        /// What is there.
        found: Kind,
    },
}

impl From<io::Error> for Refusal {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<rustix::io::Errno> for Refusal {
    fn from(e: rustix::io::Errno) -> Self {
        Self::Io(e.into())
    }
}

/// A regular file's bytes and permission bits as found on disk.
#[derive(Debug)]
pub struct Found {
    /// Its content, at most the cap plus one byte.
    pub bytes: Vec<u8>,
    /// Permission bits (`0o644`).
    pub mode: u32,
    /// Whether the file was longer than the cap.
    pub truncated: bool,
    /// Its status, taken on the open file before its bytes were read.
    pub stamp: super::stamp::Stamp,
}

/// An open folder; paths below it are `/`-separated and checked by the caller.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

fn not_found(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

impl Dir {
    /// Opens `path` as given (the trusted start: the project folder or `--out`).
    ///
    /// # Errors
    /// When it cannot be opened as a folder.
    pub fn open_trusted(path: &Path) -> io::Result<Self> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Self { fd })
    }

    /// Kind of the entry `name` in this folder, without following a link.
    fn kind_of(&self, name: &str) -> io::Result<Option<Kind>> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(Kind::of(FileType::from_raw_mode(st.st_mode)))),
            Err(e) => {
                let e = io::Error::from(e);
                if not_found(&e) { Ok(None) } else { Err(e) }
            }
        }
    }

    /// The subfolder `name`, created when `create`; `None` when absent.
    fn child(&self, name: &str, shown: &str, create: bool) -> Result<Option<Self>, Refusal> {
        loop {
            match rustix::fs::openat(&self.fd, name, DIR_FLAGS, Mode::empty()) {
                Ok(fd) => return Ok(Some(Self { fd })),
                Err(e) => {
                    let e = io::Error::from(e);
                    match self.kind_of(name)? {
                        None if create => {
                            match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o755)) {
                                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                                Err(e) => return Err(e.into()),
                            }
                        }
                        None => return Ok(None),
                        Some(Kind::Folder) => return Err(e.into()),
                        Some(found) => {
                            return Err(Refusal::NotRegular {
                                path: shown.to_owned(),
                                found,
                            });
                        }
                    }
                }
            }
        }
    }

    /// Opens the folder at `rel` (`a/b`) below this one, component by component
    /// without following links; `None` when a component does not exist and
    /// `create` is off. `shown_prefix` prefixes paths in refusals.
    ///
    /// # Errors
    /// When a component is a link or a file, or on I/O failure.
    pub fn descend(&self, rel: &[&str], create: bool) -> Result<Option<Self>, Refusal> {
        let mut current: Option<Self> = None;
        for (i, name) in rel.iter().enumerate() {
            let shown = rel[..=i].join("/");
            let base = current.as_ref().unwrap_or(self);
            match base.child(name, &shown, create)? {
                Some(next) => current = Some(next),
                None => return Ok(None),
            }
        }
        match current {
            Some(dir) => Ok(Some(dir)),
            None => Ok(Some(Self {
                fd: self.fd.try_clone()?,
            })),
        }
    }

    /// Splits `rel` into its folder (opened) and its file name.
    fn parent_of<'r>(
        &self,
        rel: &'r str,
        create: bool,
    ) -> Result<Option<(Self, &'r str)>, Refusal> {
        let parts: Vec<&str> = rel.split('/').collect();
        let (name, folders) = parts.split_last().ok_or_else(|| {
            Refusal::Io(io::Error::new(io::ErrorKind::InvalidInput, "empty path"))
        })?;
        Ok(self.descend(folders, create)?.map(|dir| (dir, *name)))
    }

    /// Reads the regular file at `rel`, at most `cap` bytes; `None` when absent.
    ///
    /// # Errors
    /// When something other than a regular file is there (it is not opened
    /// unless it is a regular file), or on I/O failure.
    pub fn read(&self, rel: &str, cap: u64) -> Result<Option<Found>, Refusal> {
        let Some((dir, name)) = self.parent_of(rel, false)? else {
            return Ok(None);
        };
        dir.read_here(name, rel, cap)
    }

    fn read_here(&self, name: &str, shown: &str, cap: u64) -> Result<Option<Found>, Refusal> {
        match self.kind_of(name)? {
            None => return Ok(None),
            Some(Kind::File) => {}
            Some(found) => {
                return Err(Refusal::NotRegular {
                    path: shown.to_owned(),
                    found,
                });
            }
        }
        let fd = rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let st = rustix::fs::fstat(&fd)?;
        let found = Kind::of(FileType::from_raw_mode(st.st_mode));
        if found != Kind::File {
            return Err(Refusal::NotRegular {
                path: shown.to_owned(),
                found,
            });
        }
        let mut bytes = Vec::new();
        File::from(fd).take(cap + 1).read_to_end(&mut bytes)?;
        let truncated = bytes.len() as u64 > cap;
        Ok(Some(Found {
            bytes,
            mode: st.st_mode & 0o7777,
            truncated,
            stamp: super::stamp::Stamp::of(&st),
        }))
    }

    /// The status of the regular file at `rel` without opening it (no link followed on
    /// the way); `None` when absent.
    ///
    /// # Errors
    /// When something other than a regular file is there, or on I/O failure.
    pub fn stat(&self, rel: &str) -> Result<Option<super::stamp::Stamp>, Refusal> {
        let Some((dir, name)) = self.parent_of(rel, false)? else {
            return Ok(None);
        };
        dir.stat_here(name, rel)
    }

    /// [`Self::stat`] of the entry `name` of this folder (`shown` in refusals).
    ///
    /// # Errors
    /// When something other than a regular file is there, or on I/O failure.
    pub fn stat_here(
        &self,
        name: &str,
        shown: &str,
    ) -> Result<Option<super::stamp::Stamp>, Refusal> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => match Kind::of(FileType::from_raw_mode(st.st_mode)) {
                Kind::File => Ok(Some(super::stamp::Stamp::of(&st))),
                found => Err(Refusal::NotRegular {
                    path: shown.to_owned(),
                    found,
                }),
            },
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes `bytes` with `mode` to `rel` through a temporary file in the
    /// same folder and a rename; creates missing folders.
    ///
    /// # Errors
    /// When a component is not a folder, or on I/O failure (the temporary file is removed).
    pub fn write(&self, rel: &str, bytes: &[u8], mode: u32) -> Result<(), Refusal> {
        let Some((dir, name)) = self.parent_of(rel, true)? else {
            unreachable!("descend with create returns a folder");
        };
        dir.write_here(name, rel, bytes, mode)
    }

    fn write_here(&self, name: &str, shown: &str, bytes: &[u8], mode: u32) -> Result<(), Refusal> {
        if let Some(found @ (Kind::Folder | Kind::Special)) = self.kind_of(name)? {
            return Err(Refusal::NotRegular {
                path: shown.to_owned(),
                found,
            });
        }
        let tmp = temp_name();
        let fd = rustix::fs::openat(
            &self.fd,
            tmp.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )?;
        let result = (|| -> io::Result<()> {
            let mut file = File::from(fd);
            file.write_all(bytes)?;
            rustix::fs::fchmod(file.as_fd(), Mode::from_raw_mode(mode))?;
            file.sync_all()?;
            rustix::fs::renameat(&self.fd, tmp.as_str(), &self.fd, name)?;
            Ok(())
        })();
        if result.is_err() {
            let _ = rustix::fs::unlinkat(&self.fd, tmp.as_str(), AtFlags::empty());
        }
        Ok(result?)
    }

    /// Sets the mode of the regular file at `rel`.
    ///
    /// # Errors
    /// When it is not a regular file, or on I/O failure.
    pub fn set_mode(&self, rel: &str, mode: u32) -> Result<(), Refusal> {
        let Some((dir, name)) = self.parent_of(rel, false)? else {
            return Err(io::Error::from(io::ErrorKind::NotFound).into());
        };
        if dir.kind_of(name)? != Some(Kind::File) {
            return Err(Refusal::NotRegular {
                path: rel.to_owned(),
                found: dir.kind_of(name)?.unwrap_or(Kind::Special),
            });
        }
        let fd = rustix::fs::openat(
            &dir.fd,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))?;
        Ok(())
    }

    /// Removes the regular file at `rel` when `keep` says its content may go,
    /// then the folders its removal left empty (never this folder itself).
    /// Returns whether it was removed.
    ///
    /// # Errors
    /// When something other than a regular file is there, or on I/O failure.
    pub fn remove_if(
        &self,
        rel: &str,
        cap: u64,
        may_go: impl FnOnce(&Found) -> bool,
    ) -> Result<bool, Refusal> {
        let parts: Vec<&str> = rel.split('/').collect();
        let Some((name, folders)) = parts.split_last() else {
            return Ok(false);
        };
        // The chain of open folders from here to the file's parent.
        let mut chain: Vec<Self> = Vec::new();
        for (i, folder) in folders.iter().enumerate() {
            let base = chain.last().unwrap_or(self);
            match base.child(folder, &folders[..=i].join("/"), false)? {
                Some(next) => chain.push(next),
                None => return Ok(false),
            }
        }
        let parent = chain.last().unwrap_or(self);
        let Some(found) = parent.read_here(name, rel, cap)? else {
            return Ok(false);
        };
        if !may_go(&found) {
            return Ok(false);
        }
        rustix::fs::unlinkat(&parent.fd, *name, AtFlags::empty())?;
        for i in (0..folders.len()).rev() {
            let base = if i == 0 { self } else { &chain[i - 1] };
            if rustix::fs::unlinkat(&base.fd, folders[i], AtFlags::REMOVEDIR).is_err() {
                break;
            }
        }
        Ok(true)
    }

    /// Paths (relative, `/`-separated) of the temporary files an interrupted
    /// write left below this folder. Links are not followed; at most `limit`
    /// folders deep.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn leftovers(&self, limit: usize) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        self.walk_leftovers("", limit, &mut out)?;
        out.sort();
        Ok(out)
    }

    fn walk_leftovers(&self, prefix: &str, depth: usize, out: &mut Vec<String>) -> io::Result<()> {
        let mut subfolders = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.fd)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().to_str() else {
                continue;
            };
            if name == "." || name == ".." {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::Unknown => self.kind_of(name)?,
                t => Some(Kind::of(t)),
            };
            match kind {
                Some(Kind::File) if name.starts_with(TEMP_PREFIX) => {
                    out.push(format!("{prefix}{name}"));
                }
                Some(Kind::Folder) if depth > 0 => subfolders.push(name.to_owned()),
                _ => {}
            }
        }
        for name in subfolders {
            let shown = format!("{prefix}{name}");
            if let Ok(Some(dir)) = self.child(&name, &shown, false) {
                dir.walk_leftovers(&format!("{shown}/"), depth - 1, out)?;
            }
        }
        Ok(())
    }

    /// Removes the regular file at `rel` (a leftover temporary file).
    ///
    /// # Errors
    /// On I/O failure.
    pub fn remove_leftover(&self, rel: &str) -> Result<(), Refusal> {
        let Some((dir, name)) = self.parent_of(rel, false)? else {
            return Ok(());
        };
        if dir.kind_of(name)? == Some(Kind::File) {
            rustix::fs::unlinkat(&dir.fd, name, AtFlags::empty())?;
        }
        Ok(())
    }

    /// Flushes this folder's entries (renames, removals) to the disk.
    ///
    /// # Errors
    /// On I/O failure.
    pub fn sync(&self) -> io::Result<()> {
        Ok(rustix::fs::fsync(&self.fd)?)
    }

    /// Opens (with `create`, creates) the regular file `name` in this folder
    /// for locking: read-write when creating, read-only otherwise.
    pub(super) fn open_lock(&self, name: &str, create: bool) -> Result<Option<File>, Refusal> {
        let flags = if create {
            OFlags::RDWR | OFlags::CREATE
        } else {
            OFlags::RDONLY
        } | OFlags::NOFOLLOW
            | OFlags::NONBLOCK
            | OFlags::CLOEXEC;
        match self.kind_of(name)? {
            None | Some(Kind::File) => {}
            Some(found) => {
                return Err(Refusal::NotRegular {
                    path: name.to_owned(),
                    found,
                });
            }
        }
        match rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(0o644)) {
            Ok(fd) => {
                let st = rustix::fs::fstat(&fd)?;
                if Kind::of(FileType::from_raw_mode(st.st_mode)) != Kind::File {
                    return Err(Refusal::NotRegular {
                        path: name.to_owned(),
                        found: Kind::Special,
                    });
                }
                Ok(Some(File::from(fd)))
            }
            Err(rustix::io::Errno::NOENT) if !create => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `file` is still the entry `name` of this folder (same inode).
    pub(super) fn still_names(&self, name: &str, file: &File) -> io::Result<bool> {
        let open = rustix::fs::fstat(file)?;
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(st.st_ino == open.st_ino && st.st_dev == open.st_dev),
            Err(rustix::io::Errno::NOENT) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the subfolder `name` when it is empty.
    pub(super) fn remove_empty_folder(&self, name: &str) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR)?)
    }

    /// Removes the entry `name` of this folder (the lock file).
    pub(super) fn unlink(&self, name: &str) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())?)
    }
}

/// A fresh temporary name: the prefix, the process id and a counter.
fn temp_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{TEMP_PREFIX}{}.{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
