//! YAML text → [`Node`] tree, event by event, with bounded work and memory.
//!
//! Built on `saphyr-parser`'s event stream (a pure-Rust YAML 1.2 parser that
//! reports a position for every event). We build the tree ourselves so that:
//! - every node and every key keeps its byte span;
//! - plain scalars resolve with YAML 1.2 core semantics ([`super::scalar`]);
//! - duplicate keys, tags, complex keys and extra documents are errors;
//! - aliases are expanded under a node budget (no "billion laughs") and nesting
//!   is bounded, with an explicit stack (no recursion, no stack overflow).

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle};

use super::scalar::resolve_plain;
use super::source::{SourceFile, Span};
use super::tree::{Entry, Node, NodeKind};
use super::{LoadError, LoadErrorKind};

/// Most nodes one file may hold, aliases included.
pub const MAX_NODES: usize = 100_000;
/// Most nodes aliases may copy in one file: config files repeat little, and a
/// small budget keeps an alias bomb's cost to a few milliseconds.
pub const MAX_ALIAS_NODES: usize = 10_000;
/// Mappings up to this many keys find duplicate keys by a linear scan.
const SMALL_MAP: usize = 16;
/// Deepest nesting of lists and mappings accepted.
pub const MAX_DEPTH: usize = 64;

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        start: usize,
        anchor: usize,
        pending_key: Option<(String, Span)>,
        /// Key → index into `entries`, built only once a mapping outgrows
        /// [`SMALL_MAP`] (a linear scan is cheaper below that).
        index: Option<HashMap<String, usize>>,
    },
}

struct Builder<'s> {
    source: &'s SourceFile,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    aliased: usize,
    root: Option<Node>,
    errors: Vec<LoadError>,
    /// Last converted position `(line, column in chars, byte offset)`: events
    /// arrive in order, so converting from here keeps a long line linear.
    cursor: std::cell::Cell<(usize, usize, usize)>,
}

/// Parses one YAML document. An empty file (or one holding only comments)
/// yields a `Null` root. Errors that leave no usable tree are returned alone;
/// recoverable ones (duplicate keys) come back with the tree.
pub fn parse(source: &SourceFile) -> Result<(Node, Vec<LoadError>), Vec<LoadError>> {
    let mut builder = Builder {
        source,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        aliased: 0,
        root: None,
        errors: Vec::new(),
        cursor: std::cell::Cell::new((1, 0, 0)),
    };
    let mut parser = Parser::new_from_str(source.text());
    let mut documents = 0usize;
    while let Some(event) = parser.next_event() {
        let (event, span) = match event {
            Ok(ok) => ok,
            Err(e) => {
                let at = builder.offset(e.marker());
                return Err(vec![syntax_error(source.text(), e.info(), at)]);
            }
        };
        let span = Span::new(builder.offset(&span.start), builder.offset(&span.end));
        let result = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    Err(LoadError::new(LoadErrorKind::MultipleDocuments, span))
                } else {
                    Ok(())
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(tag) = tag {
                    Err(tag_error(source.text(), &tag.handle, &tag.suffix, span))
                } else {
                    let span = Span::new(span.start, scalar_end(source.text(), span, style));
                    let kind = match style {
                        ScalarStyle::Plain => resolve_plain(&text),
                        _ => NodeKind::Str(text.into_owned()),
                    };
                    builder.finish(Node { kind, span }, anchor)
                }
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)
                if tag.is_some() =>
            {
                let _ = anchor;
                let (handle, suffix) = tag
                    .map(|t| (t.handle.clone(), t.suffix.clone()))
                    .unwrap_or_default();
                Err(tag_error(source.text(), &handle, &suffix, span))
            }
            Event::SequenceStart(anchor, _) => builder.open(
                Frame::Seq {
                    items: Vec::new(),
                    start: span.start,
                    anchor,
                },
                span,
            ),
            Event::MappingStart(anchor, _) => builder.open(
                Frame::Map {
                    entries: Vec::new(),
                    start: span.start,
                    anchor,
                    pending_key: None,
                    index: None,
                },
                span,
            ),
            Event::SequenceEnd | Event::MappingEnd => builder.close(span),
            Event::Alias(id) => builder.alias(id, span),
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => Ok(()),
        };
        if let Err(e) = result {
            return Err(vec![e]);
        }
    }
    let root = builder.root.unwrap_or(Node {
        kind: NodeKind::Null,
        span: Span::new(0, 0),
    });
    Ok((root, builder.errors))
}

