//! GitHub Actions workflows validate against SchemaStore's workflow schema
//! (vendored as data in `schemas/github-workflow.json`, licence beside it):
//! the schema `check-jsonschema --builtin-schema vendor.github-workflows` uses.

use super::vendored::VendoredSchema;

/// The vendored schema, compiled on first use.
pub(super) static SCHEMA: VendoredSchema = VendoredSchema::new(
    "workflow",
    include_str!("schemas/github-workflow.json"),
    "not a valid GitHub workflow",
);

/// Validates a parsed workflow file against its vendored schema.
///
/// # Errors
/// The first few schema errors, each with the JSON pointer of the offending value.
pub fn validate(value: &serde_json::Value) -> Result<(), String> {
    SCHEMA.validate(value)
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
