//! The planner's record of what each artifact read tells the truth about the
//! example: every value it calls used changes some generated file when the
//! value changes, and every value no artifact read changes none.

use std::collections::BTreeMap;
use std::path::Path;

use cfgen::generate::generate;
use cfgen::load::{Node, NodeKind, PathSegment, display_path};
use cfgen::model::FileKind;
use cfgen::render::Renderer;
use cfgen::validate::check_project;
use serde_json::Value;

use crate::common::copy_example_inputs;

fn outputs(dir: &Path, renderer: &Renderer) -> Option<BTreeMap<String, String>> {
    let project = check_project(dir).project?;
    let output = generate(
        &project,
        renderer,
        None,
        &cfgen::generate::Selection::default(),
    )
    .ok()?;
    Some(output.files.into_iter().map(|(k, v)| (k, v.text)).collect())
}

/// The schema node describing the value at `path`, following `$ref`, `anyOf`/`oneOf`.
fn subschema<'a>(root: &'a Value, mut node: &'a Value, path: &[PathSegment]) -> Option<&'a Value> {
    let resolve = |mut n: &'a Value| {
        loop {
            if let Some(r) = n.get("$ref").and_then(Value::as_str) {
                n = root.pointer(r.trim_start_matches('#'))?;
            } else if let Some(Value::Array(all)) = n.get("allOf")
                && let [only] = all.as_slice()
            {
                n = only;
            } else {
                return Some(n);
            }
        }
    };
    for seg in path {
        node = resolve(node)?;
        let candidates: Vec<&Value> = match node.get("anyOf").or_else(|| node.get("oneOf")) {
            Some(Value::Array(branches)) => branches.iter().filter_map(resolve).collect(),
            _ => vec![node],
        };
        node = candidates.into_iter().find_map(|n| match seg {
            PathSegment::Key(k) => n
                .get("properties")
                .and_then(|p| p.get(k))
                .or_else(|| n.get("additionalProperties").filter(|a| a.is_object())),
            PathSegment::Index(_) => n.get("items"),
        })?;
    }
    resolve(node)
}

fn enum_values(schema: &Value, root: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![schema];
    while let Some(n) = todo.pop() {
        let n = match n.get("$ref").and_then(Value::as_str) {
            Some(r) => root.pointer(r.trim_start_matches('#')).unwrap_or(n),
            None => n,
        };
        if let Some(Value::Array(values)) = n.get("enum") {
            out.extend(values.iter().filter_map(|v| v.as_str().map(str::to_owned)));
        }
        if let Some(c) = n.get("const").and_then(Value::as_str) {
            out.push(c.to_owned());
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(Value::Array(branches)) = n.get(key) {
                todo.extend(branches);
            }
        }
    }
    out
}

/// Replacement texts to try for a leaf, most natural first.
fn candidates(node: &Node, schema: Option<&Value>, root: &Value) -> Vec<String> {
    match &node.kind {
        NodeKind::Bool(b) => vec![(!b).to_string()],
        NodeKind::Int(n) => vec![
            (n + 1).to_string(),
            (n - 1).to_string(),
            (n * 2).to_string(),
        ],
        NodeKind::Float(f) => vec![(f + 1.0).to_string(), (f - 1.0).to_string()],
        NodeKind::Str(s) => {
            let mut out: Vec<String> = schema
                .map(|sc| enum_values(sc, root))
                .unwrap_or_default()
                .into_iter()
                .filter(|v| v != s)
                .collect();
            // Bump the first number in the string: `500m` → `501m`, `02:00` → `03:00`.
            if let Some(start) = s.find(|c: char| c.is_ascii_digit()) {
                let len = s[start..].chars().take_while(char::is_ascii_digit).count();
                let n: u64 = s[start..start + len].parse().unwrap_or(0);
                let bumped = format!("{:0width$}", n + 1, width = len);
                out.push(format!("{}{bumped}{}", &s[..start], &s[start + len..]));
            }
            // A path in another folder: `/var/log/app/app.log` → `/x/var/log/app/app.log`.
            if s.starts_with('/') {
                out.push(format!("/x{s}"));
            }
            out.push(format!("{s}x"));
            out.push(format!("{s}-x"));
            out.into_iter()
                .map(|v| serde_json::to_string(&v).unwrap())
                .collect()
        }
        _ => Vec::new(),
    }
}

#[test]
fn what_artifacts_read_is_what_changes_the_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    copy_example_inputs(dir);
    let renderer = Renderer::new(None).unwrap();
    let baseline = outputs(dir, &renderer).expect("the example builds");
    let project = check_project(dir).project.unwrap();
    let reads = generate(
        &project,
        &renderer,
        None,
        &cfgen::generate::Selection::default(),
    )
    .unwrap()
    .reads;
    let unused = cfgen::usage::unused(&project, &reads);
    let unexplained: Vec<&str> = unused
        .iter()
        .filter(|u| u.reason == cfgen::usage::NO_READER)
        .map(|u| u.path.as_str())
        .collect();
    assert!(
        unexplained.is_empty(),
        "values no artifact reads need a reason in cfgen::usage::REASONS: {unexplained:?}"
    );
    let mut wrong = Vec::new();
    let mut unverified = Vec::new();
    let mut checked = 0;
    for kind in FileKind::ALL {
        let path = dir.join(kind.relative_path());
        let original = std::fs::read_to_string(&path).unwrap();
        let (doc, _) = cfgen::load::load_file(None, &path).unwrap();
        let schema = kind.schema();
        let mut leaves = Vec::new();
        doc.root.leaves(&mut Vec::new(), &mut leaves);
        for (leaf, span) in leaves {
            let node = doc.root.lookup(&leaf).unwrap();
            let sub = subschema(&schema, &schema, &leaf);
            // Used: some valid replacement changes the output. Unused: none does.
            let mut changed = None;
            for replacement in candidates(node, sub, &schema) {
                let text = format!(
                    "{}{replacement}{}",
                    &original[..span.start],
                    &original[span.end..]
                );
                std::fs::write(&path, text).unwrap();
                if let Some(files) = outputs(dir, &renderer) {
                    changed = Some(files != baseline);
                    if files != baseline {
                        break;
                    }
                }
            }
            std::fs::write(&path, &original).unwrap();
            let shown = format!("{}: {}", kind.relative_path(), display_path(&leaf));
            let read = reads.covers(kind.id(), span);
            match (read, changed) {
                (_, None) => unverified.push(shown),
                (true, Some(true)) | (false, Some(false)) => checked += 1,
                (true, Some(false)) => wrong.push(format!(
                    "{shown} is read by an artifact but changing it changes no output"
                )),
                (false, Some(true)) => wrong.push(format!(
                    "{shown} is read by no artifact but changing it changes the output"
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong entries:\n{}\n(unverified: {unverified:?})",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(
        checked > 100,
        "only {checked} values checked; unverified: {unverified:?}"
    );
}
