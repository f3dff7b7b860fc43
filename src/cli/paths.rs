//! The projects named on the command line: folders searched for `cfgen.yaml`,
//! files inside a project (its enclosing project), and `-` for paths read
//! from stdin, one per line.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::model::MANIFEST_FILE;
use crate::{discover, messages};

/// Most bytes of paths read from stdin.
const MAX_STDIN_BYTES: u64 = 1 << 20;

/// The paths to search: those given, `-` replaced by the lines of stdin
/// (blank lines skipped), `.` when none is given.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let mut out = Vec::new();
    let mut read_stdin = false;
    for path in paths {
        if path.as_os_str() != "-" {
            out.push(path.clone());
            continue;
        }
        if read_stdin {
            return Err(Box::new(Diagnostic::unlocated(
                "usage",
                messages::STDIN_TWICE,
            )));
        }
        read_stdin = true;
        let mut text = String::new();
        std::io::stdin()
            .take(MAX_STDIN_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| Box::new(Diagnostic::unlocated("io", messages::read_failed("-", &e))))?;
        let before = out.len();
        out.extend(
            text.lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty())
                .map(PathBuf::from),
        );
        if out.len() == before {
            return Err(Box::new(Diagnostic::unlocated(
                "usage",
                messages::STDIN_EMPTY,
            )));
        }
    }
    if out.is_empty() && !read_stdin {
        out.push(PathBuf::from("."));
    }
    Ok(out)
}

/// How a found folder is shown: relative to the working folder when inside it.
fn shown(found: &Path, cwd: &Path) -> PathBuf {
    match found.strip_prefix(cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => found.to_path_buf(),
    }
}

/// The project enclosing `file` (a file that is not itself a `cfgen.yaml`):
/// the nearest folder above it holding `cfgen.yaml`. The search never goes
/// above the working folder or the root of the repository (a folder holding
/// `.git`) it starts in; a file outside both finds only its own folder.
fn enclosing_project(file: &Path) -> std::io::Result<Option<PathBuf>> {
    let cwd = std::env::current_dir()?.canonicalize()?;
    let parent = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let start = parent.canonicalize()?;
    let bounded = start
        .ancestors()
        .any(|a| a == cwd || a.join(".git").exists());
    for folder in start.ancestors() {
        let manifest = folder.join(MANIFEST_FILE);
        if std::fs::symlink_metadata(&manifest).is_ok_and(|m| m.is_file()) {
            return Ok(Some(shown(folder, &cwd)));
        }
        if !bounded || folder == cwd || folder.join(".git").exists() {
            break;
        }
    }
    Ok(None)
}

/// Finds the projects under `paths`, or the diagnostic saying why not.
pub(crate) fn find_projects(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let mut projects = Vec::new();
    for path in expand(paths)? {
        let shown = path.display().to_string();
        let is_file = std::fs::metadata(&path).is_ok_and(|m| !m.is_dir());
        let found = if is_file && path.file_name().is_none_or(|n| n != MANIFEST_FILE) {
            enclosing_project(&path).map(|p| p.into_iter().collect::<Vec<_>>())
        } else {
            discover::projects(&path)
        };
        match found {
            Ok(found) if found.is_empty() => {
                let message = if is_file {
                    messages::no_enclosing_project(&shown)
                } else {
                    messages::no_projects(&shown)
                };
                return Err(Box::new(Diagnostic::unlocated("usage", message)));
            }
            Ok(found) => projects.extend(found),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Box::new(Diagnostic::unlocated(
                    "usage",
                    messages::no_such_path(&shown),
                )));
            }
            Err(e) => {
                return Err(Box::new(Diagnostic::unlocated(
                    "io",
                    messages::read_failed(&shown, &e),
                )));
            }
        }
    }
    projects.sort();
    projects.dedup();
    Ok(projects)
}
