//! `cfgen schema [--check] [--dir DIR]`.

use std::path::PathBuf;

use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE};
use crate::model::FileKind;

/// Arguments of `cfgen schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Folder of the schema files.
    #[arg(long, default_value = "schema")]
    pub dir: PathBuf,
    /// Write nothing; fail with a diff when a committed schema differs from the model.
    #[arg(long)]
    pub check: bool,
}

/// The text of one schema file: pretty JSON with a final newline.
#[must_use]
pub fn schema_text(kind: FileKind) -> String {
    let mut text = serde_json::to_string_pretty(&kind.schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// Runs the command.
pub fn run(args: &SchemaArgs) -> i32 {
    let mut stale = 0;
    for kind in FileKind::ALL {
        let path = args.dir.join(kind.schema_file());
        let fresh = schema_text(kind);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(fresh.as_str()) {
            continue;
        }
        if args.check {
            stale += 1;
            let old = current.unwrap_or_default();
            let diff = similar::TextDiff::from_lines(&old, &fresh);
            eprint!(
                "{}",
                diff.unified_diff().context_radius(3).header(
                    &path.display().to_string(),
                    &format!("{} (from the model)", path.display())
                )
            );
        } else {
            let written = std::fs::create_dir_all(&args.dir)
                .and_then(|()| crate::emit::write_atomic(&path, fresh.as_bytes()));
            if let Err(e) = written {
                eprintln!(
                    "error: {}",
                    crate::messages::read_failed(&path.display().to_string(), &e)
                );
                return EXIT_USAGE;
            }
            eprintln!("wrote {}", path.display());
        }
    }
    if stale > 0 {
        eprintln!(
            "{stale} schema file(s) in `{}` are stale; run `cfgen schema` and commit the result",
            args.dir.display()
        );
        EXIT_INVALID
    } else {
        EXIT_OK
    }
}
