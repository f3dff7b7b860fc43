//! Stage 2: load. Reads each file once into a [`Node`] tree that keeps the byte
//! span of every value and key, the index every later stage uses to point at
//! the source.

mod de;
pub mod fast;
pub mod layer;
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
        /// Its size in bytes (at least this: a growing file is read only up to the cap).
        size: u64,
    },
    /// Not a regular file (a FIFO, a device, a folder); it is not read.
    NotRegular {
        /// What it is, in words: "a FIFO".
        found: &'static str,
    },
    /// A symbolic link that leads out of the project; it is not read.
    LinkOutside,
}

/// A loaded file: its source and its tree. Recoverable errors (duplicate keys)
/// are reported alongside.
#[derive(Debug, Clone)]
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
///
/// The file is read only when it is a regular file (never blocking on a
/// FIFO, never reading a device), at most [`MAX_FILE_BYTES`] of it; and when
/// `root` is given, only when it resolves inside `root` (a link is followed
/// only when it stays in the project).
pub fn load_file(
    root: Option<&Path>,
    path: &Path,
) -> Result<(Document, Vec<LoadError>), ReadError> {
    let refuse = |kind: LoadErrorKind| {
        ReadError::Load(
            SourceFile::new(path, String::new()),
            vec![LoadError::new(kind, Span::new(0, 0))],
        )
    };
    let bytes = match read_regular(root, path) {
        Ok(bytes) => bytes,
        Err(Refused::Io(e)) => return Err(ReadError::Io(e)),
        Err(Refused::Kind(kind)) => return Err(refuse(kind)),
    };
    load_bytes(path, bytes)
}

/// Why [`read_regular`] returned no bytes.
#[derive(Debug)]
pub enum Refused {
    /// The file could not be read (missing, permissions…).
    Io(std::io::Error),
    /// The file is refused for what it is.
    Kind(LoadErrorKind),
}

/// The bytes of the regular file at `path`, read without blocking and at
/// most [`MAX_FILE_BYTES`] of them; with `root`, only when `path` resolves
/// inside it (its canonical form; links inside the project are followed).
///
/// # Errors
/// When the file is missing or unreadable, is not a regular file, leads out
/// of `root`, or is larger than the cap.
pub fn read_regular(root: Option<&Path>, path: &Path) -> Result<Vec<u8>, Refused> {
    use rustix::fs::{FileType, Mode, OFlags};
    use std::io::Read as _;
    let mut target = path.to_path_buf();
    if let Some(root) = root {
        // A link, or a folder on the way that is one, is followed only when
        // the file it names lies inside the project.
        let real = std::fs::canonicalize(path).map_err(Refused::Io)?;
        let root = std::fs::canonicalize(root).map_err(Refused::Io)?;
        if !real.starts_with(&root) {
            return Err(Refused::Kind(LoadErrorKind::LinkOutside));
        }
        target = real;
    }
    // Look before opening: opening a device can act on it.
    let before = std::fs::metadata(&target).map_err(Refused::Io)?;
    if !before.is_file() {
        return Err(Refused::Kind(LoadErrorKind::NotRegular {
            found: kind_words(FileType::from_raw_mode(
                std::os::unix::fs::MetadataExt::mode(&before),
            )),
        }));
    }
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd = rustix::fs::open(&target, flags, Mode::empty()).map_err(|e| Refused::Io(e.into()))?;
    let st = rustix::fs::fstat(&fd).map_err(|e| Refused::Io(e.into()))?;
    let file_type = FileType::from_raw_mode(st.st_mode);
    if file_type != FileType::RegularFile {
        return Err(Refused::Kind(LoadErrorKind::NotRegular {
            found: kind_words(file_type),
        }));
    }
    let size = u64::try_from(st.st_size).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        return Err(Refused::Kind(LoadErrorKind::TooLarge { size }));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    std::fs::File::from(fd)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Refused::Kind(LoadErrorKind::TooLarge {
            size: bytes.len() as u64,
        }));
    }
    Ok(bytes)
}

fn kind_words(file_type: rustix::fs::FileType) -> &'static str {
    use rustix::fs::FileType;
    match file_type {
        FileType::Fifo => "a FIFO",
        FileType::Directory => "a folder",
        FileType::CharacterDevice | FileType::BlockDevice => "a device",
        FileType::Socket => "a socket",
        FileType::Symlink => "a symbolic link",
        _ => "not a regular file",
    }
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
