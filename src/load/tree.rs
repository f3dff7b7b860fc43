//! The loaded YAML document: values with the byte span of every node and key.
//!
//! The tree doubles as the path→span index: [`Node::lookup`] follows a JSON
//! pointer (as `jsonschema` and `serde_path_to_error` report them) to the node,
//! so every later stage can point at the exact source.

use super::source::Span;

/// A YAML value and where it stands in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// The bytes the value covers.
    pub span: Span,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string (every quoted scalar, and plain scalars that are not numbers etc.).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, as a string.
    pub key: String,
    /// Where the key stands.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

impl Node {
    /// Short name of the value's type, for messages (`a mapping`, `a string`…).
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// The entry of a mapping with this key.
    #[must_use]
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Follows `path` and returns the node it names, or `None`.
    #[must_use]
    pub fn lookup<'a, I>(&self, path: I) -> Option<&Node>
    where
        I: IntoIterator<Item = &'a PathSegment>,
    {
        let mut node = self;
        for segment in path {
            node = node.child(segment)?;
        }
        Some(node)
    }

    /// The child at one path step: a key of a mapping, an index of a list.
    /// A numeric key step also indexes a list (JSON pointers do not say which).
    #[must_use]
    pub fn child(&self, segment: &PathSegment) -> Option<&Node> {
        match (&self.kind, segment) {
            (NodeKind::Map(entries), PathSegment::Key(k)) => {
                entries.iter().find(|e| &e.key == k).map(|e| &e.value)
            }
            (NodeKind::Map(entries), PathSegment::Index(i)) => {
                let k = i.to_string();
                entries.iter().find(|e| e.key == k).map(|e| &e.value)
            }
            (NodeKind::Seq(items), PathSegment::Index(i)) => items.get(*i),
            (NodeKind::Seq(items), PathSegment::Key(k)) => items.get(k.parse::<usize>().ok()?),
            _ => None,
        }
    }

    /// The span of the deepest node along `path` that exists, and whether the
    /// whole path was found. With `key` set, a path ending in a mapping key
    /// points at the key rather than its value.
    #[must_use]
    pub fn locate(&self, path: &[PathSegment], key: bool) -> (Span, bool) {
        let mut node = self;
        for (i, segment) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            if key
                && last
                && let (NodeKind::Map(entries), PathSegment::Key(k)) = (&node.kind, segment)
                && let Some(e) = entries.iter().find(|e| &e.key == k)
            {
                return (e.key_span, true);
            }
            match node.child(segment) {
                Some(child) => node = child,
                None => return (node.span, false),
            }
        }
        (node.span, true)
    }

    /// Converts to JSON for schema validation and typed deserialization.
    /// Non-finite floats (`.inf`, `.nan`) have no JSON form and become strings.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => float_json(*f),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Every leaf (scalar or empty collection) with its path, in source order.
    pub fn leaves(&self, path: &mut Vec<PathSegment>, out: &mut Vec<(Vec<PathSegment>, Span)>) {
        self.each_leaf(path, &mut |path, leaf| out.push((path.to_vec(), leaf.span)));
    }

    /// Calls `f` with every leaf (scalar or empty collection) and its path below
    /// `path`, in source order.
    pub fn each_leaf<'n>(
        &'n self,
        path: &mut Vec<PathSegment>,
        f: &mut impl FnMut(&[PathSegment], &'n Node),
    ) {
        match &self.kind {
            NodeKind::Seq(items) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    path.push(PathSegment::Index(i));
                    item.each_leaf(path, f);
                    path.pop();
                }
            }
            NodeKind::Map(entries) if !entries.is_empty() => {
                for e in entries {
                    path.push(PathSegment::Key(e.key.clone()));
                    e.value.each_leaf(path, f);
                    path.pop();
                }
            }
            _ => f(path, self),
        }
    }
}

/// Parses a JSON pointer (`/a/0/b`) into path segments; numeric segments become indexes.
#[must_use]
pub fn parse_pointer(pointer: &str) -> Vec<PathSegment> {
    pointer
        .split('/')
        .skip(1)
        .map(|raw| {
            let s = raw.replace("~1", "/").replace("~0", "~");
            match s.parse::<usize>() {
                Ok(i) if !s.starts_with('+') && (s == "0" || !s.starts_with('0')) => {
                    PathSegment::Index(i)
                }
                _ => PathSegment::Key(s),
            }
        })
        .collect()
}

/// Renders a path the way users write it: `docker_config.build.multi_stage`, `steps[2].name`.
#[must_use]
pub fn display_path(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            PathSegment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathSegment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// A float as JSON: a number, or its text where JSON has none (NaN, the infinities).
#[must_use]
pub fn float_json(f: f64) -> serde_json::Value {
    serde_json::Number::from_f64(f).map_or_else(
        || serde_json::Value::String(f.to_string()),
        serde_json::Value::Number,
    )
}