impl Builder<'_> {
    fn offset(&self, marker: &Marker) -> usize {
        let (line, col) = (marker.line(), marker.col());
        let (c_line, c_col, c_byte) = self.cursor.get();
        let byte = if line == c_line && col >= c_col {
            let text = self.source.text();
            text[c_byte.min(text.len())..]
                .char_indices()
                .map(|(i, _)| c_byte + i)
                .chain(std::iter::once(text.len()))
                .nth(col - c_col)
                .unwrap_or(text.len())
        } else {
            self.source.offset_of(line, col)
        };
        self.cursor.set((line, col, byte));
        byte
    }

    fn count(&mut self, n: usize, span: Span) -> Result<(), LoadError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(LoadError::new(
                LoadErrorKind::TooManyNodes { limit: MAX_NODES },
                span,
            ));
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, span: Span) -> Result<(), LoadError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(LoadError::new(
                LoadErrorKind::TooDeep { limit: MAX_DEPTH },
                span,
            ));
        }
        self.count(1, span)?;
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self, span: Span) -> Result<(), LoadError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (kind, start, anchor, last_end) = match frame {
            Frame::Seq {
                items,
                start,
                anchor,
            } => {
                let end = items.last().map(|n| n.span.end);
                (NodeKind::Seq(items), start, anchor, end)
            }
            Frame::Map {
                entries,
                start,
                anchor,
                ..
            } => {
                let end = entries.last().map(|e| e.value.span.end.max(e.key_span.end));
                (NodeKind::Map(entries), start, anchor, end)
            }
        };
        // A flow collection ends at its closing bracket; a block one where its
        // last item ends (its end event stands at the next token).
        let flow = self.source.text()[start..].starts_with(['[', '{']);
        let end = match last_end {
            Some(e) if !flow => e,
            _ => span.end,
        };
        self.finish(
            Node {
                kind,
                span: Span::new(start, end),
            },
            0,
        )
        .map(|()| {
            if anchor != 0 {
                self.remember_last(anchor);
            }
        })
    }

    /// Records the node just finished under an anchor id.
    fn remember_last(&mut self, anchor: usize) {
        let node = match self.stack.last() {
            Some(Frame::Seq { items, .. }) => items.last().cloned(),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => {
                if pending_key.is_some() {
                    None // it became a key; complex keys are rejected anyway
                } else {
                    entries.last().map(|e| e.value.clone())
                }
            }
            None => self.root.clone(),
        };
        if let Some(node) = node {
            let size = node_count(&node);
            self.anchors.insert(anchor, (node, size));
        }
    }

    fn alias(&mut self, id: usize, span: Span) -> Result<(), LoadError> {
        let Some(&(_, size)) = self.anchors.get(&id) else {
            return Err(LoadError::new(
                LoadErrorKind::Syntax("unknown anchor".into()),
                span,
            ));
        };
        // Check the budgets before copying: the copy is what a bomb multiplies.
        self.aliased += size;
        if self.aliased > MAX_ALIAS_NODES {
            return Err(LoadError::new(
                LoadErrorKind::AliasExpansion {
                    limit: MAX_ALIAS_NODES,
                },
                span,
            ));
        }
        self.count(size, span)?;
        let mut node = self.anchors[&id].0.clone();
        node.span = span;
        self.finish(node, 0)
    }

    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), LoadError> {
        if matches!(node.kind, NodeKind::Seq(_) | NodeKind::Map(_)) {
            // counted when opened
        } else {
            self.count(1, node.span)?;
        }
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), 1));
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                pending_key,
                index,
                ..
            }) => match pending_key.take() {
                None => {
                    let span = node.span;
                    let key = match node.kind {
                        NodeKind::Str(s) => s,
                        NodeKind::Null => String::new(),
                        NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_) => {
                            self.source.text()[span.start..span.end].trim().to_owned()
                        }
                        NodeKind::Seq(_) | NodeKind::Map(_) => {
                            return Err(LoadError::new(LoadErrorKind::ComplexKey, span));
                        }
                    };
                    *pending_key = Some((key, span));
                    Ok(())
                }
                Some((key, key_span)) => {
                    let first = match index {
                        Some(index) => index.get(&key).map(|&i| entries[i].key_span),
                        None => entries.iter().find(|e| e.key == key).map(|e| e.key_span),
                    };
                    if let Some(first) = first {
                        self.errors.push(LoadError::new(
                            LoadErrorKind::DuplicateKey { key, first },
                            key_span,
                        ));
                    } else {
                        if let Some(index) = index {
                            index.insert(key.clone(), entries.len());
                        } else if entries.len() >= SMALL_MAP {
                            let mut built: HashMap<String, usize> = entries
                                .iter()
                                .enumerate()
                                .map(|(i, e)| (e.key.clone(), i))
                                .collect();
                            built.insert(key.clone(), entries.len());
                            *index = Some(built);
                        }
                        entries.push(Entry {
                            key,
                            key_span,
                            value: node,
                        });
                    }
                    Ok(())
                }
            },
        }
    }
}

