//! Stage 2: load. Reads each file once into a [`Node`] tree that keeps the byte
//! span of every value and key, the index every later stage uses to point at
//! the source.

mod de;
mod parse;
mod scalar;
mod source;
mod tree;

use std::path::Path;

pub use de::{DeError, NodeDeserializer};
pub use parse::{MAX_ALIAS_NODES, MAX_DEPTH, MAX_NODES};
pub use source::{Source, SourceFile, Span};
pub use tree::{Entry, Node, NodeKind, PathSegment, display_path, parse_pointer};

/// Largest config file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A file that could not be read or parsed, with the place it went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    /// What went wrong.
    pub kind: LoadErrorKind,
    /// Where.
    pub span: Span,
}

impl LoadError {
    fn new(kind: LoadErrorKind, span: Span) -> Self {
        Self { kind, span }
    }
}

/// The ways loading a file can fail.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadErrorKind {
    /// The YAML parser's own message.
    Syntax(String),
    /// A key given twice in one mapping; `first` is the earlier one.
    DuplicateKey {
        /// The key.
        key: String,
        /// Where it was first given.
        first: Span,
    },
    /// A tab where YAML allows only spaces (indentation).
    Tab,
    /// A quoted string that is never closed.
    UnclosedQuote,
    /// A list or mapping used as a key.
    ComplexKey,
    /// An explicit tag (`!!str`, `!include`); config files use none.
    Tag(String),
    /// Aliases copy more nodes than [`MAX_ALIAS_NODES`].
    AliasExpansion {
        /// The budget.
        limit: usize,
    },
    /// More nodes than [`MAX_NODES`], aliases included.
    TooManyNodes {
        /// The budget.
        limit: usize,
    },
    /// Nesting deeper than the limit.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// More than one `---` document.
    MultipleDocuments,
    /// The bytes are not UTF-8; holds the first offending byte.
    NotUtf8(u8),
    /// The file is larger than [`MAX_FILE_BYTES`].
    TooLarge {
        /// Its size in bytes.
        size: u64,
    },
}

/// A loaded file: its source and its tree. Recoverable errors (duplicate keys)
/// are reported alongside.
#[derive(Debug)]
pub struct Document {
    /// The file.
    pub source: Source,
    /// Its content.
    pub root: Node,
}

/// Why a file yielded no document.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be read at all (missing, permissions…).
    Io(std::io::Error),
    /// The file was read but is not a usable YAML document.
    Load(Source, Vec<LoadError>),
}

/// Reads and parses one file. Duplicate keys are returned as errors with the
/// tree, because a tree that silently dropped a value would mislead.
pub fn load_file(path: &Path) -> Result<(Document, Vec<LoadError>), ReadError> {
    let size = std::fs::metadata(path).map_err(ReadError::Io)?.len();
    if size > MAX_FILE_BYTES {
        let source = SourceFile::new(path, String::new());
        return Err(ReadError::Load(
            source,
            vec![LoadError::new(
                LoadErrorKind::TooLarge { size },
                Span::new(0, 0),
            )],
        ));
    }
    let bytes = std::fs::read(path).map_err(ReadError::Io)?;
    load_bytes(path, bytes)
}

/// Parses bytes already read from `path`.
pub fn load_bytes(path: &Path, bytes: Vec<u8>) -> Result<(Document, Vec<LoadError>), ReadError> {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let byte = e.as_bytes()[at];
            let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // Offsets in the lossy text: the valid prefix is unchanged, and
            // the bad byte became one U+FFFD replacement character.
            let source = SourceFile::new(path, shown);
            return Err(ReadError::Load(
                source,
                vec![LoadError::new(
                    LoadErrorKind::NotUtf8(byte),
                    Span::new(at, at + char::REPLACEMENT_CHARACTER.len_utf8()),
                )],
            ));
        }
    };
    // A byte order mark is invisible in editors; drop it so that columns match theirs.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    let source = SourceFile::new(path, text);
    match parse::parse(&source) {
        Ok((root, errors)) => Ok((Document { source, root }, errors)),
        Err(errors) => Err(ReadError::Load(source, errors)),
    }
}
