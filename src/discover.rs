//! Stage 1: discover. Finds projects (folders holding `cfgen.yaml`) under the given paths.

use std::path::{Path, PathBuf};

use crate::model::MANIFEST_FILE;

/// Folders never searched: build output, VCS data, dependencies.
const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules", ".venv"];

/// Project folders under `root` (or `root` itself, or the folder of a
/// `cfgen.yaml` given directly), sorted, without duplicates.
///
/// # Errors
/// When `root` does not exist or cannot be walked.
pub fn projects(root: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    let meta = std::fs::metadata(root)?;
    if meta.is_file() {
        let dir = root
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        return Ok(vec![dir]);
    }
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.file_type().is_dir()
                && e.depth() > 0
                && SKIPPED_DIRS.contains(&e.file_name().to_string_lossy().as_ref()))
        });
    for entry in walker {
        let entry = entry.map_err(|e| {
            e.into_io_error()
                .unwrap_or_else(|| std::io::Error::other("filesystem loop"))
        })?;
        if entry.file_type().is_file()
            && entry.file_name() == MANIFEST_FILE
            && let Some(dir) = entry.path().parent()
        {
            found.push(dir.to_path_buf());
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}
