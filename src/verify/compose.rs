//! docker-compose.yml validates against the Compose Specification's JSON Schema
//! (vendored as data in `schemas/compose-spec.json`, licence beside it): the
//! schema `check-jsonschema --builtin-schema vendor.compose-spec` uses.

use std::sync::LazyLock;

/// The vendored schema text (JSON Schema draft 2020-12).
const SCHEMA: &str = include_str!("schemas/compose-spec.json");

/// How many schema errors a report lists.
const MAX_ERRORS: usize = 5;

static VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> = LazyLock::new(|| {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA)
        .map_err(|e| format!("the vendored compose schema is not JSON: {e}"))?;
    // `validator_for` reads the draft from `$schema`.
    jsonschema::validator_for(&schema)
        .map_err(|e| format!("the vendored compose schema does not compile: {e}"))
});

/// Validates a parsed compose file against the compose-spec schema.
///
/// # Errors
/// The first few schema errors, each with the JSON pointer of the offending value.
pub fn validate(compose: &serde_json::Value) -> Result<(), String> {
    let validator = VALIDATOR.as_ref().map_err(Clone::clone)?;
    let errors: Vec<String> = validator
        .iter_errors(compose)
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
            "not a valid compose file (compose-spec schema): {}",
            errors.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::validate;
    use serde_json::json;

    #[test]
    fn the_vendored_schema_compiles_and_accepts_secrets_from_the_environment() {
        let compose = json!({
            "name": "shop",
            "services": {
                "app": {
                    "image": "ghcr.io/acme/shop:local",
                    "secrets": ["database_url"],
                    "deploy": { "resources": { "limits": { "cpus": "0.5", "memory": "512M" } } }
                }
            },
            "secrets": { "database_url": { "environment": "DATABASE_URL" } }
        });
        assert_eq!(validate(&compose), Ok(()));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        let typo = json!({ "services": { "app": { "image": "x", "healthchek": {} } } });
        let err = validate(&typo).unwrap_err();
        assert!(err.contains("/services/app"), "{err}");
        let bad = json!({ "services": { "app": { "image": "x", "ports": "80:80" } } });
        assert!(validate(&bad).is_err());
    }
}
