//! Template filters: quoting for the output languages. Conversions of values
//! (quantities, durations) happen in the plan, not here.

use minijinja::Environment;

/// Registers the filters.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("yq", yaml_quote);
    env.add_filter("shq", shell_quote);
}

/// A YAML double-quoted scalar (JSON string syntax, which YAML 1.2 reads the
/// same), without HTML escaping.
fn yaml_quote(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A POSIX shell single-quoted word.
fn shell_quote(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\'', r"'\''"))
}
