//! All user-facing wording in one place: lowercase first words, names in
//! backticks, and a "please report" line for cfgen's own bugs.

use crate::load::LoadErrorKind;

/// The line appended to internal errors.
pub const PLEASE_REPORT: &str =
    "this is a bug in cfgen, not in your files; please report it with the input that caused it";

/// Message and label for a file that could not be loaded.
#[must_use]
pub fn load_error(kind: &LoadErrorKind) -> (String, String, Option<String>) {
    match kind {
        LoadErrorKind::Syntax(info) => (
            format!("invalid YAML: {info}"),
            "the YAML parser stopped here".into(),
            syntax_help(info),
        ),
        LoadErrorKind::DuplicateKey { key, .. } => (
            format!("duplicate key `{key}`"),
            "given again here".into(),
            Some("a key may appear once per mapping; keep one of the two".into()),
        ),
        LoadErrorKind::Tab => (
            "invalid YAML: a tab in the indentation".into(),
            "tab here".into(),
            Some("YAML indents with spaces only; replace the tab with spaces".into()),
        ),
        LoadErrorKind::UnclosedQuote => (
            "invalid YAML: a quoted value is never closed".into(),
            "this quote opens a value that does not end".into(),
            Some("add the closing quote at the end of the value".into()),
        ),
        LoadErrorKind::ComplexKey => (
            "a list or mapping cannot be a key".into(),
            "expected a plain key such as `name:`".into(),
            None,
        ),
        LoadErrorKind::Tag(tag) => (
            format!("YAML tags are not supported (`{tag}`)"),
            "expected a value without a tag".into(),
            Some(format!(
                "remove `{tag}`; cfgen reads each value as its schema says (quote a value to make it a string)"
            )),
        ),
        LoadErrorKind::TooManyNodes { limit } => (
            format!("aliases expand this file past {limit} values"),
            "this alias pushes it over the limit".into(),
            Some("config files need no deep alias chains; write the values out".into()),
        ),
        LoadErrorKind::TooDeep { limit } => (
            format!("lists and mappings nested deeper than {limit} levels"),
            "too deep here".into(),
            Some("config files nest a few levels at most; check for unbalanced `[` or `{`".into()),
        ),
        LoadErrorKind::MultipleDocuments => (
            "more than one YAML document in the file".into(),
            "a second document starts here".into(),
            Some("each config file holds exactly one document; remove the extra `---`".into()),
        ),
        LoadErrorKind::NotUtf8(byte) => (
            "the file is not valid UTF-8".into(),
            format!("byte 0x{byte:02X} here is not UTF-8"),
            Some(
                "save the file as UTF-8 (it may be in a legacy encoding such as GBK or Latin-1)"
                    .into(),
            ),
        ),
        LoadErrorKind::TooLarge { size } => (
            format!(
                "the file is {size} bytes; config files larger than {} bytes are refused",
                crate::load::MAX_FILE_BYTES
            ),
            String::new(),
            None,
        ),
    }
}

fn syntax_help(info: &str) -> Option<String> {
    if info.contains("quote") || info.contains("end of stream") {
        Some("check for a quote that is opened and never closed".into())
    } else if info.contains("flow") {
        Some("check that every `[` and `{` is closed".into())
    } else if info.contains("mapping values") {
        Some(
            "quote a value that contains `: `, and check that the line above is a complete `key: value`"
                .into(),
        )
    } else if info.contains("expected key") || info.contains("block") {
        Some("check the indentation: the keys of one mapping start in the same column".into())
    } else if info.contains("expect ':'") || info.contains("expected ':'") {
        Some("each line of a mapping is `key: value`; this one has no `:`".into())
    } else {
        None
    }
}

/// A config file that is not there.
#[must_use]
pub fn missing_file(path: &str) -> String {
    format!("missing config file `{path}`")
}

/// Help for a missing config file.
#[must_use]
pub fn missing_file_help(top_key: &str) -> String {
    format!(
        "every project has nine files under `config/deployment/`; create this one with the top-level key `{top_key}`"
    )
}

/// An I/O failure reading a file.
#[must_use]
pub fn read_failed(path: &str, error: &std::io::Error) -> String {
    format!("cannot read `{path}`: {error}")
}

/// A path given on the command line that does not exist.
#[must_use]
pub fn no_such_path(path: &str) -> String {
    format!("no such file or folder `{path}`")
}

/// No project found under a path.
#[must_use]
pub fn no_projects(path: &str) -> String {
    format!("no `cfgen.yaml` found under `{path}`")
}

/// "did you mean" suggestion.
#[must_use]
pub fn did_you_mean(candidate: &str) -> String {
    format!("did you mean `{candidate}`?")
}

/// A list of names in backticks: `a`, `b` or `c`.
#[must_use]
pub fn one_of(options: &[String]) -> String {
    match options {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [init @ .., last] => format!(
            "{} or `{last}`",
            init.iter()
                .map(|o| format!("`{o}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A list of names in backticks: `a`, `b` and `c`.
#[must_use]
pub fn all_of(names: &[String]) -> String {
    one_of(names).replacen(" or `", " and `", usize::from(names.len() > 1))
}

/// Final summary line of `cfgen validate`.
#[must_use]
pub fn validate_summary(projects: usize, errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let verdict = if errors == 0 { "valid" } else { "invalid" };
    format!(
        "{}: {verdict}, {}, {}",
        plural(projects, "project"),
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// Help when a user's template override produced the failure.
pub const OVERRIDE_AT_FAULT: &str =
    "the template comes from `--templates`; fix the override or remove it to use the built-in one";

/// A template failed to render.
#[must_use]
pub fn render_failed(artifact: &str, template: &str, detail: &str) -> String {
    format!("internal error: rendering `{artifact}` from template `{template}` failed: {detail}")
}

/// A rendered artifact failed its in-process check.
#[must_use]
pub fn verify_failed(artifact: &str, detail: &str) -> String {
    format!("internal error: generated `{artifact}` does not pass its check: {detail}")
}

/// cfgen refuses to overwrite a file it did not write.
#[must_use]
pub fn not_ours(path: &str) -> String {
    format!(
        "refusing to overwrite `{path}`: cfgen did not generate it (it is not in the output folder's `.cfgen-manifest`)"
    )
}

/// Help for [`not_ours`].
pub const NOT_OURS_HELP: &str =
    "move the file away, or choose another `output` folder in cfgen.yaml";

/// One project's line after a build.
#[must_use]
pub fn build_summary(
    name: &str,
    out: &str,
    written: usize,
    unchanged: usize,
    pruned: usize,
) -> String {
    format!("{name}: {written} written, {unchanged} unchanged, {pruned} pruned in `{out}`")
}

/// `--check` found stale output.
#[must_use]
pub fn stale_output(count: usize, out: &str) -> String {
    format!(
        "{count} generated file(s) in `{out}` are stale; run `cfgen build` and commit the result"
    )
}

/// Heading of the unused-values report of a project.
#[must_use]
pub fn unused_heading(project: &str, count: usize) -> String {
    if count == 1 {
        format!("{project}: 1 config value influences no artifact:")
    } else {
        format!("{project}: {count} config values influence no artifact:")
    }
}

/// One unused value.
#[must_use]
pub fn unused_line(file: &str, line: usize, col: usize, path: &str, reason: &str) -> String {
    format!("  {file}:{line}:{col} `{path}`: {reason}")
}
