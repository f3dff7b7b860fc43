//! Wording about template overrides (`--templates`): their faults, bounds and refusals.

use super::{LoadErrorKind, load_error, thousands};

/// An error in a template of the user's `--templates` folder.
#[must_use]
pub fn user_template_error(template: &str, line: Option<usize>, detail: &str) -> String {
    match line {
        Some(line) => format!("error in your template `{template}` at line {line}: {detail}"),
        None => format!("error in your template `{template}`: {detail}"),
    }
}

/// A template ran out of its work budget.
#[must_use]
pub fn template_out_of_fuel(fuel: u64) -> String {
    format!(
        "the template does more work than cfgen allows ({} steps; a loop that runs too long, or a value built too large)",
        thousands(usize::try_from(fuel).unwrap_or(usize::MAX))
    )
}

/// A template's output passed the size limit.
#[must_use]
pub fn template_output_too_large(limit: usize) -> String {
    format!(
        "the template's output is larger than {} bytes",
        thousands(limit)
    )
}

/// An override that is not a regular file inside the templates folder.
#[must_use]
pub fn override_refused(path: &str, kind: &LoadErrorKind) -> String {
    match kind {
        LoadErrorKind::NotRegular { found } => {
            format!("the override `{path}` is {found}, not a regular file; cfgen does not read it")
        }
        LoadErrorKind::LinkOutside => format!(
            "the override `{path}` is a symbolic link that leads out of the `--templates` folder; cfgen does not read it"
        ),
        LoadErrorKind::TooLarge { size } => format!(
            "the override `{path}` is {size} bytes; templates larger than {} bytes are refused",
            crate::load::MAX_FILE_BYTES
        ),
        other => format!(
            "the override `{path}` cannot be used: {}",
            load_error(other).0
        ),
    }
}

/// An override that is not UTF-8.
#[must_use]
pub fn override_not_utf8(path: &str) -> String {
    format!("the override `{path}` is not valid UTF-8")
}
