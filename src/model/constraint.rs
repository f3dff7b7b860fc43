//! Constraints on values that their Rust types do not carry (a port from
//! 1024, a non-empty command, a bucket name's pattern), declared once, in the
//! field's type: `Tracked<u16, Between<1024, 65535>>`. The one declaration
//! gives both the JSON Schema keyword (`minimum`, `maxItems`, `pattern`…) and
//! the check that deserialization runs, so the typed pass refuses what the
//! schema refuses and the two cannot drift (`tests/typed_first.rs` holds them
//! to it on every fixture and on mutated configs).

use std::marker::PhantomData;
use std::sync::OnceLock;

use schemars::Schema;

/// A constraint on values of `T`.
pub trait Constraint<T: ?Sized> {
    /// Whether it is [`Free`] (the value's schema is then `T`'s, unchanged).
    const FREE: bool = false;

    /// Adds its keywords to `schema`, the schema of `T`.
    fn schema(schema: &mut Schema);

    /// Why `value` breaks it, if it does.
    ///
    /// # Errors
    ///
    /// The reason, phrased like serde's own errors.
    fn check(value: &T) -> Result<(), String>;
}

/// No constraint beyond the type's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Free;

impl<T: ?Sized> Constraint<T> for Free {
    const FREE: bool = true;

    fn schema(_: &mut Schema) {}

    fn check(_: &T) -> Result<(), String> {
        Ok(())
    }
}

/// A whole number of at least `MIN` (`minimum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AtLeast<const MIN: u64>;

/// A whole number of at most `MAX` (`maximum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AtMost<const MAX: u64>;

/// A whole number from `MIN` to `MAX` (`minimum`, `maximum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Between<const MIN: u64, const MAX: u64>;

fn bounded(value: u64, min: Option<u64>, max: Option<u64>) -> Result<(), String> {
    match (min, max) {
        (Some(min), _) if value < min => Err(format!("{value} is less than {min}")),
        (_, Some(max)) if value > max => Err(format!("{value} is more than {max}")),
        _ => Ok(()),
    }
}

impl<T: Copy + Into<u64>, const MIN: u64> Constraint<T> for AtLeast<MIN> {
    fn schema(schema: &mut Schema) {
        schema.insert("minimum".into(), MIN.into());
    }

    fn check(value: &T) -> Result<(), String> {
        bounded((*value).into(), Some(MIN), None)
    }
}

impl<T: Copy + Into<u64>, const MAX: u64> Constraint<T> for AtMost<MAX> {
    fn schema(schema: &mut Schema) {
        schema.insert("maximum".into(), MAX.into());
    }

    fn check(value: &T) -> Result<(), String> {
        bounded((*value).into(), None, Some(MAX))
    }
}

impl<T: Copy + Into<u64>, const MIN: u64, const MAX: u64> Constraint<T> for Between<MIN, MAX> {
    fn schema(schema: &mut Schema) {
        schema.insert("minimum".into(), MIN.into());
        schema.insert("maximum".into(), MAX.into());
    }

    fn check(value: &T) -> Result<(), String> {
        bounded((*value).into(), Some(MIN), Some(MAX))
    }
}

/// Not empty: a string of at least one character (`minLength`), a list of at
/// least one item (`minItems`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NonEmpty;

impl Constraint<String> for NonEmpty {
    fn schema(schema: &mut Schema) {
        schema.insert("minLength".into(), 1.into());
    }

    fn check(value: &String) -> Result<(), String> {
        if value.is_empty() {
            Err("the string is empty".into())
        } else {
            Ok(())
        }
    }
}

impl<T> Constraint<Vec<T>> for NonEmpty {
    fn schema(schema: &mut Schema) {
        schema.insert("minItems".into(), 1.into());
    }

    fn check(value: &Vec<T>) -> Result<(), String> {
        if value.is_empty() {
            Err("the list is empty".into())
        } else {
            Ok(())
        }
    }
}

/// A named ECMA-262 regular expression, as a schema's `pattern` holds it.
pub trait Pattern {
    /// The expression.
    const PATTERN: &'static str;

    /// It, compiled once.
    fn regex() -> &'static regex::Regex;
}

/// A string matching the pattern `P` (`pattern`).
pub struct Matches<P>(PhantomData<fn() -> P>);

impl<P: Pattern> Constraint<String> for Matches<P> {
    fn schema(schema: &mut Schema) {
        schema.insert("pattern".into(), P::PATTERN.into());
    }

    fn check(value: &String) -> Result<(), String> {
        if P::regex().is_match(value) {
            Ok(())
        } else {
            Err(format!("`{value}` does not match `{}`", P::PATTERN))
        }
    }
}

