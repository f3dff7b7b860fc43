//! Load + validate on arbitrary bytes: the first byte picks which of the ten
//! files of the example project the rest replaces; the project is then loaded
//! and validated as `cfgen validate` does, and its diagnostics rendered in the
//! five formats (masking, excerpts, the per-file cap). Any panic, hang
//! (libFuzzer's `-timeout`) or runaway memory (`-rss_limit_mb`) is a finding.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cfgen::diagnostics::{Format, render_all};
use cfgen::model::FileKind;
use libfuzzer_sys::fuzz_target;

/// A copy of the example's inputs, and each file's original bytes.
struct Project {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    originals: Vec<Vec<u8>>,
}

fn project() -> &'static Project {
    static PROJECT: OnceLock<Project> = OnceLock::new();
    PROJECT.get_or_init(|| {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ecommerce");
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let dir = tmp.path().join("project");
        std::fs::create_dir_all(dir.join("config/deployment")).expect("folders");
        let originals = FileKind::ALL
            .iter()
            .map(|kind| {
                let bytes = std::fs::read(example.join(kind.relative_path())).expect("example");
                std::fs::write(dir.join(kind.relative_path()), &bytes).expect("copy");
                bytes
            })
            .collect();
        Project {
            _tmp: tmp,
            dir,
            originals,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, content)) = data.split_first() else {
        return;
    };
    let index = usize::from(selector) % FileKind::ALL.len();
    let kind = FileKind::ALL[index];
    // The loader alone, in memory.
    let _ = cfgen::load::load_bytes(Path::new(&kind.relative_path()), content.to_vec());
    // The whole project with this one file replaced.
    let project = project();
    let path = project.dir.join(kind.relative_path());
    std::fs::write(&path, content).expect("write the input");
    let outcome = cfgen::validate::check_project(&project.dir);
    for format in [
        Format::Human,
        Format::Json,
        Format::Github,
        Format::Sarif,
        Format::Junit,
    ] {
        let _ = render_all(&outcome.diagnostics, format, false, 80);
    }
    std::fs::write(&path, &project.originals[index]).expect("restore");
});
