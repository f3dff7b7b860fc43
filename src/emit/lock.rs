//! One writer per output folder: an advisory lock on `.cfgen-lock` in the
//! folder, held from before the comparison until the manifest is final, and
//! removed when the build ends (the file exists only while a build runs, or
//! after one was killed; the next build takes it over). `--check` and `diff`
//! create nothing: they take a shared lock on the file only when it exists,
//! so they wait for a running build instead of reading its half-written output.

use std::fs::{File, TryLockError};

use super::confined::{Dir, Refusal};

/// The lock file's name in the output folder.
pub const LOCK_NAME: &str = ".cfgen-lock";

/// An exclusive lock on an output folder; dropping it removes the lock file and releases it.
#[derive(Debug)]
pub struct Lock {
    dir: Dir,
    file: Option<File>,
}

impl Lock {
    /// Takes the folder's lock, calling `waiting` once when another build holds it.
    pub(super) fn take(dir: Dir, mut waiting: impl FnMut()) -> Result<Self, Refusal> {
        let mut told = false;
        loop {
            let Some(file) = dir.open_lock(LOCK_NAME, true)? else {
                continue;
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    if !told {
                        waiting();
                        told = true;
                    }
                    file.lock()?;
                }
                Err(TryLockError::Error(e)) => return Err(e.into()),
            }
            // The holder removes the file before it lets go: a lock on a file
            // that is no longer the folder's entry guards nothing; start over.
            if dir.still_names(LOCK_NAME, &file)? {
                return Ok(Self {
                    dir,
                    file: Some(file),
                });
            }
        }
    }

    /// The locked folder.
    pub(super) fn dir(&self) -> &Dir {
        &self.dir
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.dir.unlink(LOCK_NAME);
        drop(self.file.take());
    }
}

/// A shared lock for reading, when a lock file exists (nothing is created).
pub(super) fn shared(dir: &Dir) -> Result<Option<File>, Refusal> {
    let Some(file) = dir.open_lock(LOCK_NAME, false)? else {
        return Ok(None);
    };
    file.lock_shared()?;
    Ok(Some(file))
}
