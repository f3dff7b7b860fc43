//! Line provenance: which config values produce each line of a generated
//! file. The record of what the artifact read ([`crate::provenance`]) names
//! the candidates; each is varied in memory in turn (a boolean flipped, a
//! number or the last number in a string moved by one, a string with `x` at
//! its end and at its start, the other names of a fixed set), the project
//! rebuilt and planned once per variation, and every
//! artifact that read the value rendered again: a value explains the lines
//! its variation changes. A line no written value changes is cfgen's (its
//! default or the template's fixed text).

use std::collections::BTreeMap;

use super::{LineExplanation, Setter, place, setter};
use crate::load::{Node, NodeKind, PathSegment, Span, layer};
use crate::model::FileKind;
use crate::plan::{self, Artifact};
use crate::provenance::FileId;
use crate::render::Renderer;
use crate::validate::{self, Project, layers};

/// At most this many values are varied for one file.
const MAX_CANDIDATES: usize = 400;

/// Every artifact of `project` rendered as `cfgen build` renders it (with
/// the patches of cfgen.yaml applied), by output path; `only` keeps one.
#[must_use]
pub fn render_all(
    project: &Project,
    renderer: &Renderer,
    only: Option<&str>,
) -> BTreeMap<String, (Artifact, String)> {
    let mut out = BTreeMap::new();
    let Ok(specs) = crate::patch::specs(project) else {
        return out;
    };
    for artifact in &project.plan().artifacts {
        if only.is_some_and(|rel| rel != artifact.path) {
            continue;
        }
        if let Ok(r) = crate::generate::render_patched(project, &specs, artifact, renderer) {
            out.insert(r.artifact.path.clone(), (r.artifact, r.text));
        }
    }
    out
}

/// The 0-based lines of `old` that `new` does not keep (an insertion
/// between two kept lines changes neither).
#[must_use]
pub fn changed_lines(old: &str, new: &str) -> Vec<usize> {
    use similar::{DiffTag, TextDiff};
    let diff = TextDiff::from_lines(old, new);
    diff.ops()
        .iter()
        .filter(|op| op.tag() != DiffTag::Equal)
        .flat_map(|op| op.old_range())
        .collect()
}

/// The node at exactly `span` in `root`.
fn node_mut(root: &mut Node, span: Span) -> Option<&mut Node> {
    if root.span == span {
        return Some(root);
    }
    match &mut root.kind {
        NodeKind::Map(entries) => entries
            .iter_mut()
            .find_map(|e| node_mut(&mut e.value, span)),
        NodeKind::Seq(items) => items.iter_mut().find_map(|n| node_mut(n, span)),
        _ => None,
    }
}

/// The variations tried for a value, in order: each keeps it of the same kind.
pub(super) fn variations(kind: &NodeKind) -> Vec<NodeKind> {
    match kind {
        NodeKind::Bool(b) => vec![NodeKind::Bool(!b)],
        NodeKind::Int(n) => vec![
            NodeKind::Int(n.saturating_add(1)),
            NodeKind::Int(n.saturating_sub(1)),
        ],
        NodeKind::Float(f) => vec![NodeKind::Float(f + 1.0), NodeKind::Float(f / 2.0)],
        NodeKind::Str(s) => {
            let mut out = Vec::new();
            // The last run of digits moved by one: "250m", "1h", "python:3.11-slim".
            if let Some(end) = s.rfind(|c: char| c.is_ascii_digit()) {
                let start = s[..=end]
                    .rfind(|c: char| !c.is_ascii_digit())
                    .map_or(0, |i| i + 1);
                if let Ok(n) = s[start..=end].parse::<u64>() {
                    for m in [n + 1, n.saturating_sub(1)] {
                        if m != n {
                            // Zero-padded to the same width: "02:00" -> "02:01".
                            out.push(NodeKind::Str(format!(
                                "{}{m:0width$}{}",
                                &s[..start],
                                &s[end + 1..],
                                width = end + 1 - start
                            )));
                        }
                    }
                }
            }
            // Changed at the end and at the start (a command's program is its first word).
            out.push(NodeKind::Str(format!("{s}x")));
            out.push(NodeKind::Str(format!("x{s}")));
            out
        }
        _ => Vec::new(),
    }
}

/// The schema node at `path` in `schema` (whose `$defs` resolve `$ref`s).
fn schema_at<'a>(
    root: &'a serde_json::Value,
    node: &'a serde_json::Value,
    path: &[PathSegment],
    depth: usize,
) -> Vec<&'a serde_json::Value> {
    if depth > 64 {
        return Vec::new();
    }
    if let Some(name) = node
        .get("$ref")
        .and_then(|r| r.as_str())
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        return root
            .get("$defs")
            .and_then(|d| d.get(name))
            .map_or_else(Vec::new, |n| schema_at(root, n, path, depth + 1));
    }
    let mut out = Vec::new();
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(alts) = node.get(key).and_then(|a| a.as_array()) {
            for alt in alts {
                out.extend(schema_at(root, alt, path, depth + 1));
            }
        }
    }
    match path.first() {
        None => out.push(node),
        Some(PathSegment::Key(k)) => {
            let next = node
                .get("properties")
                .and_then(|p| p.get(k))
                .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()));
            if let Some(next) = next {
                out.extend(schema_at(root, next, &path[1..], depth + 1));
            }
        }
        Some(PathSegment::Index(_)) => {
            if let Some(next) = node.get("items") {
                out.extend(schema_at(root, next, &path[1..], depth + 1));
            }
        }
    }
    out
}

