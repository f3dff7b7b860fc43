//! `.cfgen-manifest`: what cfgen wrote in an output folder, one line per file:
//! the SHA-256 of the content cfgen wrote, the mode, the path. The file lives
//! in the output folder, so it is as untrusted as the rest of a pull request:
//! each entry is checked before anything acts on it, and an entry only lets
//! cfgen delete a file whose content still hashes to what it recorded.
//!
//! While a build writes, a path may be listed twice (the old content's hash
//! and the new one's): either content is cfgen's.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};

use crate::load::Span;

/// The file's first lines.
const HEADER: &str = "# Files generated here by cfgen: SHA-256 of the content, mode, path.\n\
# `cfgen build` prunes a listed file only while its content still has the listed hash.\n";

/// What the manifest says about one path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// Hashes of contents cfgen wrote there (none for an entry of an older cfgen).
    pub hashes: Vec<String>,
    /// The mode cfgen gave the file, when recorded.
    pub mode: Option<u32>,
}

/// A line that is not a path inside the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEntry {
    /// The line's span in the manifest text.
    pub span: Span,
    /// The path as written.
    pub path: String,
    /// Why it is refused.
    pub reason: &'static str,
}

/// A parsed manifest.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// Entries by path.
    pub entries: BTreeMap<String, Entry>,
    /// Lines refused.
    pub bad: Vec<BadEntry>,
    /// Where each entry's first line is, for refusing it later.
    pub spans: BTreeMap<String, Span>,
}

/// Hex SHA-256 of `bytes`.
#[must_use]
pub fn hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Why `path` is not a relative path inside the output folder, if it is not.
#[must_use]
pub fn refuse_path(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("it is empty");
    }
    if path.starts_with('/') {
        return Some("it is an absolute path");
    }
    if path.chars().any(char::is_control) {
        return Some("it holds a control character");
    }
    if path.contains('\\') {
        return Some("it holds a backslash");
    }
    if path
        .rsplit('/')
        .next()
        .is_some_and(|name| name.starts_with(super::confined::TEMP_PREFIX))
    {
        return Some("it names a temporary file");
    }
    // The one file outside the output folder: the deploy workflow at the repository root
    // (emit checks where it lands before touching it).
    if path.starts_with("../") {
        return match crate::plan::repository::split_root_path(path) {
            Some(_) => None,
            None => Some(
                "`..` leads out of the output folder (only `../…/.github/workflows/<file>.yml`, \
                 the repository-root workflow, may)",
            ),
        };
    }
    for component in path.split('/') {
        match component {
            "" => return Some("it has an empty component (`//` or a trailing `/`)"),
            "." => return Some("it has a `.` component"),
            ".." => return Some("`..` leads out of the output folder"),
            _ => {}
        }
    }
    let first = path.split('/').next().unwrap_or(path);
    if first == super::MANIFEST_NAME || first == super::lock::LOCK_NAME {
        return Some("it names cfgen's own bookkeeping file");
    }
    None
}

fn parse_line(line: &str) -> (Option<(String, u32)>, &str) {
    let mut parts = line.splitn(3, ' ');
    if let (Some(h), Some(m), Some(path)) = (parts.next(), parts.next(), parts.next())
        && h.len() == 64
        && h.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && (3..=4).contains(&m.len())
        && let Ok(mode) = u32::from_str_radix(m, 8)
    {
        return (Some((h.to_owned(), mode)), path);
    }
    (None, line)
}

/// Parses a manifest; lines that are not paths inside the folder are refused.
#[must_use]
pub fn parse(text: &str) -> Record {
    let mut record = Record::default();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (recorded, path) = parse_line(line);
        if let Some(reason) = refuse_path(path) {
            record.bad.push(BadEntry {
                span: Span::new(start, start + line.len()),
                path: path.to_owned(),
                reason,
            });
            continue;
        }
        record
            .spans
            .entry(path.to_owned())
            .or_insert_with(|| Span::new(start, start + line.len()));
        let entry = record.entries.entry(path.to_owned()).or_default();
        if let Some((hash, mode)) = recorded {
            if !entry.hashes.contains(&hash) {
                entry.hashes.push(hash);
            }
            entry.mode = Some(mode);
        }
    }
    record
}

/// The manifest text listing `entries` (path → hashes and mode), sorted by path.
#[must_use]
pub fn format<'a>(entries: impl IntoIterator<Item = (&'a str, &'a Entry)>) -> String {
    let mut sorted: Vec<(&str, &Entry)> = entries.into_iter().collect();
    sorted.sort_by_key(|(p, _)| *p);
    let mut text = String::from(HEADER);
    for (path, entry) in sorted {
        let mode = entry.mode.unwrap_or(0o644);
        for hash in &entry.hashes {
            let _ = writeln!(text, "{hash} {mode:03o} {path}");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_hostile_lines_are_refused() {
        let a = Entry {
            hashes: vec![hash(b"a")],
            mode: Some(0o755),
        };
        let text = format([("scripts/x.sh", &a)]);
        let parsed = parse(&text);
        assert_eq!(parsed.entries["scripts/x.sh"], a);
        assert!(parsed.bad.is_empty());
        let hostile = "../../victims/x\n/etc/passwd\n../config/deployment/docker.yaml\n\
            a//b\n./x\nk8s/../../x\n.cfgen-manifest\nx/.cfgen-tmp.1.2\nok.yml\na\\b\n";
        let parsed = parse(hostile);
        let refused: Vec<&str> = parsed.bad.iter().map(|b| b.path.as_str()).collect();
        assert_eq!(
            refused,
            [
                "../../victims/x",
                "/etc/passwd",
                "../config/deployment/docker.yaml",
                "a//b",
                "./x",
                "k8s/../../x",
                ".cfgen-manifest",
                "x/.cfgen-tmp.1.2",
                "a\\b",
            ]
        );
        assert_eq!(parsed.entries.keys().collect::<Vec<_>>(), ["ok.yml"]);
        assert_eq!(parsed.entries["ok.yml"].hashes, Vec::<String>::new());
        assert_eq!(
            &hostile[parsed.bad[1].span.start..parsed.bad[1].span.end],
            "/etc/passwd"
        );
    }

    #[test]
    fn a_nul_in_an_entry_is_refused() {
        let parsed = parse("a\0b\n");
        assert_eq!(parsed.bad.len(), 1);
        assert!(parsed.entries.is_empty());
    }
}
