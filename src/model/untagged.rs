//! Deserializing an untagged "`true`/`false` or a mapping" enum without
//! serde's buffer.
//!
//! serde's `#[serde(untagged)]` buffers the value and offers it to each
//! variant; a struct read from that buffer takes a sequence of its fields in
//! order (`rate_limiting: [10, 20]`), which the schema (`type: object`)
//! refuses, and the node deserializer, which refuses it for a struct read
//! directly, never sees the buffer. Reading the value once, a boolean or a
//! mapping handed to the struct as it is, refuses the sequence (and lets the
//! struct's fields learn their spans).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, Deserialize, Deserializer, MapAccess, Visitor, value::MapAccessDeserializer,
};

/// A boolean (`on_bool`) or a mapping read as `T` (`on_map`); anything else,
/// a sequence included, is an error.
///
/// # Errors
///
/// The deserializer's, or `T`'s.
pub fn bool_or_map<'de, D, T, R>(
    d: D,
    on_bool: fn(bool) -> R,
    on_map: fn(T) -> R,
) -> Result<R, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Either<T, R> {
        on_bool: fn(bool) -> R,
        on_map: fn(T) -> R,
        _t: PhantomData<T>,
    }
    impl<'de, T: Deserialize<'de>, R> Visitor<'de> for Either<T, R> {
        type Value = R;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("`true`, `false` or a mapping")
        }
        fn visit_bool<E: de::Error>(self, b: bool) -> Result<R, E> {
            Ok((self.on_bool)(b))
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<R, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map)).map(self.on_map)
        }
    }
    d.deserialize_any(Either {
        on_bool,
        on_map,
        _t: PhantomData,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::security::{RateLimiting, RateLimits};

    fn read(text: &str) -> Result<RateLimiting, String> {
        let path = std::path::Path::new("t.yaml");
        let (doc, _) = crate::load::load_bytes(path, text.as_bytes().to_vec()).expect("parses");
        let de = crate::load::NodeDeserializer::new(&doc.root, crate::provenance::FileId(0));
        RateLimiting::deserialize(de).map_err(|e| e.to_string())
    }

    #[test]
    fn a_boolean_or_a_mapping_but_not_a_sequence() {
        assert_eq!(read("true"), Ok(RateLimiting::Enabled(true)));
        assert_eq!(
            read("{requests_per_second: 5, burst: 7}"),
            Ok(RateLimiting::Limits(RateLimits {
                requests_per_second: 5.into(),
                burst: 7,
            }))
        );
        // serde's untagged buffer took this as the fields in order.
        let err = read("[5, 7]").unwrap_err();
        assert!(err.contains("invalid type: sequence"), "{err}");
        assert!(read("{requests_per_second: 5, burst: 7, extra: 1}").is_err());
        assert!(read("5").is_err());
    }
}
