//! Provenance: where each config value came from, and which values each
//! artifact read.
//!
//! Every value of the typed model that a user can write is a [`Tracked`]: the
//! value plus its [`Origin`] (the file and byte span it was read from, or the
//! default that stood in for it). Reading a tracked value (`*value`, a method
//! call through `Deref`, serializing it) while a [`record`] is running notes
//! its origin in that record. The planner records each artifact's view, so
//! the record of an artifact is exactly the set of input values it depends on.
//! That one record serves the unused-value report (a value no artifact read),
//! the `# Source:` header of every generated file, and `cfgen explain`.
//!
//! Reads outside a record (validation rules, tests) are not noted.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use crate::load::Span;
use crate::model::constraint::{Constraint, Free};

/// Identifies one loaded file of a project (see `validate::Documents`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u16);

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Origin {
    /// Written in a file, at this span.
    Input(FileId, Span),
    /// Not written: cfgen's default stood in.
    #[default]
    Default,
}

/// A value of the typed model with the place it came from. Reading it through
/// `Deref` notes the read in the running [`record`], if any.
///
/// Its schema, serialization and deserialization are those of `T`; the origin
/// is taken from the [`crate::load::NodeDeserializer`] that produced it.
///
/// `C` is a constraint beyond `T`'s own ([`crate::model::constraint`]), such
/// as `Between<1024, 65535>` for a port: deserialization checks it, and the
/// schema states it.
pub struct Tracked<T, C = Free> {
    value: T,
    origin: Origin,
    constraint: PhantomData<fn() -> C>,
}

impl<T: Clone, C> Clone for Tracked<T, C> {
    fn clone(&self) -> Self {
        Self::from_input(self.value.clone(), self.origin)
    }
}

impl<T: Copy, C> Copy for Tracked<T, C> {}

impl<T: Default, C> Default for Tracked<T, C> {
    fn default() -> Self {
        Self::default_value(T::default())
    }
}

impl<T, C> Tracked<T, C> {
    /// A value cfgen supplies (a default, or one derived from another value).
    pub const fn default_value(value: T) -> Self {
        Self::from_input(value, Origin::Default)
    }

    /// A value read from a file.
    pub const fn from_input(value: T, origin: Origin) -> Self {
        Self {
            value,
            origin,
            constraint: PhantomData,
        }
    }

    /// Where the value came from.
    pub const fn origin(&self) -> Origin {
        self.origin
    }

    /// Whether the value was written in a file (not a default).
    pub const fn is_written(&self) -> bool {
        matches!(self.origin, Origin::Input(..))
    }

    /// The value without noting a read: for validation and tests, never for
    /// code that shapes an artifact.
    pub const fn peek(&self) -> &T {
        &self.value
    }

    /// Replaces the value, keeping the origin (tests perturb values this way).
    pub fn set(&mut self, value: T) {
        self.value = value;
    }

    /// The same value and origin under another constraint: a value converted
    /// from another shape (a version-1 manifest's), which its own checks passed.
    pub fn under<D>(self) -> Tracked<T, D> {
        Tracked::from_input(self.value, self.origin)
    }

    /// The same origin around another value (a value derived from this one).
    pub fn map<U>(&self, f: impl FnOnce(&T) -> U) -> Tracked<U> {
        Tracked::from_input(f(self), self.origin)
    }
}

impl<T, C> Deref for Tracked<T, C> {
    type Target = T;

    fn deref(&self) -> &T {
        note(self.origin);
        &self.value
    }
}

impl<C> std::ops::Not for Tracked<bool, C> {
    type Output = bool;

    fn not(self) -> bool {
        !*self
    }
}

/// Parses a value cfgen supplies (a default written as text).
impl<T: std::str::FromStr, C> std::str::FromStr for Tracked<T, C> {
    type Err = T::Err;

    fn from_str(s: &str) -> Result<Self, T::Err> {
        s.parse().map(Self::default_value)
    }
}

/// A value cfgen supplies (tests and defaults build values this way).
impl<T, C> From<T> for Tracked<T, C> {
    fn from(value: T) -> Self {
        Self::default_value(value)
    }
}

impl<C> From<&str> for Tracked<String, C> {
    fn from(value: &str) -> Self {
        Self::default_value(value.to_owned())
    }
}

impl<T, V: FromIterator<T>, C> FromIterator<T> for Tracked<V, C> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self::default_value(iter.into_iter().collect())
    }
}

/// Mutable access keeps the origin and notes nothing (tests perturb values this way).
impl<T, C> std::ops::DerefMut for Tracked<T, C> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: fmt::Debug, C> fmt::Debug for Tracked<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: fmt::Display, C> fmt::Display for Tracked<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        note(self.origin);
        self.value.fmt(f)
    }
}

impl<T: PartialEq, C> PartialEq for Tracked<T, C> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq, C> Eq for Tracked<T, C> {}

impl<T: PartialOrd, C> PartialOrd for Tracked<T, C> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<T: Ord, C> Ord for Tracked<T, C> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl<T: std::hash::Hash, C> std::hash::Hash for Tracked<T, C> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<T: PartialEq, C> PartialEq<T> for Tracked<T, C> {
    fn eq(&self, other: &T) -> bool {
        note(self.origin);
        self.value == *other
    }
}

impl<T: serde::Serialize, C> serde::Serialize for Tracked<T, C> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        note(self.origin);
        self.value.serialize(s)
    }
}

