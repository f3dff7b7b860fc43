//! Rendering diagnostics for people (miette), for tools (JSON) and for GitHub Actions.

use std::fmt::{self, Write as _};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::{Diagnostic, Severity};
use crate::load::SourceFile;

/// Output format of diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source excerpts with labels, for people.
    Human,
    /// One JSON document, for tools.
    Json,
    /// GitHub Actions workflow commands (`::error file=…`), for annotations on pull requests.
    Github,
}

/// Renders all diagnostics in `format`. `color` and `width` apply to `human`.
#[must_use]
pub fn render_all(diagnostics: &[Diagnostic], format: Format, color: bool, width: usize) -> String {
    match format {
        Format::Human => diagnostics
            .iter()
            .map(|d| render_human(d, color, width))
            .collect(),
        Format::Json => render_json(diagnostics),
        Format::Github => diagnostics.iter().map(render_github).collect(),
    }
}

/// One diagnostic as miette draws it.
#[must_use]
pub fn render_human(diagnostic: &Diagnostic, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .without_syntax_highlighting()
        .with_context_lines(1);
    let mut out = String::new();
    let view = View::primary(diagnostic);
    if handler.render_report(&mut out, &view).is_err() {
        let _ = writeln!(out, "{}: {}", view.severity_word(), diagnostic.message);
    }
    out.push('\n');
    out
}

fn render_json(diagnostics: &[Diagnostic]) -> String {
    let items: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let mut item = serde_json::json!({
                "severity": d.severity,
                "code": d.code,
                "message": d.message,
            });
            if let Some((source, span)) = &d.location {
                let (line, column) = source.line_col(span.start);
                let (end_line, end_column) = source.line_col(span.end);
                item["file"] = source.path().display().to_string().into();
                item["line"] = line.into();
                item["column"] = column.into();
                item["end_line"] = end_line.into();
                item["end_column"] = end_column.into();
            }
            if !d.label.is_empty() {
                item["label"] = d.label.clone().into();
            }
            if let Some(help) = &d.help {
                item["help"] = help.clone().into();
            }
            if !d.related.is_empty() {
                item["related"] = d
                    .related
                    .iter()
                    .map(|r| {
                        let (line, column) = r.source.line_col(r.span.start);
                        serde_json::json!({
                            "file": r.source.path().display().to_string(),
                            "line": line,
                            "column": column,
                            "label": r.label,
                        })
                    })
                    .collect();
            }
            item
        })
        .collect();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let doc = serde_json::json!({
        "errors": errors,
        "warnings": diagnostics.len() - errors,
        "diagnostics": items,
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

fn github_escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

fn render_github(d: &Diagnostic) -> String {
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = Vec::new();
    if let Some((source, span)) = &d.location {
        let (line, col) = source.line_col(span.start);
        let (end_line, end_col) = source.line_col(span.end);
        props.push(format!(
            "file={}",
            github_escape(&source.path().display().to_string(), true)
        ));
        props.push(format!("line={line}"));
        props.push(format!("col={col}"));
        props.push(format!("endLine={end_line}"));
        props.push(format!("endColumn={end_col}"));
    }
    props.push(format!(
        "title={}",
        github_escape(&format!("cfgen {}", d.code), true)
    ));
    let mut message = d.message.clone();
    if !d.label.is_empty() {
        message.push('\n');
        message.push_str(&d.label);
    }
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{command} {}::{}\n",
        props.join(","),
        github_escape(&message, false)
    )
}

/// Adapts a [`Diagnostic`] (or one of its related places in another file) to miette.
struct View<'a> {
    diagnostic: &'a Diagnostic,
    /// Related places in other files, shown as their own reports.
    others: Vec<View<'a>>,
    /// `Some` for a related view: its file, span and label.
    related: Option<&'a super::Related>,
}

impl<'a> View<'a> {
    fn primary(diagnostic: &'a Diagnostic) -> Self {
        let own_file = diagnostic.location.as_ref().map(|(s, _)| s.path());
        let others = diagnostic
            .related
            .iter()
            .filter(|r| Some(r.source.path()) != own_file)
            .map(|r| View {
                diagnostic,
                others: Vec::new(),
                related: Some(r),
            })
            .collect();
        Self {
            diagnostic,
            others,
            related: None,
        }
    }

    fn severity_word(&self) -> &'static str {
        match self.diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

fn to_span(span: crate::load::Span) -> SourceSpan {
    SourceSpan::new(span.start.into(), span.len())
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.related {
            Some(r) => write!(f, "related: {}", r.source.path().display()),
            None => f.write_str(&self.diagnostic.message),
        }
    }
}

impl std::error::Error for View<'_> {}

impl miette::Diagnostic for View<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.related
            .is_none()
            .then(|| Box::new(format!("cfgen::{}", self.diagnostic.code)) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match (self.related, self.diagnostic.severity) {
            (Some(_), _) => miette::Severity::Advice,
            (None, Severity::Error) => miette::Severity::Error,
            (None, Severity::Warning) => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.related.is_some() {
            return None;
        }
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match self.related {
            Some(r) => Some(&*r.source as &dyn SourceCode),
            None => self
                .diagnostic
                .location
                .as_ref()
                .map(|(s, _)| &**s as &dyn SourceCode),
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if let Some(r) = self.related {
            return Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
                Some(r.label.clone()),
                to_span(r.span),
            ))));
        }
        let (source, span) = self.diagnostic.location.as_ref()?;
        let label = (!self.diagnostic.label.is_empty()).then(|| self.diagnostic.label.clone());
        let primary = LabeledSpan::new_primary_with_span(label, to_span(*span));
        let same_file = self
            .diagnostic
            .related
            .iter()
            .filter(|r| r.source.path() == source.path())
            .map(|r| LabeledSpan::new_with_span(Some(r.label.clone()), to_span(r.span)));
        Some(Box::new(std::iter::once(primary).chain(same_file)))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.others.is_empty() {
            return None;
        }
        Some(Box::new(
            self.others.iter().map(|o| o as &dyn miette::Diagnostic),
        ))
    }
}

impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text()
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.path().display().to_string(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}
