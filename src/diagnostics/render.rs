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
    /// SARIF 2.1.0, for GitHub code scanning and other static-analysis viewers.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
}

impl Format {
    /// Whether the format is one document on stdout (JSON, SARIF, JUnit).
    #[must_use]
    pub fn is_document(self) -> bool {
        matches!(self, Self::Json | Self::Sarif | Self::Junit)
    }
}

/// Diagnostics shown per file by `human` and `github`; the rest are counted
/// in one line (`json` lists every one).
pub const MAX_SHOWN_PER_FILE: usize = 10;

/// Renders all diagnostics in `format`. `color` and `width` apply to `human`.
/// Secrets are masked in every format ([`super::mask`]); `human` and `github`
/// show at most [`MAX_SHOWN_PER_FILE`] per file and leave out the warnings a
/// project accepts. Time is linear in the number of diagnostics and the size
/// of their files. The document formats hold these diagnostics alone (a
/// command's full document is [`super::report::RunReport`]'s).
#[must_use]
pub fn render_all(diagnostics: &[Diagnostic], format: Format, color: bool, width: usize) -> String {
    let masked = masked(diagnostics);
    let report = |masked: Vec<Diagnostic>| super::report::RunReport {
        diagnostics: masked,
        ..Default::default()
    };
    let shown: Vec<Diagnostic> = masked
        .iter()
        .filter(|d| !d.is_accepted())
        .cloned()
        .collect();
    match format {
        Format::Human => capped(
            &shown,
            |d| render_one(d, color, width),
            |n, file| format!("{}\n\n", crate::messages::more_in_file(n, file)),
        ),
        Format::Json => super::json::document(&report(masked)),
        Format::Sarif => super::sarif::document(&report(masked)),
        Format::Junit => super::junit::document(&report(masked)),
        Format::Github => capped(&shown, render_github, |n, file| {
            format!(
                "::notice file={}::{}\n",
                github_escape(file, true),
                github_escape(&crate::messages::more_in_file(n, file), false)
            )
        }),
    }
}

/// The file of a diagnostic, for the per-file cap ("" when it has none).
fn file_of(d: &Diagnostic) -> String {
    d.location
        .as_ref()
        .map(|(s, _)| s.path().display().to_string())
        .unwrap_or_default()
}

/// Renders each diagnostic with `one`, at most [`MAX_SHOWN_PER_FILE`] per
/// file; after the last one shown of a file with more, `more(hidden, file)`.
fn capped(
    diagnostics: &[Diagnostic],
    one: impl Fn(&Diagnostic) -> String,
    more: impl Fn(usize, &str) -> String,
) -> String {
    let mut total: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for d in diagnostics {
        *total.entry(file_of(d)).or_default() += 1;
    }
    let mut shown: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out = String::new();
    for d in diagnostics {
        let file = file_of(d);
        let count = shown.entry(file.clone()).or_default();
        if file.is_empty() || *count < MAX_SHOWN_PER_FILE {
            *count += 1;
            out.push_str(&one(d));
            let all = total[&file];
            if !file.is_empty() && *count == MAX_SHOWN_PER_FILE && all > MAX_SHOWN_PER_FILE {
                out.push_str(&more(all - MAX_SHOWN_PER_FILE, &file));
            }
        }
    }
    out
}