impl<'de, T: serde::Deserialize<'de>, C: Constraint<T>> serde::Deserialize<'de> for Tracked<T, C> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The node deserializer announces each value's origin just before
        // handing the value out, so it is the current one here.
        let origin = CURRENT.with(|c| c.get());
        let value = T::deserialize(d)?;
        C::check(&value).map_err(serde::de::Error::custom)?;
        Ok(Self::from_input(value, origin))
    }
}

impl<T: schemars::JsonSchema, C: Constraint<T>> schemars::JsonSchema for Tracked<T, C> {
    fn inline_schema() -> bool {
        // A constrained value's schema is `T`'s with the constraint's keywords, in place.
        T::inline_schema() || !C::FREE
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        crate::model::constraint::constrained::<T, C>(generator)
    }
}

thread_local! {
    /// The origin of the value being deserialized (set by the node deserializer).
    static CURRENT: std::cell::Cell<Origin> = const { std::cell::Cell::new(Origin::Default) };
    /// The records running on this thread, innermost last.
    static RECORDS: RefCell<Vec<Vec<Origin>>> = const { RefCell::new(Vec::new()) };
}

/// Announces the origin of the value about to be deserialized.
pub(crate) fn set_current(origin: Origin) {
    CURRENT.with(|c| c.set(origin));
}

/// Notes a read of the value at `origin` that is read from the loaded tree
/// rather than through a [`Tracked`] (the values of a patch).
pub(crate) fn note_input(origin: Origin) {
    note(origin);
}

fn note(origin: Origin) {
    if let Origin::Input(..) = origin {
        RECORDS.with(|r| {
            if let Some(top) = r.borrow_mut().last_mut() {
                top.push(origin);
            }
        });
    }
}

/// The input values one computation read: sorted, without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads(Vec<(FileId, Span)>);

impl Reads {
    /// The files read, each once, in id order.
    pub fn files(&self) -> impl Iterator<Item = FileId> + '_ {
        let mut files: Vec<FileId> = self.0.iter().map(|(f, _)| *f).collect();
        files.dedup();
        files.into_iter()
    }

    /// Whether a value read covers `span` of `file` (the leaf itself, or a
    /// list or mapping read whole that holds it).
    #[must_use]
    pub fn covers(&self, file: FileId, span: Span) -> bool {
        // Spans of one file are sorted by start: only those starting at or
        // before `span` can hold it.
        let end = self
            .0
            .partition_point(|(f, s)| (*f, s.start) <= (file, span.start));
        self.0[..end]
            .iter()
            .rev()
            .take_while(|(f, _)| *f == file)
            .any(|(_, s)| s.start <= span.start && span.end <= s.end)
    }

    /// Whether nothing was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds every read of `other`.
    pub fn extend(&mut self, other: &Self) {
        self.0.extend_from_slice(&other.0);
        self.normalize();
    }

    /// Every read, in file and position order.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, Span)> + '_ {
        self.0.iter().copied()
    }

    fn normalize(&mut self) {
        self.0.sort_by_key(|(f, s)| (*f, s.start, s.end));
        self.0.dedup();
    }
}

/// Runs `f` and returns what it computed with the input values it read.
/// Records nest: what an inner record reads, the outer one read too.
pub fn record<R>(f: impl FnOnce() -> R) -> (R, Reads) {
    RECORDS.with(|r| r.borrow_mut().push(Vec::new()));
    // Pop the frame even if `f` panics, so a caught panic leaves no stale frame.
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            RECORDS.with(|r| {
                let mut stack = r.borrow_mut();
                if let Some(frame) = stack.pop()
                    && let Some(parent) = stack.last_mut()
                {
                    parent.extend_from_slice(&frame);
                }
            });
        }
    }
    let pop = Pop;
    let value = f();
    let frame = RECORDS.with(|r| r.borrow().last().cloned().unwrap_or_default());
    drop(pop);
    let mut reads = Reads(
        frame
            .into_iter()
            .filter_map(|o| match o {
                Origin::Input(f, s) => Some((f, s)),
                Origin::Default => None,
            })
            .collect(),
    );
    reads.normalize();
    (value, reads)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(file: u16, start: usize, end: usize) -> Origin {
        Origin::Input(FileId(file), Span::new(start, end))
    }

    #[test]
    fn reads_inside_a_record_are_noted_and_nest() {
        let a: Tracked<i32> = Tracked::from_input(1, at(0, 10, 11));
        let b: Tracked<i32> = Tracked::from_input(2, at(1, 0, 5));
        let c: Tracked<i32> = Tracked::default_value(3);
        let ((), outer) = record(|| {
            let _ = *a;
            let ((), inner) = record(|| {
                let _ = *b + *c;
            });
            assert_eq!(
                inner.iter().collect::<Vec<_>>(),
                [(FileId(1), Span::new(0, 5))]
            );
        });
        assert_eq!(outer.files().collect::<Vec<_>>(), [FileId(0), FileId(1)]);
        // Outside any record nothing is noted, and peeking never is.
        let ((), none) = record(|| {
            let _ = a.peek();
        });
        assert_eq!(none, Reads::default());
    }

    #[test]
    fn a_read_list_covers_its_items() {
        let list: Tracked<Vec<i32>> = Tracked::from_input(vec![1, 2], at(0, 100, 120));
        let ((), reads) = record(|| {
            let _ = list.len();
        });
        assert!(reads.covers(FileId(0), Span::new(105, 106)));
        assert!(!reads.covers(FileId(0), Span::new(90, 95)));
        assert!(!reads.covers(FileId(1), Span::new(105, 106)));
    }
}
