//! What a cache record replays: a project's diagnostics (with the text of the files they
//! point into, so excerpts render as before), its unused-value report, and the place
//! errors about its repository-root workflow point at.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use crate::diagnostics::report::Unused;
use crate::diagnostics::{Diagnostic, Related, Severity};
use crate::load::{Source, SourceFile, Span};

/// A source file, stored once per record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct StoredSource {
    path: String,
    text: String,
}

/// A place: the index of its source in the record's table, and the span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Place {
    source: usize,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct StoredRelated {
    place: Place,
    label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct StoredDiagnostic {
    error: bool,
    code: String,
    message: String,
    place: Option<Place>,
    label: String,
    help: Option<String>,
    related: Vec<StoredRelated>,
    accepted: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct StoredUnused {
    file: String,
    line: usize,
    column: usize,
    path: String,
    reason: String,
}

/// A project's replayable result.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Replay {
    sources: Vec<StoredSource>,
    /// The project's name.
    pub name: Option<String>,
    /// The output folder as shown.
    pub output: Option<String>,
    diagnostics: Vec<StoredDiagnostic>,
    unused: Vec<StoredUnused>,
    anchor: Option<Place>,
}

/// The table of sources a record is being built with.
#[derive(Default)]
struct Table {
    sources: Vec<StoredSource>,
    seen: Vec<Source>,
}

impl Table {
    fn place(&mut self, source: &Source, span: Span) -> Place {
        let index = match self.seen.iter().position(|s| Arc::ptr_eq(s, source)) {
            Some(i) => i,
            None => {
                self.seen.push(source.clone());
                self.sources.push(StoredSource {
                    path: source.path().display().to_string(),
                    text: source.text().to_owned(),
                });
                self.sources.len() - 1
            }
        };
        Place {
            source: index,
            start: span.start,
            end: span.end,
        }
    }
}

/// A `&'static str` equal to `s`: codes and reasons are static in cfgen; those read back
/// from a record are interned, so each distinct one is allocated once per process.
fn intern(s: &str) -> &'static str {
    static SEEN: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = seen.get(s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    seen.insert(leaked);
    leaked
}

impl Replay {
    /// The record of a project's diagnostics, unused values and workflow anchor.
    #[must_use]
    pub fn new(
        name: Option<String>,
        output: Option<String>,
        diagnostics: &[Diagnostic],
        unused: &[Unused],
        anchor: Option<&(Source, Span)>,
    ) -> Self {
        let mut table = Table::default();
        let diagnostics = diagnostics
            .iter()
            .map(|d| StoredDiagnostic {
                error: d.is_error(),
                code: d.code.to_owned(),
                message: d.message.clone(),
                place: d.location.as_ref().map(|(s, span)| table.place(s, *span)),
                label: d.label.clone(),
                help: d.help.clone(),
                related: d
                    .related
                    .iter()
                    .map(|r| StoredRelated {
                        place: table.place(&r.source, r.span),
                        label: r.label.clone(),
                    })
                    .collect(),
                accepted: d.accepted.clone(),
            })
            .collect();
        let unused = unused
            .iter()
            .map(|u| StoredUnused {
                file: u.file.clone(),
                line: u.line,
                column: u.column,
                path: u.path.clone(),
                reason: u.reason.to_owned(),
            })
            .collect();
        let anchor = anchor.map(|(s, span)| table.place(s, *span));
        Self {
            sources: table.sources,
            name,
            output,
            diagnostics,
            unused,
            anchor,
        }
    }

    /// The sources, diagnostics, unused values and anchor back; `None` when a place
    /// points outside its table or text (a record cfgen did not write).
    #[must_use]
    pub fn restore(&self) -> Option<Restored> {
        let sources: Vec<Source> = self
            .sources
            .iter()
            .map(|s| SourceFile::new(&s.path, s.text.clone()))
            .collect();
        let place = |p: &Place| -> Option<(Source, Span)> {
            let source = sources.get(p.source)?;
            let ok = p.start <= p.end
                && p.end <= source.text().len()
                && source.text().is_char_boundary(p.start)
                && source.text().is_char_boundary(p.end);
            ok.then(|| (source.clone(), Span::new(p.start, p.end)))
        };
        let mut diagnostics = Vec::with_capacity(self.diagnostics.len());
        for d in &self.diagnostics {
            let location = match &d.place {
                Some(p) => Some(place(p)?),
                None => None,
            };
            let mut related = Vec::with_capacity(d.related.len());
            for r in &d.related {
                let (source, span) = place(&r.place)?;
                related.push(Related {
                    source,
                    span,
                    label: r.label.clone(),
                });
            }
            diagnostics.push(Diagnostic {
                severity: if d.error {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                code: intern(&d.code),
                message: d.message.clone(),
                location,
                label: d.label.clone(),
                help: d.help.clone(),
                related,
                accepted: d.accepted.clone(),
            });
        }
        let unused = self
            .unused
            .iter()
            .map(|u| Unused {
                file: u.file.clone(),
                line: u.line,
                column: u.column,
                path: u.path.clone(),
                reason: intern(&u.reason),
            })
            .collect();
        let anchor = match &self.anchor {
            Some(p) => Some(place(p)?),
            None => None,
        };
        Some(Restored {
            diagnostics,
            unused,
            anchor,
        })
    }
}

/// A replayed result.
#[derive(Debug)]
pub struct Restored {
    /// The diagnostics, in their order.
    pub diagnostics: Vec<Diagnostic>,
    /// The unused values.
    pub unused: Vec<Unused>,
    /// Where errors about the repository-root workflow point.
    pub anchor: Option<(Source, Span)>,
}
