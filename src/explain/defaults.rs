//! Lines a default produces. A line no written value changes may still come
//! from a value: one cfgen filled in for a key no file sets. Such a default
//! is never read from a file, so the record of reads cannot name it; it is
//! found the way written values are. Each absent key whose default's text
//! stands on a line not yet explained is written into its base file in
//! memory, varied, the project rebuilt and the file rendered again: the
//! default explains the lines its variation changes.

use super::blame::{alternatives, changed_lines, render_all, variations};
use super::{LineExplanation, section};
use crate::load::{Entry, Node, NodeKind, PathSegment, Span, display_path};
use crate::model::FileKind;
use crate::render::Renderer;
use crate::validate::{self, Project};

/// At most this many defaults are varied for one file.
const MAX_DEFAULTS: usize = 200;

/// A default that stood in for a key no file sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultValue {
    /// The base file where writing the key would change the line.
    pub file: String,
    /// The key, dotted.
    pub key: String,
    /// The default, as cfgen writes it.
    pub value: String,
}

/// The scalar defaults of file `kind` (of mappings, not of list items) that
/// no layer writes (its base file, a policy folder's or an overlay), from
/// `typed`: the file's typed values as JSON, under its top-level key.
fn absent(
    project: &Project,
    kind: FileKind,
    typed: &serde_json::Value,
) -> Vec<(Vec<PathSegment>, NodeKind)> {
    let mut out = Vec::new();
    leaves(typed, &mut Vec::new(), &mut out);
    let written = |path: &[PathSegment]| {
        project
            .documents
            .get(kind)
            .is_some_and(|d| d.root.lookup(path).is_some())
            || project
                .layers
                .overlays
                .iter()
                .any(|o| o.kind == kind && o.doc.root.lookup(path).is_some())
    };
    out.retain(|(path, _)| !written(path));
    out
}

/// The scalars below mappings of `json` (but empty strings), with their paths.
fn leaves(
    json: &serde_json::Value,
    path: &mut Vec<PathSegment>,
    out: &mut Vec<(Vec<PathSegment>, NodeKind)>,
) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                path.push(PathSegment::Key(key.clone()));
                leaves(value, path, out);
                path.pop();
            }
        }
        serde_json::Value::String(s) if s.is_empty() => {}
        serde_json::Value::Bool(_)
        | serde_json::Value::Number(_)
        | serde_json::Value::String(_) => {
            out.push((path.clone(), node_of(json).kind));
        }
        serde_json::Value::Null | serde_json::Value::Array(_) => {}
    }
}

/// The text a scalar shows on a line.
fn shown(kind: &NodeKind) -> String {
    match kind {
        NodeKind::Bool(b) => b.to_string(),
        NodeKind::Int(i) => i.to_string(),
        NodeKind::Float(f) => f.to_string(),
        NodeKind::Str(s) => s.clone(),
        _ => String::new(),
    }
}

/// A node of the value `json`, at no place in the file.
fn node_of(json: &serde_json::Value) -> Node {
    let kind = match json {
        serde_json::Value::Null => NodeKind::Null,
        serde_json::Value::Bool(b) => NodeKind::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => NodeKind::Int(i),
            None => NodeKind::Float(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(s) => NodeKind::Str(s.clone()),
        serde_json::Value::Array(items) => NodeKind::Seq(items.iter().map(node_of).collect()),
        serde_json::Value::Object(map) => NodeKind::Map(
            map.iter()
                .map(|(key, value)| Entry {
                    key: key.clone(),
                    key_span: Span::new(0, 0),
                    value: node_of(value),
                })
                .collect(),
        ),
    };
    Node {
        kind,
        span: Span::new(0, 0),
    }
}

/// `root` with `value` written at `path`: the mappings on the way that the
/// file lacks are written whole, with the defaults of `section` (a mapping
/// whose keys are required once it is written keeps them); false when a
/// value on the way is not a mapping.
fn insert(
    root: &mut Node,
    path: &[PathSegment],
    section: &serde_json::Value,
    value: NodeKind,
) -> bool {
    let Some((PathSegment::Key(key), rest)) = path.split_first() else {
        return false;
    };
    let section = section
        .get(key.as_str())
        .unwrap_or(&serde_json::Value::Null);
    if matches!(root.kind, NodeKind::Null) {
        root.kind = NodeKind::Map(Vec::new());
    }
    let NodeKind::Map(entries) = &mut root.kind else {
        return false;
    };
    let index = match entries.iter().position(|e| e.key == *key) {
        Some(i) => i,
        None => {
            entries.push(Entry {
                key: key.clone(),
                key_span: Span::new(0, 0),
                value: node_of(section),
            });
            entries.len() - 1
        }
    };
    let node = &mut entries[index].value;
    if rest.is_empty() {
        node.kind = value;
        true
    } else {
        insert(node, rest, section, value)
    }
}

/// Marks each line of `lines` (the explanation of output file `rel`) that
/// only a default changes with that default.
pub(super) fn attribute(
    project: &Project,
    renderer: &Renderer,
    rel: &str,
    text: &str,
    lines: &mut [LineExplanation],
) {
    let texts: Vec<&str> = text.lines().collect();
    let fixed: Vec<usize> = (0..lines.len().min(texts.len()))
        .filter(|i| matches!(lines[*i], LineExplanation::Fixed { .. }))
        .collect();
    let mut tried = 0;
    for kind in FileKind::ALL {
        let (Some(_), Some(json)) = (project.documents.get(kind), section(project, kind)) else {
            continue;
        };
        // The file's tree holds its top-level key; the section is below it.
        let json = match kind.top_key() {
            Some(top) => serde_json::json!({ top: json }),
            None => json,
        };
        for (path, current) in absent(project, kind, &json) {
            let value = shown(&current);
            if tried == MAX_DEFAULTS || !fixed.iter().any(|i| texts[*i].contains(&value)) {
                continue;
            }
            tried += 1;
            let mut tries = variations(&current);
            if let NodeKind::Str(s) = &current {
                tries.extend(alternatives(kind, &path, s));
            }
            let mut changed = vec![false; texts.len()];
            for v in tries {
                let mut documents = project.documents.clone();
                let Some(doc) = documents.get_mut(kind) else {
                    break;
                };
                if !insert(&mut doc.root, &path, &json, v) {
                    break;
                }
                let Some(other) =
                    validate::rebuild(&project.dir, documents, project.layers.clone())
                else {
                    continue;
                };
                if let Some((_, new)) = render_all(&other, renderer, Some(rel)).remove(rel) {
                    for line in changed_lines(text, &new) {
                        changed[line] = true;
                    }
                }
            }
            for i in &fixed {
                if changed[*i]
                    && let LineExplanation::Fixed { defaults, .. } = &mut lines[*i]
                {
                    defaults.push(DefaultValue {
                        file: kind.relative_path(),
                        key: display_path(&path),
                        value: value.clone(),
                    });
                }
            }
        }
    }
}
