//! Layers: a config file's value can come from the base file, from an
//! environment's overlay of it, or from cfgen's defaults. Merged trees keep
//! every node's own span, so a value is always located in the file that set it.
//!
//! Spans of different files would overlap, so a layer's nodes get their own
//! byte addresses: layer `n` lives at `n << 32` and up. A span alone then says
//! which layer it is in ([`split`]); layer 0 is the base file, whose spans are
//! its plain byte offsets, and [`DEFAULTS`] stands for cfgen's defaults.

use super::source::Span;
use super::tree::{Entry, Node, NodeKind};

/// Bits a layer's byte offsets are shifted by.
const SHIFT: u32 = 32;

/// The layer of cfgen's defaults (a policy file absent from the base, below an overlay).
pub const DEFAULTS: u16 = u16::MAX;

/// The span of `span` in `layer`'s address space.
#[must_use]
pub fn address(layer: u16, span: Span) -> Span {
    let base = usize::from(layer) << SHIFT;
    Span::new(base + span.start, base + span.end)
}

/// The layer a span is in, and the span within its file.
#[must_use]
pub fn split(span: Span) -> (u16, Span) {
    let layer = span.start >> SHIFT;
    let base = layer << SHIFT;
    // Addresses are made by `address`, whose layers are u16.
    let layer = u16::try_from(layer).unwrap_or(DEFAULTS);
    (layer, Span::new(span.start - base, span.end - base))
}

impl Node {
    /// The tree with every span moved into `layer`'s address space.
    #[must_use]
    pub fn in_layer(mut self, layer: u16) -> Self {
        self.shift(layer);
        self
    }

    fn shift(&mut self, layer: u16) {
        self.span = address(layer, self.span);
        match &mut self.kind {
            NodeKind::Seq(items) => items.iter_mut().for_each(|n| n.shift(layer)),
            NodeKind::Map(entries) => {
                for e in entries {
                    e.key_span = address(layer, e.key_span);
                    e.value.shift(layer);
                }
            }
            _ => {}
        }
    }

    /// A tree standing for a JSON value (cfgen's defaults), every span in [`DEFAULTS`].
    #[must_use]
    pub fn from_defaults(value: &serde_json::Value) -> Self {
        use serde_json::Value;
        let span = address(DEFAULTS, Span::new(0, 0));
        let kind = match value {
            Value::Null => NodeKind::Null,
            Value::Bool(b) => NodeKind::Bool(*b),
            Value::Number(n) => n
                .as_i64()
                .map_or_else(|| NodeKind::Float(n.as_f64().unwrap_or(0.0)), NodeKind::Int),
            Value::String(s) => NodeKind::Str(s.clone()),
            Value::Array(items) => NodeKind::Seq(items.iter().map(Self::from_defaults).collect()),
            Value::Object(map) => NodeKind::Map(
                map.iter()
                    .map(|(k, v)| Entry {
                        key: k.clone(),
                        key_span: span,
                        value: Self::from_defaults(v),
                    })
                    .collect(),
            ),
        };
        Self { kind, span }
    }
}

/// The name of a list item that is a mapping with a string `name`.
fn item_name(node: &Node) -> Option<&str> {
    match &node.entry("name")?.value.kind {
        NodeKind::Str(s) => Some(s),
        _ => None,
    }
}

/// Whether a list has items and every one is named (`- name: …`).
#[must_use]
pub fn named_list(items: &[Node]) -> bool {
    !items.is_empty() && items.iter().all(|n| item_name(n).is_some())
}

/// Whether both lists name every item (`- name: …`): such lists merge by name.
fn named(base: &[Node], over: &[Node]) -> bool {
    named_list(over) && base.iter().all(|n| item_name(n).is_some())
}

/// `over` deep-merged onto `base`:
///
/// - mappings merge key by key, in the base's order, new keys last;
/// - a key set to `null` (`~`) in the overlay is removed (its default applies);
/// - lists whose items all have a `name` merge item by item, by name;
/// - any other value, or list, of the overlay replaces the base's.
#[must_use]
pub fn merge(base: Node, over: Node) -> Node {
    match (base.kind, over.kind) {
        (NodeKind::Map(mut entries), NodeKind::Map(overs)) => {
            for o in overs {
                let at = entries.iter().position(|e| e.key == o.key);
                match (at, matches!(o.value.kind, NodeKind::Null)) {
                    (Some(i), true) => {
                        entries.remove(i);
                    }
                    (None, true) => {}
                    (Some(i), false) => {
                        let b = entries.remove(i);
                        entries.insert(
                            i,
                            Entry {
                                key: b.key,
                                key_span: o.key_span,
                                value: merge(b.value, o.value),
                            },
                        );
                    }
                    (None, false) => entries.push(o),
                }
            }
            Node {
                kind: NodeKind::Map(entries),
                span: base.span,
            }
        }
        (NodeKind::Seq(items), NodeKind::Seq(overs)) if named(&items, &overs) => {
            let mut items = items;
            for o in overs {
                let name = item_name(&o).map(str::to_owned);
                match items.iter().position(|i| item_name(i) == name.as_deref()) {
                    Some(i) => {
                        let b = items.remove(i);
                        items.insert(i, merge(b, o));
                    }
                    None => items.push(o),
                }
            }
            Node {
                kind: NodeKind::Seq(items),
                span: base.span,
            }
        }
        (_, kind) => Node {
            kind,
            span: over.span,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_bytes;

    fn tree(text: &str, layer: u16) -> Node {
        let (doc, _) =
            load_bytes(std::path::Path::new("t.yaml"), text.as_bytes().to_vec()).unwrap();
        doc.root.in_layer(layer)
    }

    fn json(node: &Node) -> String {
        node.to_json().to_string()
    }

    #[test]
    fn addresses_round_trip() {
        let s = Span::new(5, 9);
        assert_eq!(split(address(0, s)), (0, s));
        assert_eq!(split(address(3, s)), (3, s));
        assert_eq!(split(address(DEFAULTS, s)), (DEFAULTS, s));
    }

    #[test]
    fn maps_merge_named_lists_merge_by_name_other_lists_replace() {
        let base = tree(
            "a: {x: 1, y: 2, z: 3}\nlist: [1, 2]\nnamed: [{name: p, v: 1}, {name: q, v: 2}]\n",
            0,
        );
        let over = tree(
            "a: {y: 20, z: ~, w: 4}\nlist: [9]\nnamed: [{name: q, v: 3}, {name: r, v: 4}]\n",
            1,
        );
        let merged = merge(base, over);
        assert_eq!(
            json(&merged),
            r#"{"a":{"x":1,"y":20,"w":4},"list":[9],"named":[{"name":"p","v":1},{"name":"q","v":3},{"name":"r","v":4}]}"#
        );
        // Each value keeps its own layer: x from the base, y from the overlay.
        let a = merged.entry("a").unwrap();
        assert_eq!(split(a.value.entry("x").unwrap().value.span).0, 0);
        assert_eq!(split(a.value.entry("y").unwrap().value.span).0, 1);
    }
}
