use std::fmt;
use std::str::FromStr;

use super::{StringValue, string_value_impls};

/// A DNS label as Kubernetes requires for namespaces and names: lowercase
/// letters, digits and `-`, starting and ending alphanumeric, at most 63 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsLabel(String);

impl DnsLabel {
    /// The label.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl StringValue for DnsLabel {
    const NAME: &'static str = "DnsLabel";
    const PATTERN: &'static str = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";
    const EXPECTED: &'static str = "a DNS label: lowercase letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters";
    const EXAMPLES: &'static [&'static str] = &["ecommerce-prod", "shop"];
}

impl FromStr for DnsLabel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("a DNS label cannot be empty".into());
        }
        if s.len() > 63 {
            return Err(format!(
                "`{s}` is {} characters long; the limit is 63",
                s.len()
            ));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            let fixed = dns_label_like(s);
            let suggestion = if fixed.is_empty() {
                String::new()
            } else {
                format!("; use `{fixed}`")
            };
            return Err(if c.is_ascii_uppercase() {
                format!("`{s}` has an uppercase letter{suggestion}")
            } else {
                format!(
                    "`{s}` contains `{c}`; only lowercase letters, digits and `-` are allowed{suggestion}"
                )
            });
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(format!("`{s}` must start and end with a letter or digit"));
        }
        Ok(Self(s.to_owned()))
    }
}

/// The DNS label closest to `s`: lowercase, other characters as `-`, no `-` at the ends.
fn dns_label_like(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut out = String::new();
    for c in mapped.trim_matches('-').chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

impl fmt::Display for DnsLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_value_impls!(DnsLabel);

/// An absolute HTTP path such as `/health`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HttpPath(String);

impl HttpPath {
    /// The path.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl StringValue for HttpPath {
    const NAME: &'static str = "HttpPath";
    const PATTERN: &'static str = "^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$";
    const EXPECTED: &'static str = "an absolute HTTP path starting with `/`, such as `/health`";
    const EXAMPLES: &'static [&'static str] = &["/health", "/ready", "/metrics"];
}

impl FromStr for HttpPath {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if !s.starts_with('/') {
            return Err(format!(
                "`{s}` does not start with `/`; write `/{}`",
                s.trim_start_matches('/')
            ));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "._~!$&'()*+,;=:@%/-".contains(*c)))
        {
            return Err(format!(
                "`{s}` contains `{c}`, which is not allowed in a URL path"
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for HttpPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_value_impls!(HttpPath);

/// A Prometheus metric name: letters, digits, `_` and `:`, not starting with a digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetricName(String);

impl MetricName {
    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl StringValue for MetricName {
    const NAME: &'static str = "MetricName";
    const PATTERN: &'static str = "^[a-zA-Z_:][a-zA-Z0-9_:]*$";
    const EXPECTED: &'static str =
        "a Prometheus metric name: letters, digits, `_` and `:`, not starting with a digit";
    const EXAMPLES: &'static [&'static str] = &["user_registrations_total", "order_success_rate"];
}

impl FromStr for MetricName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut chars = s.chars();
        match chars.next() {
            None => return Err("a metric name cannot be empty".into()),
            Some(c) if c.is_ascii_digit() => {
                return Err(format!("`{s}` starts with a digit"));
            }
            _ => {}
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == ':'))
        {
            return Err(format!("`{s}` contains `{c}`; use `_` instead"));
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_value_impls!(MetricName);
