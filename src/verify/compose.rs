//! docker-compose.yml validates against the Compose Specification's JSON Schema
//! (vendored as data in `schemas/compose-spec.json`, licence beside it): the
//! schema `check-jsonschema --builtin-schema vendor.compose-spec` uses.

use super::vendored::VendoredSchema;

/// The vendored schema, compiled on first use.
pub(super) static SCHEMA: VendoredSchema = VendoredSchema::new(
    "compose",
    include_str!("schemas/compose-spec.json"),
    "not a valid compose file (compose-spec schema)",
);

/// Validates a parsed compose file against its vendored schema.
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