/// The diagnostics with secrets masked: each file's masked text computed
/// once, shared by all its diagnostics; secrets quoted in a message, label
/// or help near the diagnostic's place replaced too.
pub(crate) fn masked(diagnostics: &[Diagnostic]) -> Vec<Diagnostic> {
    use std::collections::HashMap;
    use std::ops::Range;
    type Masked = (crate::load::Source, Vec<Range<usize>>);
    let mut cache: HashMap<*const SourceFile, Masked> = HashMap::new();
    let mut mask = |source: &crate::load::Source| -> Masked {
        cache
            .entry(std::sync::Arc::as_ptr(source))
            .or_insert_with(|| {
                let ranges = super::mask::secret_ranges(source.text());
                if ranges.is_empty() {
                    (source.clone(), ranges)
                } else {
                    let text = super::mask::apply(source.text(), &ranges);
                    (SourceFile::new(source.path(), text), ranges)
                }
            })
            .clone()
    };
    // The ranges on the lines of `span`, for scrubbing the words.
    let near = |source: &SourceFile, ranges: &[Range<usize>], span: crate::load::Span| {
        let text = source.text();
        let from = text[..span.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let to = text[span.end.min(text.len())..]
            .find('\n')
            .map_or(text.len(), |i| span.end + i);
        let first = ranges.partition_point(|r| r.end <= from);
        ranges[first..]
            .iter()
            .take_while(|r| r.start <= to)
            .cloned()
            .collect::<Vec<_>>()
    };
    diagnostics
        .iter()
        .map(|d| {
            let mut d = d.clone();
            let mut secrets: Vec<(crate::load::Source, Vec<Range<usize>>)> = Vec::new();
            if let Some((source, span)) = &mut d.location {
                let (shown, ranges) = mask(source);
                if !ranges.is_empty() {
                    secrets.push((source.clone(), near(source, &ranges, *span)));
                    *source = shown;
                }
            }
            for r in &mut d.related {
                let (shown, ranges) = mask(&r.source);
                if !ranges.is_empty() {
                    let near = near(&r.source, &ranges, r.span);
                    r.label = super::mask::scrub(&r.label, r.source.text(), &near);
                    secrets.push((r.source.clone(), near));
                    r.source = shown;
                }
            }
            for (original, ranges) in &secrets {
                let text = original.text();
                d.message = super::mask::scrub(&d.message, text, ranges);
                d.label = super::mask::scrub(&d.label, text, ranges);
                d.help = d.help.map(|h| super::mask::scrub(&h, text, ranges));
            }
            d
        })
        .collect()
}

/// One diagnostic as miette draws it, with secrets masked.
#[must_use]
pub fn render_human(diagnostic: &Diagnostic, color: bool, width: usize) -> String {
    let masked = masked(std::slice::from_ref(diagnostic));
    render_one(&masked[0], color, width)
}

/// One diagnostic (already masked) as miette draws it.
fn render_one(diagnostic: &Diagnostic, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // miette wraps at any break opportunity, splitting `config/deployment/…`
    // paths at `/`; cfgen wraps message and help itself, at spaces only.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_wrap_lines(false)
        .with_links(false)
        .without_syntax_highlighting()
        .with_context_lines(CONTEXT_LINES);
    let mut out = String::new();
    let view = View::primary(diagnostic, width);
    if handler.render_report(&mut out, &view).is_err() {
        let _ = writeln!(out, "{}: {}", view.severity_word(), diagnostic.message);
    }
    // Places in other files, or far away in the same file, follow as their
    // own excerpts, so the first location shown is always the primary one.
    for other in &view.others {
        let mut part = String::new();
        if handler.render_report(&mut part, other).is_ok() {
            out.push_str(part.strip_prefix('\n').unwrap_or(&part));
        }
    }
    out.push('\n');
    out
}

/// Lines of context around each excerpt.
const CONTEXT_LINES: usize = 1;

/// Display width of a character: two columns for CJK and other wide characters.
fn char_width(c: char) -> usize {
    let wide = matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

/// Splits at spaces, except inside backticks: `< 10/hour` stays whole.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_code = false;
    for (i, c) in text.char_indices() {
        match c {
            '`' => in_code = !in_code,
            ' ' if !in_code => {
                if i > start {
                    out.push(&text[start..i]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Wraps `text` at spaces into lines of at most `width` columns (a longer
/// word stays whole on its own line).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for (i, paragraph) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut line_width = 0;
        for word in words(paragraph) {
            let w: usize = word.chars().map(char_width).sum();
            if line_width > 0 && line_width + 1 + w > width {
                out.push('\n');
                line_width = 0;
            } else if line_width > 0 {
                out.push(' ');
                line_width += 1;
            }
            out.push_str(word);
            line_width += w;
        }
    }
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

/// Adapts a [`Diagnostic`] (or one of its related places) to miette.
struct View<'a> {
    diagnostic: &'a Diagnostic,
    /// Related places shown as their own excerpts after this one.
    others: Vec<View<'a>>,
    /// Related places close enough to share the primary excerpt.
    nearby: Vec<&'a super::Related>,
    /// `Some` for a related view: its file, span and label.
    related: Option<&'a super::Related>,
    /// The message and help, wrapped to the width.
    message: String,
    help: Option<String>,
}

impl<'a> View<'a> {
    fn primary(diagnostic: &'a Diagnostic, width: usize) -> Self {
        let primary = diagnostic.location.as_ref();
        // A related place shares the primary excerpt when it is in the same
        // file and within reach of its context lines; otherwise it gets its own.
        let near = |r: &super::Related| {
            primary.is_some_and(|(source, span)| {
                let (line, _) = source.line_col(span.start);
                let (other, _) = r.source.line_col(r.span.start);
                r.source.path() == source.path() && line.abs_diff(other) <= 2 * CONTEXT_LINES + 1
            })
        };
        let (nearby, far): (Vec<_>, Vec<_>) = diagnostic.related.iter().partition(|r| near(r));
        let others = far
            .into_iter()
            .map(|r| View {
                diagnostic,
                others: Vec::new(),
                nearby: Vec::new(),
                related: Some(r),
                message: "see also".into(),
                help: None,
            })
            .collect();
        Self {
            diagnostic,
            others,
            nearby,
            related: None,
            message: wrap(&diagnostic.message, width.saturating_sub(4).max(20)),
            help: diagnostic
                .help
                .as_ref()
                .map(|h| wrap(h, width.saturating_sub(8).max(20))),
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
        f.write_str(&self.message)
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
        self.help
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
        let (_, span) = self.diagnostic.location.as_ref()?;
        let label = (!self.diagnostic.label.is_empty()).then(|| self.diagnostic.label.clone());
        let primary = LabeledSpan::new_primary_with_span(label, to_span(*span));
        let nearby = self
            .nearby
            .iter()
            .map(|r| LabeledSpan::new_with_span(Some(r.label.clone()), to_span(r.span)));
        Some(Box::new(std::iter::once(primary).chain(nearby)))
    }
}

impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        if let Some(window) = self.long_line_window(span) {
            return Ok(Box::new(window));
        }
        // miette's reader for `str` scans from the start of the text for every
        // excerpt (quadratic in a file with thousands of diagnostics); give it
        // only the lines around the span, then shift its answer back.
        let text = self.text();
        let start = span.offset().min(text.len());
        let end = (start + span.len()).min(text.len());
        let (first_line, _) = self.line_col(start);
        let (last_line, _) = self.line_col(end.saturating_sub(1).max(start));
        let from_line = first_line.saturating_sub(context_lines_before + 1);
        let from = self.offset_of(from_line + 1, 0);
        let to = self.offset_of(last_line + context_lines_after + 2, 0);
        let window = &text[from..to];
        let shifted = SourceSpan::new((start - from).into(), end - start);
        let inner = window.read_span(&shifted, context_lines_before, context_lines_after)?;
        let lines_before = from_line;
        // miette counts the column of its `[file:line:col]` header in bytes;
        // cfgen's columns are characters in every format, as editors count them.
        let column = if context_lines_before == 0 {
            self.line_col(start).1 - 1
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.path().display().to_string(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + from).into(), inner.span().len()),
            inner.line() + lines_before,
            column,
            inner.line_count() + lines_before,
        )))
    }
}

/// Longest line shown whole; a longer one is cut to a window around the label.
const MAX_LINE_CHARS: usize = 160;
/// Characters kept on each side of the label in a cut line.
const WINDOW_MARGIN: usize = 40;

impl SourceFile {
    /// When the span sits on one line longer than [`MAX_LINE_CHARS`] (or its
    /// context has one), the excerpt is that line cut to a window around the span,
    /// without context lines, so that a 20,000-character line prints as 100.
    fn long_line_window(&self, span: &SourceSpan) -> Option<MietteSpanContents<'_>> {
        let text = self.text();
        let start = span.offset().min(text.len());
        let end = (start + span.len()).min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        if end > line_end {
            return None;
        }
        let long = |from: usize, to: usize| text[from..to].chars().count() > MAX_LINE_CHARS;
        let prev_start = text[..line_start.saturating_sub(1)]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let next_end = text[(line_end + 1).min(text.len())..]
            .find('\n')
            .map_or(text.len(), |i| line_end + 1 + i);
        let neighbour_long = (line_start > 0 && long(prev_start, line_start - 1))
            || (line_end < text.len() && long((line_end + 1).min(text.len()), next_end));
        if !long(line_start, line_end) && !neighbour_long {
            return None;
        }
        let before: usize = text[line_start..start]
            .char_indices()
            .rev()
            .nth(WINDOW_MARGIN - 1)
            .map_or(line_start, |(i, _)| line_start + i);
        let after: usize = text[end..line_end]
            .char_indices()
            .nth(WINDOW_MARGIN)
            .map_or(line_end, |(i, _)| end + i);
        let (line, column) = self.line_col(start);
        Some(MietteSpanContents::new_named(
            self.path().display().to_string(),
            &text.as_bytes()[before..after],
            SourceSpan::new(before.into(), after - before),
            line - 1,
            column - 1,
            1,
        ))
    }
}
