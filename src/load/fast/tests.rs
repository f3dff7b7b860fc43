//! The span-free path agrees with the located loader on every file both accept, and
//! answers for every file cfgen generates.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::to_json;

/// The located loader's answer: the JSON of a document it loads without any error.
fn located(text: &str) -> Option<serde_json::Value> {
    match crate::load::load_bytes(Path::new("t.yaml"), text.as_bytes().to_vec()) {
        Ok((doc, errors)) if errors.is_empty() => Some(doc.root.to_json()).filter(|v| !v.is_null()),
        _ => None,
    }
}

/// `fast` answers only where `located` gives the same value.
fn agree(what: &str, text: &str) -> bool {
    let fast = to_json(text);
    if let Some(v) = &fast {
        assert_eq!(
            Some(v),
            located(text).as_ref(),
            "{what}: the fast path answered differently"
        );
    }
    fast.is_some()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let p = entry.path();
        if entry.file_type().is_file()
            && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        {
            out.push(p.to_path_buf());
        }
    }
}

#[test]
fn every_generated_yaml_file_is_read_by_the_fast_path_with_the_located_loaders_value() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for project in ["examples", "app"] {
        for entry in walkdir::WalkDir::new(repo.join(project)).max_depth(3) {
            let entry = entry.unwrap();
            if entry.file_name() == "deploy" && entry.file_type().is_dir() {
                yaml_files(entry.path(), &mut files);
            }
        }
    }
    assert!(
        files.len() > 300,
        "only {} generated YAML files",
        files.len()
    );
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            agree(&f.display().to_string(), &text),
            "{}: not read by the fast path",
            f.display()
        );
    }
}

#[test]
fn on_input_files_and_their_mutations_it_answers_only_where_the_located_loader_agrees() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(&repo.join("tests/fixtures"), &mut files);
    yaml_files(&repo.join("examples/ecommerce/config"), &mut files);
    assert!(files.len() > 50, "only {} input files", files.len());
    let (mut answered, mut declined) = (0, 0);
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue; // the fixtures hold non-UTF-8 files on purpose
        };
        let first = text
            .lines()
            .find(|l| !l.starts_with(['#', ' ', '-']) && l.contains(':'));
        let mut variants = vec![
            text.clone(),
            text.chars().take(text.chars().count() / 2).collect(),
            format!("{text}\n---\nextra: 1\n"),
            format!("anchor: &a {{ x: 1 }}\ncopy: *a\n{text}"),
            format!("tagged: !!str 12\n{text}"),
            format!("? [complex]\n: key\n{text}"),
        ];
        if let Some(line) = first {
            variants.push(format!("{text}\n{line}\n"));
        }
        for (i, v) in variants.iter().enumerate() {
            if agree(&format!("{} (variant {i})", f.display()), v) {
                answered += 1;
            } else {
                declined += 1;
            }
        }
    }
    // both outcomes occur: the comparison above ran on real answers
    assert!(
        answered > 50 && declined > 50,
        "{answered} answered, {declined} declined"
    );
}

#[test]
fn keys_and_scalars_resolve_as_the_located_loader_resolves_them() {
    for (text, want) in [
        ("1: a\n", json!({"1": "a"})),
        ("0x1F: a\n", json!({"0x1F": "a"})),
        (".nan: a\n.inf: b\n", json!({".nan": "a", ".inf": "b"})),
        ("~: a\n", json!({"": "a"})),
        ("true: y\n'false': n\n", json!({"true": "y", "false": "n"})),
        (
            "a: [1, 1.5, .inf, yes, 012, '7', ~, 02:00]\n",
            json!({"a": [1, 1.5, "inf", "yes", "012", "7", null, "02:00"]}),
        ),
        ("\u{feff}a: 1\n", json!({"a": 1})),
        ("- a\n- {b: c}\n", json!(["a", {"b": "c"}])),
    ] {
        assert_eq!(to_json(text), Some(want.clone()), "{text:?}");
        assert_eq!(located(text), Some(want), "{text:?}");
    }
}

#[test]
fn what_only_the_located_loader_may_answer_is_declined() {
    let deep = format!(
        "{}1{}",
        "[".repeat(crate::load::MAX_DEPTH + 1),
        "]".repeat(crate::load::MAX_DEPTH + 1)
    );
    let many = format!("[{}]", vec!["1"; crate::load::MAX_NODES + 1].join(","));
    for text in [
        "",
        "# only a comment\n",
        "~\n",
        "a: 1\na: 2\n",
        "a: &x 1\nb: *x\n",
        "a: !!int 1\n",
        "a: 1\n---\nb: 2\n",
        "? [a]\n: b\n",
        "a: [1\n",
        "a:\n  - b\n c: d\n",
        deep.as_str(),
        many.as_str(),
    ] {
        assert_eq!(to_json(text), None, "{text:.60?}");
    }
}
