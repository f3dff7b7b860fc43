//! Writes a patched object back as YAML in cfgen's style (block mappings,
//! two-space indents, lists indented under their key). The parts a patch did
//! not touch are copied from the rendered text, comments above them included;
//! what a patch wrote is written fresh, and a list it changed is written
//! fresh as a whole (the comments inside it are lost).

use super::merge::Val;
use crate::load::{Node, NodeKind};

/// The rendered text the object was read from.
pub struct Text<'a> {
    text: &'a str,
}

/// No comment lines are taken above this entry.
const NO_COMMENTS: usize = usize::MAX;

impl<'a> Text<'a> {
    /// The rendered text.
    #[must_use]
    pub fn new(text: &'a str) -> Self {
        Self { text }
    }

    fn line_start(&self, off: usize) -> usize {
        self.text[..off.min(self.text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1)
    }

    fn line_end(&self, off: usize) -> usize {
        let off = off.min(self.text.len());
        self.text[off..]
            .find('\n')
            .map_or(self.text.len(), |i| off + i)
    }

    /// The line after the one `off` is on.
    fn next_line(&self, off: usize) -> usize {
        (self.line_end(off) + 1).min(self.text.len())
    }

    /// `root` (the patched object at the top of the document) as text: the
    /// rendered text before the object's first key (the header), then it.
    #[must_use]
    pub fn document(&self, root: &Node, val: &Val<'_>) -> String {
        let mut out = String::new();
        let first_key = match &root.kind {
            NodeKind::Map(entries) => entries.first().map(|e| e.key_span.start),
            _ => None,
        };
        let prelude_end = first_key.map_or(0, |k| self.line_start(k));
        out.push_str(&self.text[..prelude_end]);
        match val {
            Val::Map(orig, entries) => self.entries(&mut out, *orig, entries, 0, prelude_end),
            other => {
                out.push_str(&flow(&other.to_json()));
                out.push('\n');
            }
        }
        out
    }

    /// The entries of a mapping at indent `ind`. `floor`: the first offset a
    /// comment above the first entry may start at.
    fn entries(
        &self,
        out: &mut String,
        orig: Option<&Node>,
        entries: &[(String, Val<'_>)],
        ind: usize,
        floor: usize,
    ) {
        let orig_entries = match orig.map(|n| &n.kind) {
            Some(NodeKind::Map(e)) => e.as_slice(),
            _ => &[],
        };
        for (key, val) in entries {
            let pos = orig_entries.iter().position(|e| &e.key == key);
            let entry = pos.map(|i| &orig_entries[i]);
            // Comments above an entry belong to it, down to the end of the
            // entry before it in the rendered text.
            let floor = match pos {
                Some(0) => floor,
                Some(i) => self.next_line(orig_entries[i - 1].value.span.end.saturating_sub(1)),
                None => NO_COMMENTS,
            };
            match (val, entry) {
                (Val::Orig(_), Some(e)) => self.copy_entry(out, e, ind, floor),
                (Val::Map(inner, kids), _) if !kids.is_empty() => {
                    if let Some(e) = entry {
                        self.comments(out, e.key_span.start, ind, floor);
                    }
                    push_line(out, ind, &format!("{}:", key_text(key)));
                    let inner_floor =
                        entry.map_or(NO_COMMENTS, |e| self.next_line(e.key_span.start));
                    self.entries(out, *inner, kids, ind + 2, inner_floor);
                }
                _ => {
                    if let Some(e) = entry {
                        self.comments(out, e.key_span.start, ind, floor);
                    }
                    let inner_floor =
                        entry.map_or(NO_COMMENTS, |e| self.next_line(e.key_span.start));
                    self.value(out, &key_text(key), val, ind, inner_floor);
                }
            }
        }
    }

    /// `head: value` for a value written fresh (`head` is a key, or `-`).
    /// `floor`: the first offset a comment above the first item of a list
    /// may start at.
    fn value(&self, out: &mut String, head: &str, val: &Val<'_>, ind: usize, floor: usize) {
        let item = head == "-";
        let sep = if item { " " } else { ": " };
        match fresh(val) {
            Fresh::Scalar(text) => push_line(out, ind, &format!("{head}{sep}{text}")),
            Fresh::Map(_, kids) if kids.is_empty() => {
                push_line(out, ind, &format!("{head}{sep}{{}}"))
            }
            Fresh::Map(orig, kids) if item => {
                // The item's first key goes on the dash's line.
                let mut body = String::new();
                self.entries(&mut body, orig, &kids, ind + 2, NO_COMMENTS);
                out.push_str(&" ".repeat(ind));
                out.push_str("- ");
                out.push_str(body.get(ind + 2..).unwrap_or_default());
            }
            Fresh::Map(orig, kids) => {
                push_line(out, ind, &format!("{head}:"));
                self.entries(out, orig, &kids, ind + 2, NO_COMMENTS);
            }
            Fresh::Seq(items) if items.is_empty() => push_line(out, ind, &format!("{head}{sep}[]")),
            Fresh::Seq(items) if item => {
                push_line(out, ind, &format!("- {}", flow(&Val::Seq(items).to_json())));
            }
            Fresh::Seq(items) => {
                push_line(out, ind, &format!("{head}:"));
                let mut floor = floor;
                for item in &items {
                    let orig = match item {
                        Val::Orig(node) | Val::Map(Some(node), _) => Some(*node),
                        _ => None,
                    };
                    if let Some(node) = orig {
                        self.item_comments(out, node.span.start, ind + 2, floor);
                    }
                    self.value(out, "-", item, ind + 2, NO_COMMENTS);
                    // the next item's comments start after this one
                    floor = orig.map_or(NO_COMMENTS, |n| {
                        self.next_line(n.span.end.saturating_sub(1).max(n.span.start))
                    });
                }
            }
        }
    }

    /// The comment lines right above the line of `key_start`, down to `floor`.
    fn comments(&self, out: &mut String, key_start: usize, ind: usize, floor: usize) {
        let start = self.comment_start(key_start, floor);
        let line = self.line_start(key_start);
        if start < line {
            let col = key_start - line;
            out.push_str(&shift(&self.text[start..line], col, ind));
        }
    }

    /// The comment lines above the dash of a rendered list item whose value
    /// starts at `start`, down to `floor`.
    fn item_comments(&self, out: &mut String, start: usize, ind: usize, floor: usize) {
        let line = self.line_start(start);
        let before = &self.text[line..start];
        let dash = before.trim_start_matches(' ');
        if floor == NO_COMMENTS || !dash.starts_with('-') || !dash[1..].trim().is_empty() {
            return;
        }
        let col = before.len() - dash.len();
        // the dash's column stands for the key's: the same walk as for an entry
        let first = self.comment_start(line + col, floor);
        if first < line {
            out.push_str(&shift(&self.text[first..line], col, ind));
        }
    }

    /// Where the comment and blank lines right above the line of `key_start` begin.
    fn comment_start(&self, key_start: usize, floor: usize) -> usize {
        let line = self.line_start(key_start);
        // Only an entry that begins its line has comments of its own.
        if floor == NO_COMMENTS || !self.text[line..key_start].trim().is_empty() {
            return line;
        }
        let mut start = line;
        while start > floor {
            let above = self.line_start(start - 1);
            let trimmed = self.text[above..start].trim_start();
            if above < floor || !(trimmed.is_empty() || trimmed.starts_with('#')) {
                break;
            }
            start = above;
        }
        start
    }

    /// A rendered entry as it was, moved to indent `ind`.
    fn copy_entry(&self, out: &mut String, entry: &crate::load::Entry, ind: usize, floor: usize) {
        let key = entry.key_span.start;
        let line = self.line_start(key);
        let col = key - line;
        let value_end = if matches!(entry.value.kind, NodeKind::Null) {
            entry.key_span.end
        } else {
            entry.value.span.end.max(entry.key_span.end)
        };
        let last = value_end.saturating_sub(1).max(key);
        let end = if self.line_start(last) == line {
            // One line: up to its end when only a comment follows the value
            // (in a flow mapping, only the entry itself).
            let rest = &self.text[value_end.min(self.line_end(key))..self.line_end(key)];
            if rest.trim().is_empty() || rest.trim_start().starts_with('#') {
                self.line_end(key)
            } else {
                value_end
            }
        } else {
            self.line_end(last)
        };
        self.comments(out, key, ind, floor);
        let first_line_indented = self.text[line..key].trim().is_empty();
        let from = if first_line_indented { line } else { key };
        let mut chunk = String::new();
        if !first_line_indented {
            chunk.push_str(&" ".repeat(col));
        }
        chunk.push_str(&self.text[from..end]);
        chunk.push('\n');
        out.push_str(&shift(&chunk, col, ind));
    }
}

/// A value to write fresh.
enum Fresh<'a> {
    Scalar(String),
    Map(Option<&'a Node>, Vec<(String, Val<'a>)>),
    Seq(Vec<Val<'a>>),
}

fn fresh<'a>(val: &Val<'a>) -> Fresh<'a> {
    match val {
        Val::Map(orig, kids) => Fresh::Map(*orig, kids.clone()),
        Val::Seq(items) => Fresh::Seq(items.clone()),
        Val::Orig(node) => match &node.kind {
            NodeKind::Map(entries) => Fresh::Map(
                Some(node),
                entries
                    .iter()
                    .map(|e| (e.key.clone(), Val::Orig(&e.value)))
                    .collect(),
            ),
            NodeKind::Seq(items) => Fresh::Seq(items.iter().map(Val::Orig).collect()),
            _ => Fresh::Scalar(scalar(&node.to_json())),
        },
        Val::New(node) => match &node.kind {
            NodeKind::Map(entries) => Fresh::Map(
                None,
                entries
                    .iter()
                    .filter(|e| !matches!(e.value.kind, NodeKind::Null))
                    .map(|e| (e.key.clone(), Val::New(&e.value)))
                    .collect(),
            ),
            NodeKind::Seq(items) => Fresh::Seq(items.iter().map(Val::New).collect()),
            _ => Fresh::Scalar(scalar(&node.to_json())),
        },
    }
}

