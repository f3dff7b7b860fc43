//! A JSON Schema vendored as data and compiled once, on first use: the one
//! mechanism behind the compose and workflow checks.

use std::sync::OnceLock;

/// How many schema errors a report lists.
const MAX_ERRORS: usize = 5;

/// A vendored schema: its text, what it checks, and its compiled validator.
pub struct VendoredSchema {
    name: &'static str,
    text: &'static str,
    invalid: &'static str,
    validator: OnceLock<Result<jsonschema::Validator, String>>,
}

impl VendoredSchema {
    /// A schema named `name` (for internal errors) with `text`; `invalid`
    /// starts the report of a value it rejects.
    #[must_use]
    pub const fn new(name: &'static str, text: &'static str, invalid: &'static str) -> Self {
        Self {
            name,
            text,
            invalid,
            validator: OnceLock::new(),
        }
    }

    fn validator(&self) -> &Result<jsonschema::Validator, String> {
        self.validator.get_or_init(|| {
            let schema: serde_json::Value = serde_json::from_str(self.text)
                .map_err(|e| format!("the vendored {} schema is not JSON: {e}", self.name))?;
            // The draft comes from `$schema`. Every pattern of both schemas
            // compiles with the `regex` engine (no look-around), which compiles
            // faster than the default `fancy-regex`; the tests compile both
            // schemas, so a pattern it cannot take would fail there.
            jsonschema::options()
                .with_pattern_options(jsonschema::PatternOptions::regex())
                .build(&schema)
                .map_err(|e| format!("the vendored {} schema does not compile: {e}", self.name))
        })
    }

    /// Validates `value`.
    ///
    /// # Errors
    /// The first few schema errors, each with the JSON pointer of the offending value.
    pub fn validate(&self, value: &serde_json::Value) -> Result<(), String> {
        let validator = self.validator().as_ref().map_err(Clone::clone)?;
        let errors: Vec<String> = validator
            .iter_errors(value)
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
            Err(format!("{}: {}", self.invalid, errors.join("; ")))
        }
    }
}
