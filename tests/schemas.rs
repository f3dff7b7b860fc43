//! The committed JSON Schemas: fresh, complete, and agreeing with the validator.

use cfgen::model::FileKind;
use serde_json::Value;

use crate::common::{example, overlay_project, repo};

fn committed(kind: FileKind) -> Value {
    let path = repo().join("schema").join(kind.schema_file());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn yaml_as_json(path: &std::path::Path) -> Option<Value> {
    let (doc, errors) = cfgen::load::load_file(None, path).ok()?;
    errors.is_empty().then(|| doc.root.to_json())
}

#[test]
fn committed_schemas_match_the_model() {
    for kind in FileKind::ALL {
        assert_eq!(
            committed(kind),
            kind.schema(),
            "schema/{} is stale: run `cfgen schema`",
            kind.schema_file()
        );
    }
}

/// Every property of every schema has a description (the editor's hover text).
#[test]
fn every_property_has_a_description() {
    fn walk(node: &Value, at: &str, missing: &mut Vec<String>, root: &Value) {
        match node {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    for (name, prop) in props {
                        let described = prop.get("description").is_some()
                            || prop
                                .get("$ref")
                                .and_then(Value::as_str)
                                .and_then(|r| root.pointer(r.trim_start_matches('#')))
                                .is_some_and(|t| t.get("description").is_some());
                        if !described {
                            missing.push(format!("{at}/properties/{name}"));
                        }
                    }
                }
                for (k, v) in map {
                    walk(v, &format!("{at}/{k}"), missing, root);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{at}/{i}"), missing, root);
                }
            }
            _ => {}
        }
    }
    for kind in FileKind::ALL {
        let schema = committed(kind);
        let mut missing = Vec::new();
        walk(&schema, "", &mut missing, &schema);
        assert!(
            missing.is_empty(),
            "{}: no description at {missing:?}",
            kind.schema_file()
        );
        assert!(
            schema.get("$id").is_some()
                && schema.get("title").is_some()
                && schema.get("description").is_some()
        );
    }
}

#[test]
fn schemas_accept_the_example() {
    for kind in FileKind::ALL {
        let schema = committed(kind);
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let instance = yaml_as_json(&example().join(kind.relative_path())).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", kind.relative_path());
    }
}

/// A fixture whose problem is a schema error is rejected by the committed schema alone,
/// which is what an editor sees.
#[test]
fn schemas_reject_the_schema_level_fixtures() {
    let fixtures = repo().join("tests/fixtures/invalid");
    let mut checked = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let fixture = entry.unwrap().path();
        let tmp = tempfile::tempdir().unwrap();
        // (a folder of the temp dir: a fixture's `_repository/` files go beside the project)
        let project = tmp.path().join("project");
        overlay_project(&fixture, &project);
        let outcome = cfgen::validate::check_project(&project);
        let schema_kinds: Vec<FileKind> = FileKind::ALL
            .into_iter()
            .filter(|kind| {
                let path = project.join(kind.relative_path());
                outcome.diagnostics.iter().any(|d| {
                    d.code.starts_with("schema::")
                        && d.location.as_ref().is_some_and(|(s, _)| s.path() == path)
                })
            })
            .collect();
        for kind in schema_kinds {
            let instance = yaml_as_json(&project.join(kind.relative_path())).unwrap_or(Value::Null);
            let validator = jsonschema::draft202012::new(&committed(kind)).unwrap();
            assert!(
                !validator.is_valid(&instance),
                "{}: schema accepts {}",
                fixture.display(),
                kind.relative_path()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} schema-level fixtures");
}
