//! Source files as read from disk, with byte-offset ↔ line/column conversion.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A half-open byte range `start..end` into a [`SourceFile`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First byte of the range.
    pub start: usize,
    /// One past the last byte of the range.
    pub end: usize,
}

impl Span {
    /// A span covering `start..end`.
    #[must_use]
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            start,
            end: end.max(start),
        }
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no byte.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One file's text, its display path and a line index.
#[derive(Debug)]
pub struct SourceFile {
    path: PathBuf,
    text: String,
    line_starts: Vec<usize>,
}

/// Shared handle to a source file; diagnostics keep one.
pub type Source = Arc<SourceFile>;

impl SourceFile {
    /// Wraps `text` read from `path` (the path is shown to users as given).
    #[must_use]
    pub fn new(path: impl Into<PathBuf>, text: String) -> Source {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Arc::new(Self {
            path: path.into(),
            text,
            line_starts,
        })
    }

    /// The path as shown to users.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole text.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Byte offset of a 1-based line and 0-based column counted in characters,
    /// clamped to the text.
    #[must_use]
    pub fn offset_of(&self, line: usize, col_chars: usize) -> usize {
        let Some(&line_start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[line_start..];
        rest.char_indices()
            .nth(col_chars)
            .map_or(self.text.len(), |(i, _)| line_start + i)
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    #[must_use]
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let line_start = self.line_starts[line - 1];
        let col = self
            .text
            .get(line_start..offset)
            .map_or(offset - line_start, |s| s.chars().count());
        (line, col + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_round_trips_through_multibyte_text() {
        let src = SourceFile::new("x.yaml", "a: 1\n# 注释\nb: \"é\"\n".to_owned());
        let off = src.offset_of(3, 4);
        assert_eq!(&src.text()[off..off + 2], "é");
        assert_eq!(src.line_col(off), (3, 5));
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(src.text().len()), (4, 1));
    }
}
