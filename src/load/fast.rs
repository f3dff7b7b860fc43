//! YAML text → JSON without spans, for verifying what cfgen generated.
//!
//! The located loader ([`super::parse`]) keeps a byte span for every node and key, converts
//! every parser position to a byte offset and builds a [`super::Node`] tree: what an input
//! file needs, so that an error points at its line. A generated file is parsed only to be
//! checked, and re-parsing every one of them that way was over half of a large build's
//! instructions (BENCHMARKS.md). This path reads the same `saphyr-parser` events, resolves
//! plain scalars with the same YAML 1.2 core rules ([`super::scalar::resolve_plain`]) and
//! builds the JSON value directly, with the same limits.
//!
//! It answers only when the located loader would give the same value without an error:
//! anything else (a syntax error, a duplicate key, a tag, an anchor or alias, a second
//! document, a complex key, a null root, a limit reached) is `None`, and the caller asks the
//! located loader, which explains it. `tests`: both agree on every file they both accept.

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value};

use super::parse::{MAX_DEPTH, MAX_NODES};
use super::scalar::resolve_plain;
use super::tree::{NodeKind, float_json};

enum Frame {
    Seq(Vec<Value>),
    /// The mapping so far, and the key read whose value is next.
    Map(Map<String, Value>, Option<String>),
}

/// The JSON value of a one-document YAML text, or `None` where only the located loader
/// may answer (see the module's documentation).
#[must_use]
pub fn to_json(text: &str) -> Option<Value> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    let (mut nodes, mut documents) = (0usize, 0usize);
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, _) = event.ok()?;
        let (value, plain) = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            Event::Scalar(raw, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                nodes += 1;
                match style {
                    ScalarStyle::Plain => {
                        let value = scalar(resolve_plain(&raw));
                        (value, Some(raw))
                    }
                    _ => (Value::String(raw.into_owned()), None),
                }
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)
                if anchor != 0 || tag.is_some() =>
            {
                return None;
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                nodes += 1;
                if stack.len() >= MAX_DEPTH || nodes > MAX_NODES {
                    return None;
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq(Vec::new())
                } else {
                    Frame::Map(Map::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop()? {
                Frame::Seq(items) => (Value::Array(items), None),
                Frame::Map(map, None) => (Value::Object(map), None),
                Frame::Map(_, Some(_)) => return None,
            },
            Event::Alias(_) => return None,
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                continue;
            }
        };
        if nodes > MAX_NODES {
            return None;
        }
        match stack.last_mut() {
            None => root = Some(value),
            Some(Frame::Seq(items)) => items.push(value),
            Some(Frame::Map(map, pending)) => match pending.take() {
                None => *pending = Some(key(value, plain.as_deref())?),
                Some(k) => {
                    if map.contains_key(&k) {
                        return None;
                    }
                    map.insert(k, value);
                }
            },
        }
    }
    // A null root is an empty file or a lone `~`: the caller's located path tells which.
    root.filter(|r| !r.is_null())
}

/// A resolved plain scalar as JSON, as [`super::Node::to_json`] gives it.
fn scalar(kind: NodeKind) -> Value {
    match kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(b),
        NodeKind::Int(i) => Value::from(i),
        NodeKind::Float(f) => float_json(f),
        NodeKind::Str(s) => Value::String(s),
        // resolve_plain gives scalars only
        NodeKind::Seq(_) | NodeKind::Map(_) => Value::Null,
    }
}

/// The key a scalar stands for, as the located loader makes it: a string as it is, a null
/// as `""`, a plain boolean or number as written (on one line, its text is what the located
/// loader slices from the source). Anything else is left to the located loader.
fn key(value: Value, plain: Option<&str>) -> Option<String> {
    match (value, plain) {
        (Value::Null, _) => Some(String::new()),
        (Value::String(s), None) => Some(s),
        (Value::String(s), Some(raw)) if s == raw => Some(s),
        (Value::Bool(_) | Value::Number(_) | Value::String(_), Some(raw)) => {
            (!raw.contains('\n') && raw.trim() == raw).then(|| raw.to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
