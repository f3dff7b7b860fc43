//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning reads it
//! (`github/codeql-action/upload-sarif`). One run; one rule per diagnostic
//! code; columns counted in Unicode code points (`columnKind`), as every
//! other format counts them; accepted warnings carry a suppression whose
//! justification is the reason given in `cfgen.yaml`.

use serde_json::{Value, json};

use super::Diagnostic;
use super::report::RunReport;

/// A path as a relative URI reference: forward slashes, no `./`, and
/// every byte outside the unreserved set and `/` percent-encoded.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut path = path.as_str();
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(source: &crate::load::Source, span: crate::load::Span) -> Value {
    let (line, column) = source.line_col(span.start);
    let (end_line, end_column) = source.line_col(span.end);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&source.path().display().to_string()) },
            "region": {
                "startLine": line,
                "startColumn": column,
                "endLine": end_line,
                "endColumn": end_column,
            }
        }
    })
}

fn result(d: &Diagnostic, rule_index: usize) -> Value {
    let mut text = d.message.clone();
    if !d.label.is_empty() {
        text.push_str(&format!(" ({})", d.label));
    }
    if let Some(help) = &d.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    let mut item = json!({
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": if d.is_error() { "error" } else { "warning" },
        "message": { "text": text },
    });
    if let Some((source, span)) = &d.location {
        item["locations"] = json!([location(source, *span)]);
    }
    if !d.related.is_empty() {
        item["relatedLocations"] = d
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut l = location(&r.source, r.span);
                l["id"] = i.into();
                l["message"] = json!({ "text": r.label });
                l
            })
            .collect();
    }
    if let Some(reason) = &d.accepted {
        item["suppressions"] = json!([{ "kind": "inSource", "justification": reason }]);
    }
    item
}

/// The SARIF log of a run (diagnostics already masked).
#[must_use]
pub fn document(report: &RunReport) -> String {
    let mut codes: Vec<&'static str> = report.all_diagnostics().map(|d| d.code).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(
            |c| json!({ "id": c, "name": c, "shortDescription": { "text": format!("cfgen {c}") } }),
        )
        .collect();
    let results: Vec<Value> = report
        .all_diagnostics()
        .map(|d| result(d, codes.binary_search(&d.code).unwrap_or(0)))
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cfgen",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": report.exit_code != crate::cli::EXIT_USAGE,
                "exitCode": report.exit_code,
            }],
            "results": results,
        }]
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
