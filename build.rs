//! Embeds every file under `templates/` in the binary: generates a table of
//! `(relative name, include_str!(absolute path))` so the installed `cfgen`
//! needs no files beside it; and computes cfgen's build id (`CFGEN_BUILD_ID`),
//! the key of the incremental-build cache: a SHA-256 of everything the binary is
//! made from (see [`build_id`]).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    println!("cargo:rerun-if-changed=templates");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    let mut out = String::from(
        "/// Embedded templates: (name relative to `templates/`, text).\npub const EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={path}");
        let _ = writeln!(out, "    ({name:?}, include_str!({path:?})),");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("templates.rs");
    std::fs::write(dest, out).expect("write templates.rs");
    println!("cargo:rustc-env=CFGEN_BUILD_ID={}", build_id());
}

/// A SHA-256 (in hex) over every file of `src/` and `templates/` (the schemas and
/// messages embedded from there included), `build.rs`, `Cargo.toml` and `Cargo.lock`
/// (every dependency's exact version and checksum), the compiler's `rustc -vV`, the
/// target and the profile. Two binaries with the same id were built from the same
/// sources by the same compiler, so they render the same output for the same input;
/// unlike the version it changes with every edit, and unlike a hash of the executable
/// it costs nothing at run time (a debug binary is hundreds of MiB).
fn build_id() -> String {
    use sha2::{Digest as _, Sha256};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "templates"] {
        println!("cargo:rerun-if-changed={dir}");
        let mut found = Vec::new();
        collect(&root.join(dir), &root.join(dir), &mut found);
        files.extend(found.into_iter().map(|(n, p)| (format!("{dir}/{n}"), p)));
    }
    for file in ["build.rs", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={file}");
        files.push(((*file).to_owned(), root.join(file).display().to_string()));
    }
    files.sort();
    let mut hasher = Sha256::new();
    for (name, path) in &files {
        let bytes = std::fs::read(path).unwrap_or_default();
        hasher.update(format!("{name}\0{}\0", bytes.len()));
        hasher.update(&bytes);
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("-vV")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    hasher.update(&version);
    for var in ["TARGET", "PROFILE", "OPT_LEVEL", "DEBUG"] {
        hasher.update(format!(
            "{var}={}\0",
            std::env::var(var).unwrap_or_default()
        ));
    }
    hasher.finalize().iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let name = rel.to_string_lossy().replace('\\', "/");
            files.push((name, path.display().to_string()));
        }
    }
}