/// Classifies a parser error into what the user did, and points at it.
fn syntax_error(text: &str, info: &str, at: usize) -> LoadError {
    let one_char = |at: usize| {
        let len = text[at.min(text.len())..]
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        Span::new(at, at + len)
    };
    if info == "recursion limit exceeded" {
        // The scanner's own limit on flow nesting, hit while it reads ahead.
        return LoadError::new(LoadErrorKind::TooDeep { limit: MAX_DEPTH }, one_char(at));
    }
    if info.contains("tab") {
        // The parser reports where the token it was reading began; the tab
        // itself is the first one at or after that place.
        let tab = text[at.min(text.len())..]
            .find('\t')
            .map(|i| at + i)
            .or_else(|| text.find('\t'))
            .unwrap_or(at);
        return LoadError::new(LoadErrorKind::Tab, Span::new(tab, tab + 1));
    }
    if info.contains("quoted scalar")
        && (info.contains("end of stream")
            || info.contains("indentation")
            || info.contains("document indicator"))
    {
        // Point at the opening quote: the last one before the error.
        let quote = text[..at.min(text.len())]
            .rfind(['"', '\''])
            .filter(|_| !text[at.min(text.len())..].starts_with(['"', '\'']))
            .unwrap_or(at);
        return LoadError::new(LoadErrorKind::UnclosedQuote, one_char(quote));
    }
    // An error at the very end points at the last thing written instead.
    let content_end = text.trim_end().len();
    let at = if at >= content_end {
        text[..content_end]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i)
    } else {
        at
    };
    LoadError::new(LoadErrorKind::Syntax(info.to_owned()), one_char(at))
}

/// A tag as the user wrote it (`!!str`, `!include`), at the tag's own place.
fn tag_error(text: &str, handle: &str, suffix: &str, span: Span) -> LoadError {
    let written = text[span.start.min(text.len())..]
        .split(|c: char| c.is_whitespace())
        .next()
        .filter(|w| w.starts_with('!'));
    let (shown, span) = match written {
        Some(w) => (w.to_owned(), Span::new(span.start, span.start + w.len())),
        None => {
            let shown = match handle {
                "tag:yaml.org,2002:" => format!("!!{suffix}"),
                _ => format!("{handle}{suffix}"),
            };
            (shown, span)
        }
    };
    LoadError::new(LoadErrorKind::Tag(shown), span)
}

fn node_count(node: &Node) -> usize {
    let mut count = 0;
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        count += 1;
        match &n.kind {
            NodeKind::Seq(items) => todo.extend(items),
            NodeKind::Map(entries) => todo.extend(entries.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    count
}

/// Where a scalar really ends. The parser's end marker can stand past trailing
/// spaces and comments, so find the end from the source: the closing quote of a
/// quoted scalar, the last non-blank character of a plain or block one.
fn scalar_end(text: &str, span: Span, style: ScalarStyle) -> usize {
    let start = span.start.min(text.len());
    match style {
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            let quote = if style == ScalarStyle::SingleQuoted {
                '\''
            } else {
                '"'
            };
            let mut chars = text[start..].char_indices().skip(1).peekable();
            while let Some((i, c)) = chars.next() {
                if style == ScalarStyle::DoubleQuoted && c == '\\' {
                    chars.next();
                } else if c == quote {
                    if style == ScalarStyle::SingleQuoted && chars.peek().map(|p| p.1) == Some('\'')
                    {
                        chars.next();
                    } else {
                        return start + i + 1;
                    }
                }
            }
            span.end
        }
        _ => {
            let end = span.end.clamp(start, text.len());
            let mut slice = &text[start..end];
            // Drop a trailing comment (` #` outside the value) and blanks.
            if style == ScalarStyle::Plain
                && let Some(i) = slice.find(" #")
            {
                slice = &slice[..i];
            }
            start + slice.trim_end().len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys reported as duplicates, with the offsets of both spellings.
    fn duplicates(text: &str) -> Vec<(String, usize, usize)> {
        let source = SourceFile::new("t.yaml", text.to_owned());
        let (_, errors) = parse(&source).expect("parses");
        errors
            .into_iter()
            .filter_map(|e| match e.kind {
                LoadErrorKind::DuplicateKey { key, first } => {
                    Some((key, first.start, e.span.start))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn duplicate_keys_are_found_in_small_and_large_mappings() {
        for keys in [3, SMALL_MAP, SMALL_MAP + 1, 200] {
            let mut text: String = (0..keys).map(|i| format!("k{i}: {i}\n")).collect();
            let first = text.find("k1:").expect("k1");
            let second = text.len();
            text.push_str("k1: again\n");
            assert_eq!(
                duplicates(&text),
                vec![("k1".to_owned(), first, second)],
                "{keys} keys"
            );
            // No false positives once the index is built.
            let unique: String = (0..keys).map(|i| format!("k{i}: {i}\n")).collect();
            assert_eq!(duplicates(&unique), vec![], "{keys} keys");
        }
    }
}
