//! A serde `Deserializer` over a loaded [`Node`] tree: the typed pass reads
//! the tree directly (no JSON copy), and every [`crate::provenance::Tracked`]
//! value learns the file and span it came from.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::tree::{Entry, Node, NodeKind};
use crate::provenance::{FileId, Origin, set_current};

/// Deserializes one node of the file `file`.
#[derive(Clone, Copy)]
pub struct NodeDeserializer<'a> {
    node: &'a Node,
    file: FileId,
}

impl<'a> NodeDeserializer<'a> {
    /// The root of a document (announces its origin, like every child's).
    #[must_use]
    pub fn new(node: &'a Node, file: FileId) -> Self {
        let de = Self { node, file };
        de.announce();
        de
    }

    fn child(&self, node: &'a Node) -> Self {
        let de = Self {
            node,
            file: self.file,
        };
        de.announce();
        de
    }

    /// A value of a layer keeps its layer's address in its origin (see
    /// [`super::layer`]); one standing for cfgen's defaults is a default.
    fn announce(&self) {
        let origin = if super::layer::split(self.node.span).0 == super::layer::DEFAULTS {
            Origin::Default
        } else {
            Origin::Input(self.file, self.node.span)
        };
        set_current(origin);
    }

    fn unexpected(&self) -> de::Unexpected<'a> {
        match &self.node.kind {
            NodeKind::Null => de::Unexpected::Unit,
            NodeKind::Bool(b) => de::Unexpected::Bool(*b),
            NodeKind::Int(i) => de::Unexpected::Signed(*i),
            NodeKind::Float(f) => de::Unexpected::Float(*f),
            NodeKind::Str(s) => de::Unexpected::Str(s),
            NodeKind::Seq(_) => de::Unexpected::Seq,
            NodeKind::Map(_) => de::Unexpected::Map,
        }
    }
}

/// The error of the typed pass: serde's message (the path comes from
/// `serde_path_to_error`, the span from the tree).
#[derive(Debug)]
pub struct DeError(String);

impl std::fmt::Display for DeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Null => visitor.visit_unit(),
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Int(i) => visitor.visit_i64(*i),
            NodeKind::Float(f) => visitor.visit_f64(*f),
            NodeKind::Str(s) => visitor.visit_str(s),
            NodeKind::Seq(items) => visitor.visit_seq(SeqAccess {
                parent: self,
                items: items.iter(),
            }),
            NodeKind::Map(entries) => visitor.visit_map(MapAccess {
                parent: self,
                entries: entries.iter(),
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.kind {
            NodeKind::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Only the name of a variant: the model's enums are unit enums (or
        // untagged), and their schemas refuse serde's `{Variant: value}` form,
        // so the typed pass must too.
        match &self.node.kind {
            NodeKind::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // A mapping only: serde's derived structs also take a list of the
        // fields in order, which the schemas (`type: object`) refuse.
        match &self.node.kind {
            NodeKind::Map(_) => self.deserialize_any(visitor),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.kind {
            NodeKind::Null => visitor.visit_unit(),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

struct SeqAccess<'a> {
    parent: NodeDeserializer<'a>,
    items: std::slice::Iter<'a, Node>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(node) => seed.deserialize(self.parent.child(node)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'a> {
    parent: NodeDeserializer<'a>,
    entries: std::slice::Iter<'a, Entry>,
    value: Option<&'a Node>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            Some(entry) => {
                self.value = Some(&entry.value);
                set_current(Origin::Input(self.parent.file, entry.key_span));
                seed.deserialize(entry.key.as_str().into_deserializer())
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let node = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("value requested before its key"))?;
        seed.deserialize(self.parent.child(node))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::load::{SourceFile, Span};
    use crate::provenance::Tracked;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        name: Tracked<String>,
        count: Tracked<u32>,
        #[serde(default)]
        missing: Tracked<bool>,
        tags: Tracked<Vec<String>>,
        levels: BTreeMap<String, Tracked<Level>>,
        maybe: Option<Tracked<f64>>,
    }

    #[derive(Deserialize, Debug, PartialEq, Clone, Copy)]
    #[serde(rename_all = "lowercase")]
    enum Level {
        Info,
        Debug,
    }

    fn parse(text: &str) -> Node {
        let source = SourceFile::new("t.yaml", text.to_owned());
        crate::load::parse::parse(&source).expect("parses").0
    }

    #[test]
    fn values_learn_their_spans() {
        let text = "name: shop\ncount: 3\ntags: [a, b]\nlevels:\n  root: info\nmaybe: 0.5\n";
        let root = parse(text);
        let doc = Doc::deserialize(NodeDeserializer::new(&root, FileId(7))).unwrap();
        let span_of = |o: Origin| match o {
            Origin::Input(FileId(7), s) => &text[s.start..s.end],
            other => panic!("{other:?}"),
        };
        assert_eq!(span_of(doc.name.origin()), "shop");
        assert_eq!(span_of(doc.count.origin()), "3");
        assert_eq!(span_of(doc.tags.origin()), "[a, b]");
        assert_eq!(span_of(doc.levels["root"].origin()), "info");
        assert_eq!(*doc.levels["root"].peek(), Level::Info);
        assert_eq!(span_of(doc.maybe.unwrap().origin()), "0.5");
        assert_eq!(doc.missing.origin(), Origin::Default);
        assert_eq!(*doc.count.peek(), 3);
        let _ = Span::default();
    }

    #[test]
    fn an_enum_is_its_variant_name_only() {
        // serde's `{Variant: value}` form, which the schemas refuse.
        for levels in ["{info: ~}", "{info: {}}"] {
            let root = parse(&format!(
                "name: s\ncount: 1\ntags: []\nlevels:\n  root: {levels}\n"
            ));
            assert!(Doc::deserialize(NodeDeserializer::new(&root, FileId(0))).is_err());
        }
    }

    #[test]
    fn type_errors_carry_the_path() {
        let root = parse("name: shop\ncount: many\ntags: []\nlevels: {}\n");
        let err =
            serde_path_to_error::deserialize::<_, Doc>(NodeDeserializer::new(&root, FileId(0)))
                .err()
                .unwrap();
        assert_eq!(err.path().to_string(), "count");
        assert!(err.inner().to_string().contains("invalid type"), "{err}");
    }
}
