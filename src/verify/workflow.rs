//! GitHub Actions workflows validate against SchemaStore's workflow schema
//! (vendored as data in `schemas/github-workflow.json`, licence beside it):
//! the schema `check-jsonschema --builtin-schema vendor.github-workflows` uses.

use std::sync::LazyLock;

/// The vendored schema text (JSON Schema draft-07).
const SCHEMA: &str = include_str!("schemas/github-workflow.json");

/// How many schema errors a report lists.
const MAX_ERRORS: usize = 5;

static VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> = LazyLock::new(|| {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA)
        .map_err(|e| format!("the vendored workflow schema is not JSON: {e}"))?;
    // `validator_for` reads the draft from `$schema` (draft-07 here).
    jsonschema::validator_for(&schema)
        .map_err(|e| format!("the vendored workflow schema does not compile: {e}"))
});

/// Validates a parsed workflow against the GitHub workflow schema.
///
/// # Errors
/// The first few schema errors, each with the JSON pointer of the offending value.
pub fn validate(workflow: &serde_json::Value) -> Result<(), String> {
    let validator = VALIDATOR.as_ref().map_err(Clone::clone)?;
    let errors: Vec<String> = validator
        .iter_errors(workflow)
        .take(MAX_ERRORS)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            format!("{at}: {e}")
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "not a valid GitHub workflow: {}",
            errors.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::validate;
    use serde_json::json;

    #[test]
    fn the_vendored_schema_compiles_and_accepts_a_minimal_workflow() {
        let workflow = json!({
            "on": { "push": { "branches": ["main"] } },
            "permissions": { "contents": "read" },
            "jobs": { "build": { "runs-on": "ubuntu-24.04", "steps": [{ "run": "true" }] } }
        });
        assert_eq!(validate(&workflow), Ok(()));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        let typo = json!({
            "on": "push",
            "jobs": { "build": { "runs-on": "ubuntu-24.04", "stepz": [] } }
        });
        let err = validate(&typo).unwrap_err();
        assert!(err.contains("/jobs/build"), "{err}");
        let bad_permission = json!({
            "on": "push",
            "permissions": { "contents": "admin" },
            "jobs": { "build": { "runs-on": "ubuntu-24.04", "steps": [{ "run": "true" }] } }
        });
        assert!(validate(&bad_permission).is_err());
    }
}