/// The other names a value from a fixed set may take (its schema's `const`s and `enum`).
pub(super) fn alternatives(kind: FileKind, path: &[PathSegment], current: &str) -> Vec<NodeKind> {
    let schema = kind.schema_of_version(crate::model::manifest::VERSION);
    let mut names = Vec::new();
    for node in schema_at(&schema, &schema, path, 0) {
        let mut collect = |v: &serde_json::Value| {
            if let Some(s) = v.as_str()
                && s != current
                && !names.iter().any(|n| n == s)
            {
                names.push(s.to_owned());
            }
        };
        if let Some(c) = node.get("const") {
            collect(c);
        }
        for v in node
            .get("enum")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
        {
            collect(v);
        }
    }
    names.into_iter().map(NodeKind::Str).collect()
}

/// The project with the value at `span` of file `kind` replaced by `value`.
fn varied(project: &Project, kind: FileKind, span: Span, value: &NodeKind) -> Option<Project> {
    let mut documents = project.documents.clone();
    let mut overlays = project.layers.clone();
    let (n, _) = layer::split(span);
    // A base file's value, or a policy folder's base file's, is in the
    // merged base documents; an overlay's is merged in again by `rebuild`.
    let in_base = documents
        .get_mut(kind)
        .and_then(|doc| node_mut(&mut doc.root, span));
    match in_base {
        Some(node) => node.kind = value.clone(),
        None => {
            let overlay = overlays.overlays.iter_mut().find(|o| o.layer == n)?;
            node_mut(&mut overlay.doc.root, span)?.kind = value.clone();
        }
    }
    validate::rebuild(&project.dir, documents, overlays)
}

/// Whether line `index` of `text` is one of the generated header's two lines
/// (`# Generated by cfgen…`, `# Source: …`), in whichever comment syntax,
/// near the top (after a shebang or `<!--`).
fn is_header(text: &str, index: usize) -> bool {
    text.lines().nth(index).is_some_and(|l| {
        let l = l.trim_start_matches("# ");
        index < 4 && (l.starts_with("Generated by cfgen.") || l.starts_with("Source: "))
    })
}

/// One value an artifact read, with what varying it tries.
struct Candidate {
    kind: FileKind,
    span: Span,
    tries: Vec<NodeKind>,
    setter: Setter,
}

/// A scalar value an artifact read: where it is, its path in its file and
/// its node.
struct Leaf<'p> {
    kind: FileKind,
    path: Vec<PathSegment>,
    node: &'p Node,
}

/// The scalar values within the value read at `span` of `file`: itself, or
/// every scalar of the list or map it is (a list read whole, such as a
/// command's arguments, depends on each item), by span.
fn scalars(project: &Project, file: FileId, span: Span) -> Vec<(Span, Leaf<'_>)> {
    let Some(kind) = FileKind::from_id(file) else {
        return Vec::new();
    };
    let Some((_, root, _)) = place(project, kind, span) else {
        return Vec::new();
    };
    let Some(path) = layers::path_of(root, span) else {
        return Vec::new();
    };
    let Some(node) = root.lookup(&path) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    node.each_leaf(&mut path.clone(), &mut |path, node| {
        found.push((
            node.span,
            Leaf {
                kind,
                path: path.to_vec(),
                node,
            },
        ));
    });
    found
}

/// The scalar value `leaf` at `span`, with its variations.
fn candidate(project: &Project, span: Span, leaf: &Leaf<'_>) -> Option<Candidate> {
    if !matches!(
        leaf.node.kind,
        NodeKind::Bool(_) | NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Str(_)
    ) {
        return None;
    }
    let mut tries = variations(&leaf.node.kind);
    if let NodeKind::Str(current) = &leaf.node.kind {
        tries.extend(alternatives(leaf.kind, &leaf.path, current));
    }
    Some(Candidate {
        kind: leaf.kind,
        span,
        tries,
        setter: setter(project, leaf.kind, span)?,
    })
}

/// What explains each line of each artifact (of `only`, when given), by
/// output path. The project is rebuilt and planned once per variation, and
/// only the artifacts that read the varied value are rendered again.
#[must_use]
pub fn blame(
    project: &Project,
    renderer: &Renderer,
    only: Option<&str>,
) -> BTreeMap<String, Vec<LineExplanation>> {
    blame_rendered(project, renderer, &render_all(project, renderer, only))
}

