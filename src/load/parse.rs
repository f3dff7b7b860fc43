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

/// Most nodes one file may expand to, aliases included.
pub const MAX_NODES: usize = 100_000;
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
        seen: HashMap<String, Span>,
    },
}

struct Builder<'s> {
    source: &'s SourceFile,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    root: Option<Node>,
    errors: Vec<LoadError>,
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
        root: None,
        errors: Vec::new(),
    };
    let mut parser = Parser::new_from_str(source.text());
    let mut documents = 0usize;
    while let Some(event) = parser.next_event() {
        let (event, span) = match event {
            Ok(ok) => ok,
            Err(e) => {
                let at = builder.offset(e.marker());
                return Err(vec![LoadError::new(
                    LoadErrorKind::Syntax(e.info().to_owned()),
                    Span::new(at, at),
                )]);
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
                    Err(LoadError::new(
                        LoadErrorKind::Tag(format!("{}{}", tag.handle, tag.suffix)),
                        span,
                    ))
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
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                Err(LoadError::new(
                    LoadErrorKind::Tag(tag.unwrap_or_default()),
                    span,
                ))
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
                    seen: HashMap::new(),
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
        self.source.offset_of(marker.line(), marker.col())
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
        let Some((node, size)) = self.anchors.get(&id).cloned() else {
            return Err(LoadError::new(
                LoadErrorKind::Syntax("unknown anchor".into()),
                span,
            ));
        };
        self.count(size, span)?;
        let mut node = node;
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
                seen,
                ..
            }) => match pending_key.take() {
                None => {
                    let key = match &node.kind {
                        NodeKind::Str(s) => s.clone(),
                        NodeKind::Null => String::new(),
                        NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_) => {
                            self.source.text()[node.span.start..node.span.end]
                                .trim()
                                .to_owned()
                        }
                        NodeKind::Seq(_) | NodeKind::Map(_) => {
                            return Err(LoadError::new(LoadErrorKind::ComplexKey, node.span));
                        }
                    };
                    *pending_key = Some((key, node.span));
                    Ok(())
                }
                Some((key, key_span)) => {
                    if let Some(first) = seen.get(&key) {
                        self.errors.push(LoadError::new(
                            LoadErrorKind::DuplicateKey { key, first: *first },
                            key_span,
                        ));
                    } else {
                        seen.insert(key.clone(), key_span);
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
