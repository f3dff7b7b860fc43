//! `cfgen schema [--check] [--dir DIR]`.

use std::path::PathBuf;

use super::console::Console;
use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, output};
use crate::diagnostics::report::RunReport;
use crate::diagnostics::{Diagnostic, Format};
use crate::load::{SourceFile, Span};
use crate::model::FileKind;

/// Arguments of `cfgen schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Folder of the schema files (your own repository's `schema/`, say, for editors to map).
    #[arg(long, default_value = "schema")]
    pub dir: PathBuf,
    /// Write nothing; fail with a diff when a committed schema differs from the model.
    #[arg(long)]
    pub check: bool,
    /// How to report: `human` (the diff on stderr) or a document on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// The text of one schema file: pretty JSON with a final newline.
#[must_use]
pub fn schema_text(kind: FileKind) -> String {
    let mut text = serde_json::to_string_pretty(&kind.schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// Every schema file: each config file's, then each overlay's.
#[must_use]
pub fn schema_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = FileKind::ALL
        .iter()
        .map(|k| (k.schema_file(), schema_text(*k)))
        .collect();
    for kind in FileKind::ALL {
        if let Some(schema) = kind.overlay_schema() {
            let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            text.push('\n');
            files.push((kind.overlay_schema_file(), text));
        }
    }
    files
}

/// Runs the command.
pub fn run(args: &SchemaArgs, console: &Console) -> i32 {
    let human = args.format == Format::Human;
    let mut report = RunReport {
        command: "schema",
        check: args.check,
        ..RunReport::default()
    };
    let mut stale = 0;
    for (file, fresh) in schema_files() {
        let path = args.dir.join(file);
        let shown = path.display().to_string();
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(fresh.as_str()) {
            continue;
        }
        if args.check {
            stale += 1;
            let old = current.unwrap_or_default();
            let diff = similar::TextDiff::from_lines(&old, &fresh);
            let text = diff
                .unified_diff()
                .context_radius(3)
                .header(&shown, &format!("{shown} (from the model)"))
                .to_string();
            if human {
                super::console::stderr(&text);
            }
            report.diagnostics.push(
                Diagnostic::error(
                    "schema::stale",
                    crate::messages::stale_schema(&shown),
                    &SourceFile::new(&shown, String::new()),
                    Span::new(0, 0),
                )
                .with_help(crate::messages::STALE_SCHEMA_HELP),
            );
        } else {
            let written = std::fs::create_dir_all(&args.dir)
                .and_then(|()| crate::emit::write_atomic(&path, fresh.as_bytes()));
            if let Err(e) = written {
                report.diagnostics.push(Diagnostic::unlocated(
                    "io",
                    crate::messages::write_failed(&shown, &e),
                ));
                report.exit_code = EXIT_USAGE;
                break;
            }
            console.say(&format!("wrote {shown}"));
        }
    }
    if report.exit_code == EXIT_OK {
        report.exit_code = if stale > 0 { EXIT_INVALID } else { EXIT_OK };
    }
    if !human {
        return output::finish(report, args.format, console, false);
    }
    for d in &report.diagnostics {
        if d.code == "io" {
            console.always(&format!("error: {}", d.message));
        }
    }
    if stale > 0 {
        console.always(&format!(
            "{stale} schema file(s) in `{}` are stale; run `cfgen schema` and commit the result",
            args.dir.display()
        ));
    }
    report.exit_code
}
