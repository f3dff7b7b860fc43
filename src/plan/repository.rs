//! Where the deploy workflow goes: the repository root above a project (the nearest folder
//! holding `.git`, or the manifest's `workflow.repository_root`), and the workflow's path
//! from the project's output folder (`../.github/workflows/<name>-deploy.yml`).
//!
//! The root is found on the project folder's canonical path (no symbolic link on the way
//! up can lead elsewhere), at most [`MAX_ANCESTORS`] folders up, and a declared root must be
//! the project folder or one of its ancestors, at or below that repository root.

use std::path::{Path, PathBuf};

use crate::model::Config;

/// Folders searched above a project for `.git`.
pub const MAX_ANCESTORS: usize = 64;

/// The folder of workflows below a repository root.
pub const WORKFLOWS_DIR: &str = ".github/workflows";

/// The nearest folder at or above `dir` (canonical) holding `.git` as a folder or a file
/// (a worktree's or a submodule's), not as a link.
#[must_use]
pub fn git_root(dir: &Path) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(dir).ok()?;
    dir.ancestors()
        .take(MAX_ANCESTORS)
        .find(|a| {
            std::fs::symlink_metadata(a.join(".git"))
                .is_ok_and(|m| m.file_type().is_dir() || m.file_type().is_file())
        })
        .map(Path::to_path_buf)
}

/// Why a declared `workflow.repository_root` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// It names something other than the project folder or an ancestor.
    NotAncestor,
    /// It climbs above the repository the project is in.
    AboveRepository(PathBuf),
    /// It climbs above the project folder, and there is no repository to bound it.
    NoRepository,
}

/// The workflow's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The repository root (canonical when the project folder exists).
    pub root: PathBuf,
    /// The project folder relative to the root, `/`-separated (`.` at the root).
    pub project_dir: String,
    /// How many folders the root is above the project folder.
    pub levels: usize,
}

/// How many folders `declared` (`.`, `..`, `../..`) climbs; `None` when it is anything else.
#[must_use]
pub fn levels_of(declared: &str) -> Option<usize> {
    let mut levels = 0;
    for part in declared.trim_end_matches('/').split('/') {
        match part {
            "." => {}
            ".." => levels += 1,
            _ => return None,
        }
    }
    (levels <= MAX_ANCESTORS).then_some(levels)
}

/// The workflow's place for the project in `dir` with `declared` as its `repository_root`.
///
/// # Errors
/// When `declared` is not the project folder or an ancestor inside the repository.
pub fn locate(dir: &Path, declared: Option<&str>) -> Result<Location, Refused> {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let git = git_root(&canonical);
    let levels = match declared {
        Some(d) => {
            let levels = levels_of(d).ok_or(Refused::NotAncestor)?;
            let depth = git
                .as_ref()
                .and_then(|g| canonical.strip_prefix(g).ok())
                .map(|rel| rel.components().count());
            match depth {
                Some(depth) if levels > depth => {
                    return Err(Refused::AboveRepository(git.unwrap_or_default()));
                }
                None if levels > 0 => return Err(Refused::NoRepository),
                _ => levels,
            }
        }
        None => git
            .as_ref()
            .and_then(|g| canonical.strip_prefix(g).ok())
            .map_or(0, |rel| rel.components().count()),
    };
    let root = canonical
        .ancestors()
        .nth(levels)
        .unwrap_or(&canonical)
        .to_path_buf();
    let project_dir = canonical
        .strip_prefix(&root)
        .ok()
        .filter(|rel| !rel.as_os_str().is_empty())
        .map_or_else(
            || ".".to_owned(),
            |rel| {
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/")
            },
        );
    Ok(Location {
        root,
        project_dir,
        levels,
    })
}

/// The workflow's place for a validated project (the project folder itself when its
/// declared root is refused: validation reports that first).
#[must_use]
pub fn of_project(dir: &Path, config: &Config) -> Location {
    let declared = config
        .manifest
        .workflow
        .as_ref()
        .and_then(|w| w.repository_root.as_deref())
        .map(String::as_str);
    locate(dir, declared).unwrap_or_else(|_| Location {
        root: dir.to_path_buf(),
        project_dir: ".".to_owned(),
        levels: 0,
    })
}

/// The workflow's file name: `<project>-deploy.yml`, so that several projects of one
/// repository each have their own and none shadows a hand-written `deploy.yml`.
#[must_use]
pub fn file_name(config: &Config) -> String {
    format!("{}-deploy.yml", config.manifest.name)
}

/// The workflow's path relative to the output folder `output` (the manifest's value):
/// `../` once per folder up to the repository root, then `.github/workflows/<file>`.
#[must_use]
pub fn path_from_output(output: &str, levels: usize, file: &str) -> String {
    let depth = output
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .count();
    format!("{}{WORKFLOWS_DIR}/{file}", "../".repeat(depth + levels))
}

/// A path of the form [`path_from_output`] gives: how many folders it climbs and the file
/// name; `None` for any other path.
#[must_use]
pub fn split_root_path(rel: &str) -> Option<(usize, &str)> {
    let mut levels = 0;
    let mut rest = rel;
    while let Some(r) = rest.strip_prefix("../") {
        levels += 1;
        rest = r;
    }
    let file = rest.strip_prefix(WORKFLOWS_DIR)?.strip_prefix('/')?;
    let well_formed = levels > 0
        && levels <= MAX_ANCESTORS * 2
        && !file.is_empty()
        && !file.contains('/')
        && !file.contains('\\')
        && !file.chars().any(char::is_control)
        // a workflow, or the temporary file of its write (which a later build sweeps)
        && (file.starts_with(crate::emit::TEMP_PREFIX)
            || (!file.starts_with('.') && (file.ends_with(".yml") || file.ends_with(".yaml"))));
    well_formed.then_some((levels, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_roots_are_dot_or_ancestors() {
        assert_eq!(levels_of("."), Some(0));
        assert_eq!(levels_of("./"), Some(0));
        assert_eq!(levels_of(".."), Some(1));
        assert_eq!(levels_of("../.."), Some(2));
        assert_eq!(levels_of("../x"), None);
        assert_eq!(levels_of("/"), None);
        assert_eq!(levels_of(""), None);
        assert_eq!(levels_of("sub"), None);
    }

    #[test]
    fn root_paths_round_trip_and_nothing_else_is_one() {
        let p = path_from_output("deploy", 2, "shop-deploy.yml");
        assert_eq!(p, "../../../.github/workflows/shop-deploy.yml");
        assert_eq!(split_root_path(&p), Some((3, "shop-deploy.yml")));
        assert_eq!(
            path_from_output("./out/deploy/", 0, "a-deploy.yml"),
            "../../.github/workflows/a-deploy.yml"
        );
        for bad in [
            ".github/workflows/x.yml",
            "../x.yml",
            "../.github/workflows/../x.yml",
            "../.github/workflows/.hidden.yml",
            "../.github/workflows/x.sh",
            "../.github/workflows/",
            "../.github/workflows/a/b.yml",
            "../../victims/x",
        ] {
            assert_eq!(split_root_path(bad), None, "{bad}");
        }
    }
}