fn push_line(out: &mut String, ind: usize, text: &str) {
    out.push_str(&" ".repeat(ind));
    out.push_str(text);
    out.push('\n');
}

/// `text`'s lines moved from indent `from` to indent `to` (a line indented
/// less than `from`, such as the inside of a block scalar never is, keeps
/// what it has).
fn shift(text: &str, from: usize, to: usize) -> String {
    if from == to {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let lead = line.len() - line.trim_start_matches(' ').len();
        if to > from {
            out.push_str(&" ".repeat(to - from));
            out.push_str(line);
        } else {
            out.push_str(&line[lead.min(from - to)..]);
        }
    }
    out
}

/// Whether a plain scalar `s` would be read back as something else than
/// the string (a number, a boolean, null) or not at all.
fn needs_quotes(s: &str) -> bool {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    let keyword = matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
    );
    !plain || keyword
}

/// A key as written: plain when it can be, else double-quoted.
fn key_text(key: &str) -> String {
    if needs_quotes(key) {
        flow(&serde_json::Value::String(key.to_owned()))
    } else {
        key.to_owned()
    }
}

/// A scalar as written.
fn scalar(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) if !needs_quotes(s) => s.clone(),
        other => flow(other),
    }
}

/// JSON text, which YAML 1.2 reads as the same value.
fn flow(value: &serde_json::Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
