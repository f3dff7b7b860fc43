//! The scalar values of a project's config files, each with a variation of
//! its own: not the one `cfgen explain` tries (it moves a number by one and
//! appends `x`), so that a test built on these checks `explain` instead of
//! repeating it.

use std::path::Path;

use cfgen::load::{NodeKind, load_file};

/// One scalar value of a config file.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// The file, relative to the project, with `/` separators.
    pub file: String,
    /// 1-based line and column of the value.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The value's bytes in the file.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
    /// The value as written.
    pub written: String,
    /// Its variations, as YAML, in the order to try them.
    pub variations: Vec<String>,
}

/// The variations of a value, to try in order until one validates: a
/// boolean flipped; a number moved by two or doubled; a string's last number
/// moved by two or doubled or, without one, the string with `-m2` appended,
/// with `m2` prepended or with `/m2` appended. None for a null.
fn variations(kind: &NodeKind) -> Vec<String> {
    match kind {
        NodeKind::Bool(b) => vec![(!b).to_string()],
        NodeKind::Int(n) => vec![
            n.saturating_add(2).to_string(),
            n.saturating_mul(2).to_string(),
        ],
        NodeKind::Float(f) => vec![format!("{:?}", f + 2.5), format!("{:?}", f * 2.0)],
        NodeKind::Str(s) => {
            let varied = match s.rfind(|c: char| c.is_ascii_digit()) {
                Some(end) => {
                    let start = s[..=end]
                        .rfind(|c: char| !c.is_ascii_digit())
                        .map_or(0, |i| i + 1);
                    let Ok(n) = s[start..=end].parse::<u64>() else {
                        return Vec::new();
                    };
                    let (head, tail) = (&s[..start], &s[end + 1..]);
                    vec![
                        format!("{head}{}{tail}", n + 2),
                        format!("{head}{}{tail}", n * 2),
                    ]
                }
                None => vec![format!("{s}-m2"), format!("m2{s}"), format!("{s}/m2")],
            };
            varied
                .iter()
                .filter_map(|v| serde_json::to_string(v).ok())
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The config files of the project in `dir`: its manifest, base files and
/// overlays, in path order.
fn config_files(dir: &Path) -> Vec<String> {
    let mut files = vec!["cfgen.yaml".to_owned()];
    let mut found: Vec<String> = walkdir::WalkDir::new(dir.join("config"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "yaml"))
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            rel.to_string_lossy().replace('\\', "/")
        })
        .collect();
    found.sort();
    files.extend(found);
    files
}

/// Every scalar value of the project's config files that has a variation.
pub fn leaves(dir: &Path) -> Vec<Leaf> {
    let mut out = Vec::new();
    for file in config_files(dir) {
        let (doc, errors) = load_file(Some(dir), &dir.join(&file)).expect("a readable file");
        assert!(errors.is_empty(), "{file}: {errors:?}");
        let mut found = Vec::new();
        doc.root.leaves(&mut Vec::new(), &mut found);
        for (path, span) in found {
            let Some(node) = doc.root.lookup(&path) else {
                continue;
            };
            let variations = variations(&node.kind);
            if variations.is_empty() {
                continue;
            }
            let (line, column) = doc.source.line_col(span.start);
            out.push(Leaf {
                file: file.clone(),
                line,
                column,
                start: span.start,
                end: span.end,
                written: doc.source.text()[span.start..span.end].to_owned(),
                variations,
            });
        }
    }
    out
}

/// Runs `f` with `leaf` written as `varied` in its file, and puts the file back.
pub fn with_varied<T>(dir: &Path, leaf: &Leaf, varied: &str, f: impl FnOnce() -> T) -> T {
    let path = dir.join(&leaf.file);
    let original = std::fs::read_to_string(&path).unwrap();
    let varied = format!(
        "{}{varied}{}",
        &original[..leaf.start],
        &original[leaf.end..]
    );
    std::fs::write(&path, varied).unwrap();
    let result = f();
    std::fs::write(&path, original).unwrap();
    result
}
