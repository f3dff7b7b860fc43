//! `cfgen explain`: provenance in both directions.
//!
//! - [`line`]: which config values produce one line of a generated file.
//!   The record of what the artifact read ([`crate::provenance`]) names the
//!   candidates; each is varied in memory in turn (a boolean flipped, a
//!   number or the last number in a string moved by one), the project
//!   rebuilt and the artifact rendered again: a value explains the line when
//!   varying it changes that line. A line no written value changes is cfgen's
//!   (its default or the template's fixed text). So the answer is what the
//!   output does, not what a template seems to say. [`file`] answers for
//!   every line of a file, and [`blame`] for every line of every file, at
//!   the cost of one rebuild per variation (see [`blame`](self::blame)).
//! - [`key`]: a config key's effective value in an environment, and every
//!   layer that sets it (overlay, base file, shared policy, default).

use std::path::Path;

use crate::load::{Node, NodeKind, PathSegment, Span, display_path, layer};
use crate::model::FileKind;
use crate::plan;
use crate::validate::{Project, layers};

mod blame;
mod defaults;
pub use blame::{blame, changed_lines, file, line, render_all};
pub use defaults::DefaultValue;

/// One config value that explains a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setter {
    /// The file, relative to the project (a base file or an overlay).
    pub file: String,
    /// 1-based line and column of the value.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The key, dotted.
    pub key: String,
    /// The value as written.
    pub value: String,
}

/// What explains one line of a generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineExplanation {
    /// The generated header: the sources the file read.
    Header {
        /// The values a variation of which builds the project without this
        /// file: they decide that it exists.
        exists: Vec<Setter>,
    },
    /// These values change the line.
    SetBy(Vec<Setter>),
    /// No written value changes it: cfgen's default or fixed text. The
    /// values the file read that could not be varied are listed.
    Fixed {
        /// Values read but not varied (a name from a fixed set, a value
        /// whose variation does not validate).
        unvaried: Vec<Setter>,
        /// The defaults of keys no file sets whose variation changes the
        /// line (found for [`file`] and [`line`], not by [`blame`]).
        defaults: Vec<DefaultValue>,
    },
}

/// The file and tree a read value is in: a base document or an overlay.
fn place(
    project: &Project,
    kind: FileKind,
    span: Span,
) -> Option<(String, &Node, &crate::load::Source)> {
    let (n, _) = layer::split(span);
    if n == 0 {
        let doc = project.documents.get(kind)?;
        Some((project.file_of(kind, span), &doc.root, &doc.source))
    } else {
        let overlay = project.layers.get(n)?;
        Some((
            project.file_of(kind, span),
            &overlay.doc.root,
            &overlay.doc.source,
        ))
    }
}

/// A value as shown: `file:line:col key = value`.
fn setter(project: &Project, kind: FileKind, span: Span) -> Option<Setter> {
    let (file, root, source) = place(project, kind, span)?;
    located(file, root, source, span)
}

/// The value at `span` of the tree `root` of `file`, as shown.
fn located(file: String, root: &Node, source: &crate::load::Source, span: Span) -> Option<Setter> {
    let path = layers::path_of(root, span)?;
    let local = layer::split(span).1;
    let (line, column) = source.line_col(local.start);
    let value = source
        .text()
        .get(local.start..local.end)
        .unwrap_or_default()
        .to_owned();
    Some(Setter {
        file,
        line,
        column,
        key: display_path(&path),
        value,
    })
}

/// What one layer's value of a key does to the effective value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It is the effective value.
    Effective,
    /// It is part of it: a mapping (or a list merged by `name`) that every
    /// layer above merges into; the keys no higher layer sets are its.
    Merged,
    /// A higher layer replaces it.
    Overridden,
}

/// One layer that sets a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Where: a file relative to the project, or `default`.
    pub setter: Option<Setter>,
    /// The value (JSON); of a mapping, the part this layer writes.
    pub value: String,
    /// What it does to the effective value.
    pub role: Role,
}

