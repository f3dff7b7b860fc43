//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use cfgen::diagnostics::{Diagnostic, Format, render_all};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled example project.
pub fn example() -> PathBuf {
    repo().join("examples/ecommerce")
}

/// Copies the example's input files (manifest and config, not its output) into `dest`.
pub fn copy_example_inputs(dest: &Path) {
    let src = example();
    std::fs::create_dir_all(dest.join("config/deployment")).unwrap();
    std::fs::copy(src.join("cfgen.yaml"), dest.join("cfgen.yaml")).unwrap();
    for entry in std::fs::read_dir(src.join("config/deployment")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            dest.join("config/deployment").join(entry.file_name()),
        )
        .unwrap();
    }
}

/// The example copied into `dest` as a rolling release: its manifest's `release:` block
/// (blue-green) removed, so its processes are Deployments with a rolling update.
pub fn make_rolling(dest: &Path) {
    let path = dest.join("cfgen.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find("release:\n")
        .expect("the example selects a release strategy");
    let end = text[start..].find("output:").unwrap() + start;
    std::fs::write(&path, format!("{}{}", &text[..start], &text[end..])).unwrap();
}

/// [`copy_example_inputs`] and the example's environment overlays
/// (`config/environments/`).
pub fn copy_example_with_overlays(dest: &Path) {
    copy_example_inputs(dest);
    let src = example();
    for entry in walkdir::WalkDir::new(src.join("config/environments")).sort_by_file_name() {
        let entry = entry.unwrap();
        let target = dest.join(entry.path().strip_prefix(&src).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(target).unwrap();
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A project made of the example with a fixture folder laid over it: every
/// file in the fixture replaces the example's file at the same relative path;
/// a `_delete` file lists relative paths to remove; `README.md` describes the case.
///
/// Shared policy needs a repository around the project: the files of a
/// `_repository/` folder go beside `dest` (in its parent, which then holds a
/// `.git` folder: the repository root), and each line `link -> target` of a
/// `_links` file makes a symbolic link there (`link` relative to the parent).
pub fn overlay_project(fixture: &Path, dest: &Path) {
    copy_example_inputs(dest);
    let outside = dest.parent().unwrap();
    for entry in walkdir::WalkDir::new(fixture).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(fixture).unwrap();
        if let Ok(beside) = rel.strip_prefix("_repository") {
            let target = outside.join(beside);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), target).unwrap();
            std::fs::create_dir_all(outside.join(".git")).unwrap();
            continue;
        }
        match rel.to_str() {
            Some("README.md") => {}
            Some("_links") => {
                for line in std::fs::read_to_string(entry.path()).unwrap().lines() {
                    if let Some((link, target)) = line.split_once(" -> ") {
                        let link = outside.join(link.trim());
                        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
                        std::os::unix::fs::symlink(target.trim(), link).unwrap();
                    }
                }
                std::fs::create_dir_all(outside.join(".git")).unwrap();
            }
            Some("_delete") => {
                for line in std::fs::read_to_string(entry.path()).unwrap().lines() {
                    let line = line.trim();
                    if !line.is_empty() {
                        std::fs::remove_file(dest.join(line)).unwrap();
                    }
                }
            }
            _ => {
                let target = dest.join(rel);
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
}

/// Diagnostics as a user sees them (no colour, 80 columns), with `prefix` removed from paths.
pub fn render(diagnostics: &[Diagnostic], prefix: &Path) -> String {
    let text = render_all(diagnostics, Format::Human, false, 80);
    let prefix = format!("{}/", prefix.display());
    text.replace(&prefix, "")
}

/// The `cfgen` binary run in `dir` with a fixed, colourless environment.
pub fn cfgen(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cfgen"));
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        // Every run takes the full path: no test shares a cache with another or with the
        // user (tests/cache.rs gives each of its runs a cache folder of its own).
        .env("CFGEN_NO_CACHE", "1")
        .env_remove("CFGEN_CACHE_DIR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .env_remove("COMPLETE")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// A minimal project: a manifest of nine lines and nothing else.
pub const MINIMAL_MANIFEST: &str = "version: 2
name: api
image: ghcr.io/acme/api
build: { runtime: python, entrypoint: \"app.main:app\" }
processes:
  web: { port: 8000 }
environments:
  staging: { host: staging.api.example.com }
  production: { host: api.example.com }
";

/// Writes the minimal project into `dir`.
pub fn minimal_project(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("cfgen.yaml"), MINIMAL_MANIFEST).unwrap();
}

/// Copies `from` into `to`, every file but generated output (`deploy/`, `.github/`).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        if rel.starts_with("deploy") || rel.starts_with(".github") {
            continue;
        }
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
