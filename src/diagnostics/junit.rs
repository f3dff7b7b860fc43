//! `--format junit`: JUnit XML, for CI systems that show test reports. Each
//! project is a test suite with a `validate` test case (failing with the
//! project's errors) and, for `build`/`diff`, an `output` test case (failing
//! when a checked build finds stale files); warnings go to `system-out`. The
//! run's own errors (usage, I/O) are the `cfgen` suite.

use std::fmt::Write as _;

use super::Diagnostic;
use super::report::RunReport;

/// `text` escaped for XML text and attribute values (control characters dropped).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One line per diagnostic: `file:line:col: severity code: message`.
fn lines<'a>(diagnostics: impl Iterator<Item = &'a Diagnostic>) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let place = d
            .position()
            .map(|(f, l, c)| format!("{f}:{l}:{c}: "))
            .unwrap_or_default();
        let word = if d.is_error() { "error" } else { "warning" };
        let _ = writeln!(out, "{place}{word} {}: {}", d.code, d.message);
    }
    out
}

struct Case {
    name: &'static str,
    failures: Vec<Diagnostic>,
}

fn suite(out: &mut String, name: &str, cases: &[Case], warnings: &[&Diagnostic]) {
    let failures = cases.iter().filter(|c| !c.failures.is_empty()).count();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
        escape(name),
        cases.len()
    );
    for case in cases {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(name),
            case.name
        );
        if case.failures.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        let first = &case.failures[0];
        let _ = writeln!(
            out,
            ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
            escape(first.code),
            escape(&crate::messages::junit_failure(
                case.failures.len(),
                &first.message
            )),
            escape(&lines(case.failures.iter()))
        );
    }
    if !warnings.is_empty() {
        let _ = writeln!(
            out,
            "    <system-out>{}</system-out>",
            escape(&lines(warnings.iter().copied()))
        );
    }
    out.push_str("  </testsuite>\n");
}

/// The JUnit XML of a run (diagnostics already masked).
#[must_use]
pub fn document(report: &RunReport) -> String {
    let mut body = String::new();
    let mut tests = 0;
    let mut failed = 0;
    let errors = |ds: &[Diagnostic], output: bool| -> Vec<Diagnostic> {
        ds.iter()
            .filter(|d| d.is_error() && (d.code.starts_with("emit::") == output))
            .cloned()
            .collect()
    };
    if !report.diagnostics.is_empty() {
        let cases = [Case {
            name: "run",
            failures: errors(&report.diagnostics, false)
                .into_iter()
                .chain(errors(&report.diagnostics, true))
                .collect(),
        }];
        let warnings: Vec<&Diagnostic> = report
            .diagnostics
            .iter()
            .filter(|d| d.is_warning())
            .collect();
        tests += 1;
        failed += usize::from(!cases[0].failures.is_empty());
        suite(&mut body, "cfgen", &cases, &warnings);
    }
    for p in &report.projects {
        let mut cases = vec![Case {
            name: "validate",
            failures: errors(&p.diagnostics, false),
        }];
        if p.files.is_some() || p.diagnostics.iter().any(|d| d.code.starts_with("emit::")) {
            cases.push(Case {
                name: "output",
                failures: errors(&p.diagnostics, true),
            });
        }
        let warnings: Vec<&Diagnostic> = p.diagnostics.iter().filter(|d| d.is_warning()).collect();
        tests += cases.len();
        failed += cases.iter().filter(|c| !c.failures.is_empty()).count();
        suite(&mut body, &p.path, &cases, &warnings);
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cfgen {}\" tests=\"{tests}\" failures=\"{failed}\" errors=\"0\">\n{body}</testsuites>\n",
        report.command
    )
}