/// A key's effective value in an environment and each layer that sets it,
/// the winning one first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyExplanation {
    /// The key, dotted.
    pub key: String,
    /// The environment (`None`: the base).
    pub environment: Option<String>,
    /// The effective value (JSON).
    pub effective: String,
    /// Every layer that sets it, highest precedence first; empty when the
    /// default applies.
    pub layers: Vec<Layer>,
}

/// The value of `key` (dotted, starting with a file's top-level key) in
/// environment `env`.
///
/// # Errors
/// A message when the key names no config file or no value of its file.
pub fn key(project: &Project, env: Option<&str>, key: &str) -> Result<KeyExplanation, String> {
    let path = parse_dotted(key);
    let Some(PathSegment::Key(top)) = path.first() else {
        return Err(crate::messages::explain_bad_key(key));
    };
    let kind = FileKind::ALL
        .into_iter()
        .find(|k| k.top_key() == Some(top.as_str()))
        .ok_or_else(|| crate::messages::explain_bad_key(key))?;
    if let Some(env) = env
        && !project
            .config
            .manifest
            .environments
            .keys()
            .any(|e| e.as_str() == env)
    {
        let names = project
            .config
            .manifest
            .environments
            .keys()
            .map(|e| e.as_str());
        let closest = crate::diagnostics::closest(env, names);
        return Err(crate::messages::explain_no_environment(
            env,
            closest.as_deref(),
        ));
    }
    // Highest first: the environment's overlays (the project's, then its
    // policy folders'), the project's base file, the policy folders' base files.
    // Each is looked up in its own file's tree: in the merged base, a mapping
    // the project and its policy both set stands at the policy's place.
    let mut found: Vec<(Node, Option<Setter>)> = Vec::new();
    let mut push = |file: String, root: &Node, source: &crate::load::Source| {
        if let Some(node) = root.lookup(&path) {
            found.push((node.clone(), located(file, root, source, node.span)));
        }
    };
    if let Some(env) = env {
        let overlays: Vec<_> = project.layers.of(env).filter(|o| o.kind == kind).collect();
        for overlay in overlays.into_iter().rev() {
            push(
                overlay.relative_path(),
                &overlay.doc.root,
                &overlay.doc.source,
            );
        }
    }
    if let Some(doc) = project.documents.get(kind)
        && let Some(own) = own_base(project, kind)
    {
        push(kind.relative_path().to_owned(), &own, &doc.source);
    }
    let bases: Vec<_> = project
        .layers
        .policy_bases()
        .filter(|o| o.kind == kind)
        .collect();
    for base in bases.into_iter().rev() {
        push(base.relative_path(), &base.doc.root, &base.doc.source);
    }
    let found = with_roles(found);
    // As written when a layer writes it (in the environment's merged files,
    // else the base's), else the typed default: one form with or without `--env`.
    let seen = env.map_or(project, |e| project.for_environment(e));
    let effective = seen
        .documents
        .get(kind)
        .and_then(|doc| doc.root.lookup(&path))
        .map(Node::to_json)
        .or_else(|| default_of(seen, kind, &path));
    let Some(effective) = effective else {
        return Err(crate::messages::explain_no_key(key, &kind.relative_path()));
    };
    Ok(KeyExplanation {
        key: display_path(&path),
        environment: env.map(str::to_owned),
        effective: effective.to_string(),
        layers: found,
    })
}

/// The project's own base file of `kind` as it was read (layer 0): the
/// merged base without the policy folders' files under it.
fn own_base(project: &Project, kind: FileKind) -> Option<std::borrow::Cow<'_, Node>> {
    let doc = project.documents.get(kind)?;
    if !project.layers.policy_bases().any(|o| o.kind == kind) {
        return Some(std::borrow::Cow::Borrowed(&doc.root));
    }
    // The merged document keeps the project's source (empty when only the
    // policy has the file): parsed again, it is the project's tree alone.
    if doc.source.text().is_empty() {
        return None;
    }
    let bytes = doc.source.text().as_bytes().to_vec();
    let (own, _) = crate::load::load_bytes(doc.source.path(), bytes).ok()?;
    Some(std::borrow::Cow::Owned(own.root))
}

