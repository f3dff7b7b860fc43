//! The two merges of a patch over a generated object, on trees that remember
//! which parts are the object's own (so they are written back as rendered,
//! comments included) and which came from the patch.

use crate::load::{Node, NodeKind};

/// The lists of named items that a strategic patch merges item by item on
/// `name` (Kubernetes' own patch-merge keys for these fields).
pub const NAMED_LISTS: [&str; 6] = [
    "containers",
    "initContainers",
    "env",
    "ports",
    "volumes",
    "volumeMounts",
];

/// How a patch merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// RFC 7386 JSON merge patch.
    Merge,
    /// JSON merge patch, with the lists of [`NAMED_LISTS`] merged by `name`.
    Strategic,
}

/// A value of the patched object.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    /// A part of the rendered object, unchanged.
    Orig(&'a Node),
    /// A mapping with changes: the rendered one it started from, if any, and
    /// its entries (the rendered ones in their order, then the new ones).
    Map(Option<&'a Node>, Vec<(String, Val<'a>)>),
    /// A list with changes (named items merged).
    Seq(Vec<Val<'a>>),
    /// A value of the patch (a scalar, or a list it replaces).
    New(&'a Node),
}

impl Val<'_> {
    /// The value as JSON (what the object's type is checked against).
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Orig(node) => node.to_json(),
            Self::New(node) => clean(node),
            Self::Map(_, entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Self::Seq(items) => serde_json::Value::Array(items.iter().map(Val::to_json).collect()),
        }
    }
}

/// A value as JSON; in a mapping of a patch's list, `null` removes (so is
/// dropped), as RFC 7386 says of a patch merged over nothing.
pub fn clean(node: &Node) -> serde_json::Value {
    match &node.kind {
        NodeKind::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .filter(|e| !matches!(e.value.kind, NodeKind::Null))
                .map(|e| (e.key.clone(), clean(&e.value)))
                .collect(),
        ),
        NodeKind::Seq(items) => serde_json::Value::Array(items.iter().map(clean).collect()),
        _ => node.to_json(),
    }
}

/// The entries of `target` as a mapping to merge into (none when it is not one).
pub(super) fn entries_of(target: Option<Val<'_>>) -> (Option<&Node>, Vec<(String, Val<'_>)>) {
    match target {
        Some(Val::Orig(node)) => match &node.kind {
            NodeKind::Map(entries) => (
                Some(node),
                entries
                    .iter()
                    .map(|e| (e.key.clone(), Val::Orig(&e.value)))
                    .collect(),
            ),
            _ => (None, Vec::new()),
        },
        Some(Val::Map(orig, entries)) => (orig, entries),
        _ => (None, Vec::new()),
    }
}

/// `patch` merged over `target` (absent: the key is new); `None` when the
/// result is removed. `key` is the key the value stands at, for named lists.
#[must_use]
pub fn merge<'a>(
    target: Option<Val<'a>>,
    patch: &'a Node,
    key: Option<&str>,
    mode: Mode,
) -> Option<Val<'a>> {
    match &patch.kind {
        NodeKind::Null => None,
        NodeKind::Map(patch_entries) => {
            let (orig, mut entries) = entries_of(target);
            for entry in patch_entries {
                let at = entries.iter().position(|(k, _)| *k == entry.key);
                let old = at.map(|i| entries[i].1.clone());
                match (merge(old, &entry.value, Some(&entry.key), mode), at) {
                    (Some(v), Some(i)) => entries[i].1 = v,
                    (Some(v), None) => entries.push((entry.key.clone(), v)),
                    (None, Some(i)) => {
                        entries.remove(i);
                    }
                    (None, None) => {}
                }
            }
            Some(Val::Map(orig, entries))
        }
        NodeKind::Seq(patch_items)
            if mode == Mode::Strategic && key.is_some_and(|k| NAMED_LISTS.contains(&k)) =>
        {
            let items = match target {
                Some(Val::Orig(Node {
                    kind: NodeKind::Seq(items),
                    ..
                })) => items.iter().map(Val::Orig).collect(),
                Some(Val::Seq(items)) => items,
                _ => return Some(Val::New(patch)),
            };
            Some(merge_named(items, patch, patch_items, mode))
        }
        _ => Some(Val::New(patch)),
    }
}

/// The `name` of a list item, when it is a mapping with a string `name`.
fn name_of(item: &Val<'_>) -> Option<String> {
    match item {
        Val::Orig(node) | Val::New(node) => match &node.entry("name")?.value.kind {
            NodeKind::Str(s) => Some(s.clone()),
            _ => None,
        },
        Val::Map(_, entries) => {
            let (_, v) = entries.iter().find(|(k, _)| k == "name")?;
            v.to_json().as_str().map(str::to_owned)
        }
        Val::Seq(_) => None,
    }
}

/// Named items merged: each patch item over the item of its name, new names
/// appended in the patch's order. When an item on either side has no name,
/// the patch's list replaces (as in a JSON merge patch).
fn merge_named<'a>(
    mut items: Vec<Val<'a>>,
    patch: &'a Node,
    patch_items: &'a [Node],
    mode: Mode,
) -> Val<'a> {
    let named = items.iter().all(|i| name_of(i).is_some())
        && patch_items.iter().all(|p| name_of(&Val::New(p)).is_some());
    if !named {
        return Val::New(patch);
    }
    for p in patch_items {
        let name = name_of(&Val::New(p));
        let at = items.iter().position(|i| name_of(i) == name);
        let old = at.map(|i| items[i].clone());
        match (merge(old, p, None, mode), at) {
            (Some(v), Some(i)) => items[i] = v,
            (Some(v), None) => items.push(v),
            _ => {}
        }
    }
    Val::Seq(items)
}