/// `pattern` compiled as the schema validator compiles it (jsonschema with
/// `PatternOptions::regex()`): the same translation of ECMA-262 syntax
/// (`\s`, `\d`, …) to the `regex` crate's, and the same engine, so a string
/// matches here exactly when it matches there.
///
/// # Panics
///
/// When the pattern does not compile: a pattern of cfgen's own, caught by
/// the tests of every schema.
#[must_use]
pub fn compile(pattern: &str) -> regex::Regex {
    let translated = jsonschema_regex::to_rust_regex(pattern)
        .unwrap_or_else(|()| panic!("pattern `{pattern}` does not translate"));
    regex::Regex::new(&translated)
        .unwrap_or_else(|e| panic!("pattern `{pattern}` does not compile: {e}"))
}

/// Whether `text` matches `pattern`, compiling it once into `cell`.
pub fn matches(cell: &'static OnceLock<regex::Regex>, pattern: &str, text: &str) -> bool {
    cell.get_or_init(|| compile(pattern)).is_match(text)
}

/// Declares a [`Pattern`]: `pattern!(VolumePath, r"^/.+[^/]$");`.
macro_rules! pattern {
    ($(#[$doc:meta])* $name:ident, $pattern:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl $crate::model::constraint::Pattern for $name {
            const PATTERN: &'static str = $pattern;

            fn regex() -> &'static regex::Regex {
                static REGEX: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
                REGEX.get_or_init(|| $crate::model::constraint::compile($pattern))
            }
        }
    };
}
pub(crate) use pattern;

/// The TCP port a process listens on: unprivileged, 1024–65535.
pub type ListenPort = Between<1024, 65535>;

pattern!(
    /// An absolute path of a file or folder: `/` and at least two characters, no `/` at the end.
    FilePath,
    r"^/.+[^/]$"
);

/// A value of `T` under the constraint `C`, for a field that is not a
/// [`crate::provenance::Tracked`] (which carries its constraint itself).
/// Serializes, deserializes and reads (`Deref`) as `T`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Checked<T, C> {
    value: T,
    constraint: PhantomData<fn() -> C>,
}

impl<T, C> Checked<T, C> {
    /// A value cfgen supplies (a default), not checked.
    pub const fn new(value: T) -> Self {
        Self {
            value,
            constraint: PhantomData,
        }
    }
}

impl<T, C> From<T> for Checked<T, C> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T, C> std::ops::Deref for Checked<T, C> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: std::fmt::Debug, C> std::fmt::Debug for Checked<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: serde::Serialize, C> serde::Serialize for Checked<T, C> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<'de, T: serde::Deserialize<'de>, C: Constraint<T>> serde::Deserialize<'de> for Checked<T, C> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = T::deserialize(d)?;
        C::check(&value).map_err(serde::de::Error::custom)?;
        Ok(Self::new(value))
    }
}

impl<T: schemars::JsonSchema, C: Constraint<T>> schemars::JsonSchema for Checked<T, C> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> Schema {
        constrained::<T, C>(generator)
    }
}

/// The schema of `T` under `C` (inline: `T`'s keywords plus `C`'s).
pub fn constrained<T: schemars::JsonSchema, C: Constraint<T>>(
    generator: &mut schemars::SchemaGenerator,
) -> Schema {
    let mut schema = T::json_schema(generator);
    C::schema(&mut schema);
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    pattern!(Bucket, r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$");
    pattern!(Url, r"^https?://[^\s'\x22\\$`]+$");

    #[test]
    fn bounds_refuse_outside_and_accept_the_ends() {
        type Port = Between<1024, 65535>;
        assert!(<Port as Constraint<u16>>::check(&1023).is_err());
        assert!(<Port as Constraint<u16>>::check(&1024).is_ok());
        assert!(<Port as Constraint<u16>>::check(&65535).is_ok());
        assert!(<AtLeast<1> as Constraint<u32>>::check(&0).is_err());
        assert!(<AtMost<10> as Constraint<u32>>::check(&11).is_err());
        assert!(<AtMost<10> as Constraint<u32>>::check(&10).is_ok());
    }

    #[test]
    fn patterns_match_as_the_schema_validator_does() {
        assert!(<Matches<Bucket> as Constraint<String>>::check(&"my-bucket".into()).is_ok());
        assert!(<Matches<Bucket> as Constraint<String>>::check(&"ab".into()).is_err());
        // ECMA-262 `\s` includes U+FEFF; the `regex` crate's `\s` does not.
        // The translation the validator uses keeps ECMA's meaning.
        let bom = "https://a\u{feff}b".to_owned();
        let validator = jsonschema::draft202012::options()
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&serde_json::json!({"pattern": Url::PATTERN}))
            .expect("compiles");
        assert_eq!(
            <Matches<Url> as Constraint<String>>::check(&bom).is_ok(),
            validator.is_valid(&serde_json::Value::String(bom.clone())),
        );
        assert!(<Matches<Url> as Constraint<String>>::check(&"https://x".into()).is_ok());
    }

    #[test]
    fn non_empty_refuses_empty_strings_and_lists() {
        assert!(<NonEmpty as Constraint<String>>::check(&String::new()).is_err());
        assert!(<NonEmpty as Constraint<Vec<u8>>>::check(&vec![]).is_err());
        assert!(<NonEmpty as Constraint<Vec<u8>>>::check(&vec![1]).is_ok());
    }
}