/// Whether a layer's value merges with the layers under it (a mapping, or a
/// list whose items all have a `name`) rather than replacing them.
fn merges(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Map(_) => true,
        NodeKind::Seq(items) => layer::named_list(items),
        _ => false,
    }
}

/// Each layer's value (highest first) with its role: while every layer from
/// the top merges, each is part of the effective value; below the first that
/// replaces, every layer is overridden.
fn with_roles(found: Vec<(Node, Option<Setter>)>) -> Vec<Layer> {
    let merged = found.len() > 1 && merges(&found[0].0) && merges(&found[1].0);
    let mut merging = true;
    found
        .into_iter()
        .enumerate()
        .map(|(i, (node, setter))| {
            merging &= merges(&node);
            let role = match (i, merged && merging) {
                (_, true) => Role::Merged,
                (0, false) => Role::Effective,
                _ => Role::Overridden,
            };
            Layer {
                setter,
                value: node.to_json().to_string(),
                role,
            }
        })
        .collect()
}

/// `kubernetes_config.resources.limits[0].cpu` as a path.
fn parse_dotted(key: &str) -> Vec<PathSegment> {
    let mut out = Vec::new();
    for part in key.split('.') {
        let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            out.push(PathSegment::Key(name.to_owned()));
        }
        while let Some((index, after)) = rest.split_once(']') {
            if let Ok(i) = index.parse() {
                out.push(PathSegment::Index(i));
            }
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    out
}

/// The typed section of a config file (defaults filled in), as JSON.
pub(crate) fn section(project: &Project, kind: FileKind) -> Option<serde_json::Value> {
    let c = &project.config;
    match kind {
        FileKind::Manifest => serde_json::to_value(&c.manifest).ok(),
        FileKind::Docker => serde_json::to_value(&c.docker).ok(),
        FileKind::Kubernetes => serde_json::to_value(&c.kubernetes).ok(),
        FileKind::Scripts => serde_json::to_value(&c.scripts).ok(),
        FileKind::Monitoring => serde_json::to_value(&c.monitoring).ok(),
        FileKind::Logging => serde_json::to_value(&c.logging).ok(),
        FileKind::Security => serde_json::to_value(&c.security).ok(),
        FileKind::Backup => serde_json::to_value(&c.backup).ok(),
        FileKind::Performance => serde_json::to_value(&c.performance).ok(),
        FileKind::Checklist => serde_json::to_value(&c.checklist).ok(),
    }
}

/// The value at `path` of the typed config (defaults filled in), as JSON.
fn default_of(
    project: &Project,
    kind: FileKind,
    path: &[PathSegment],
) -> Option<serde_json::Value> {
    let config = section(project, kind)?;
    let mut at = &config;
    // The path starts with the file's top-level key, which the section is.
    for segment in path.iter().skip(1) {
        at = match segment {
            PathSegment::Key(k) => at.get(k)?,
            PathSegment::Index(i) => at.get(*i)?,
        };
    }
    Some(at.clone())
}

/// Whether `rel` names a file under the project's output folder; the path
/// relative to it.
#[must_use]
pub fn output_relative(project: &Project, file: &Path) -> Option<String> {
    let out = project.dir.join(project.config.manifest.output.peek());
    let out = out.canonicalize().ok()?;
    let file = file.canonicalize().ok()?;
    // the deploy workflow lives at the repository root, as `../…/.github/workflows/<file>`
    let location = plan::repository::of_project(&project.dir, &project.config);
    let name = plan::repository::file_name(&project.config);
    let workflow = location
        .root
        .join(plan::repository::WORKFLOWS_DIR)
        .join(&name);
    if workflow.canonicalize().ok().as_ref() == Some(&file) {
        return Some(plan::repository::path_from_output(
            project.config.manifest.output.peek(),
            location.levels,
            &name,
        ));
    }
    let rel = file.strip_prefix(out).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}