/// [`blame`] of the artifacts `base` holds, as [`render_all`] renders them.
fn blame_rendered(
    project: &Project,
    renderer: &Renderer,
    base: &BTreeMap<String, (Artifact, String)>,
) -> BTreeMap<String, Vec<LineExplanation>> {
    // Each value read, with the artifacts that read it (each artifact's
    // first MAX_CANDIDATES values, in file and position order).
    let mut readers: BTreeMap<(FileId, Span), (Leaf<'_>, Vec<&str>)> = BTreeMap::new();
    for (rel, (artifact, _)) in base {
        let mut reads: BTreeMap<(FileId, Span), Leaf<'_>> = BTreeMap::new();
        for (file, span) in artifact.reads.iter() {
            for (s, leaf) in scalars(project, file, span) {
                reads.entry((file, s)).or_insert(leaf);
            }
        }
        for (read, leaf) in reads.into_iter().take(MAX_CANDIDATES) {
            readers
                .entry(read)
                .or_insert((leaf, Vec::new()))
                .1
                .push(rel);
        }
    }
    // Per artifact: the setters of each line, and the values whose every
    // variation failed to build it.
    let mut set_by: BTreeMap<&str, Vec<Vec<usize>>> = base
        .iter()
        .map(|(rel, (_, text))| (rel.as_str(), vec![Vec::new(); text.lines().count()]))
        .collect();
    let mut unvaried: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    // Per artifact: the values a variation of which builds the project
    // without it (they decide that it exists).
    let mut decides: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut setters = Vec::new();
    for ((_, span), (leaf, rels)) in &readers {
        let Some(c) = candidate(project, *span, leaf) else {
            continue;
        };
        let id = setters.len();
        let mut tried: Vec<bool> = vec![false; rels.len()];
        let mut removed: Vec<bool> = vec![false; rels.len()];
        let mut changed: Vec<Vec<bool>> = rels
            .iter()
            .map(|rel| vec![false; base[*rel].1.lines().count()])
            .collect();
        for value in &c.tries {
            let Some(other) = varied(project, c.kind, c.span, value) else {
                continue;
            };
            let Ok(specs) = crate::patch::specs(&other) else {
                continue;
            };
            let planned = plan::plan(&other).artifacts;
            for (i, rel) in rels.iter().enumerate() {
                let Some(artifact) = planned.iter().find(|a| a.path == *rel) else {
                    removed[i] = true;
                    continue;
                };
                let Ok(r) = crate::generate::render_patched(&other, &specs, artifact, renderer)
                else {
                    continue;
                };
                tried[i] = true;
                for line in changed_lines(&base[*rel].1, &r.text) {
                    changed[i][line] = true;
                }
            }
        }
        for (i, rel) in rels.iter().enumerate() {
            let lines = set_by.get_mut(rel).expect("every reader is rendered");
            for (line, hit) in changed[i].iter().enumerate() {
                if *hit {
                    lines[line].push(id);
                }
            }
            if tried[i] {
            } else if removed[i] {
                decides.entry(rel).or_default().push(id);
            } else {
                unvaried.entry(rel).or_default().push(id);
            }
        }
        setters.push(c.setter);
    }
    base.iter()
        .map(|(rel, (_, text))| {
            let lines = &set_by[rel.as_str()];
            let fixed = unvaried.get(rel.as_str()).cloned().unwrap_or_default();
            let exists: Vec<Setter> = decides
                .get(rel.as_str())
                .into_iter()
                .flatten()
                .map(|id| setters[*id].clone())
                .collect();
            let explained = lines
                .iter()
                .enumerate()
                .map(|(index, ids)| {
                    if is_header(text, index) {
                        LineExplanation::Header {
                            exists: exists.clone(),
                        }
                    } else if ids.is_empty() {
                        LineExplanation::Fixed {
                            unvaried: fixed.iter().map(|id| setters[*id].clone()).collect(),
                            defaults: Vec::new(),
                        }
                    } else {
                        LineExplanation::SetBy(ids.iter().map(|id| setters[*id].clone()).collect())
                    }
                })
                .collect();
            (rel.clone(), explained)
        })
        .collect()
}

/// What explains every line of output file `rel`, in order.
///
/// # Errors
/// A message when the project has no such file.
pub fn file(
    project: &Project,
    renderer: &Renderer,
    rel: &str,
) -> Result<Vec<LineExplanation>, String> {
    let base = render_all(project, renderer, Some(rel));
    let mut lines = blame_rendered(project, renderer, &base)
        .remove(rel)
        .ok_or_else(|| crate::messages::explain_no_file(rel))?;
    let text = &base[rel].1;
    super::defaults::attribute(project, renderer, rel, text, &mut lines);
    Ok(lines)
}

/// What explains line `number` (1-based) of output file `rel`.
///
/// # Errors
/// A message when the project has no such file or line.
pub fn line(
    project: &Project,
    renderer: &Renderer,
    rel: &str,
    number: usize,
) -> Result<LineExplanation, String> {
    let mut lines = file(project, renderer, rel)?;
    if number == 0 || number > lines.len() {
        return Err(crate::messages::explain_no_line(rel, number, lines.len()));
    }
    Ok(lines.swap_remove(number - 1))
}
