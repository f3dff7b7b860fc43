//! One place for diagnostics: the [`Diagnostic`] type every stage produces, and
//! its renderings (`human` via miette, `github` annotations, and the documents
//! of a whole run: [`json`], [`sarif`], [`junit`]).
//! The wording of messages lives in [`crate::messages`].

pub mod json;
pub mod junit;
pub mod mask;
mod render;
pub mod report;
pub mod sarif;

use crate::load::{Source, Span};

pub(crate) use render::masked;
pub use render::{Format, MAX_SHOWN_PER_FILE, render_all, render_human};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The project is invalid; nothing is generated.
    Error,
    /// Worth fixing; generation goes on.
    Warning,
}

/// A second place a diagnostic points at.
#[derive(Debug, Clone)]
pub struct Related {
    /// The file.
    pub source: Source,
    /// Where in it.
    pub span: Span,
    /// What is there.
    pub label: String,
}

/// A located problem in a project's files.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable identifier, e.g. `schema::unknown-key`, `rule::rpo`.
    pub code: &'static str,
    /// One line saying what is wrong.
    pub message: String,
    /// The file and place, when there is one.
    pub location: Option<(Source, Span)>,
    /// Text under the source marker: what was expected there.
    pub label: String,
    /// How to fix it, when we can say.
    pub help: Option<String>,
    /// Other places involved.
    pub related: Vec<Related>,
    /// For a warning the project accepts in `cfgen.yaml`: the reason given there.
    pub accepted: Option<String>,
}

impl Diagnostic {
    /// An error at a place.
    #[must_use]
    pub fn error(
        code: &'static str,
        message: impl Into<String>,
        source: &Source,
        span: Span,
    ) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: Some((source.clone(), span)),
            label: String::new(),
            help: None,
            related: Vec::new(),
            accepted: None,
        }
    }

    /// A warning at a place.
    #[must_use]
    pub fn warning(
        code: &'static str,
        message: impl Into<String>,
        source: &Source,
        span: Span,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message, source, span)
        }
    }

    /// An error with no place in a file (a missing path, an I/O failure).
    #[must_use]
    pub fn unlocated(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: None,
            label: String::new(),
            help: None,
            related: Vec::new(),
            accepted: None,
        }
    }

    /// Sets the label.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sets the help.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the help if there is one.
    #[must_use]
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Adds a related place.
    #[must_use]
    pub fn with_related(mut self, source: &Source, span: Span, label: impl Into<String>) -> Self {
        self.related.push(Related {
            source: source.clone(),
            span,
            label: label.into(),
        });
        self
    }

    /// Whether this is an error.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Whether this is a warning the project has not accepted.
    #[must_use]
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning && self.accepted.is_none()
    }

    /// Whether this is a warning the project accepts.
    #[must_use]
    pub fn is_accepted(&self) -> bool {
        self.accepted.is_some()
    }

    /// A warning made an error by `--deny-warnings` (an accepted one stays as it is).
    #[must_use]
    pub fn denied(mut self) -> Self {
        if self.is_warning() {
            self.severity = Severity::Error;
            let note = crate::messages::DENIED_WARNING;
            self.help = Some(match self.help {
                Some(h) => format!("{h}\n{note}"),
                None => note.to_owned(),
            });
        }
        self
    }

    /// `(path, line, column)` of the primary location, 1-based.
    #[must_use]
    pub fn position(&self) -> Option<(String, usize, usize)> {
        self.location.as_ref().map(|(source, span)| {
            let (line, col) = source.line_col(span.start);
            (source.path().display().to_string(), line, col)
        })
    }

    /// Sort key: file, then position, then code, so output is stable.
    #[must_use]
    pub fn sort_key(&self) -> (String, usize, &'static str, String) {
        match &self.location {
            Some((source, span)) => (
                source.path().display().to_string(),
                span.start,
                self.code,
                self.message.clone(),
            ),
            None => (String::new(), 0, self.code, self.message.clone()),
        }
    }
}

/// The candidate closest to `wrong`, if one is close enough to suggest.
#[must_use]
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let wrong = wrong.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&wrong, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_owned())
}
