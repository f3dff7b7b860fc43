//! Typed values of the workload manifest: environment variable names, host
//! names, cron schedules and time zones.

use std::fmt;
use std::str::FromStr;

use super::{StringValue, string_value_impls};

/// An environment variable name: letters, digits and `_`, not starting with a digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnvName(String);

impl EnvName {
    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a Kubernetes Secret key or compose secret file name:
    /// lowercase, `_` as `-` (`JWT_SECRET_KEY` → `jwt-secret-key`).
    #[must_use]
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase().replace('_', "-")
    }
}

impl StringValue for EnvName {
    const NAME: &'static str = "EnvName";
    const PATTERN: &'static str = "^[A-Za-z_][A-Za-z0-9_]{0,127}$";
    const EXPECTED: &'static str = "an environment variable name: letters, digits and `_`, not starting with a digit, at most 128 characters";
    const EXAMPLES: &'static [&'static str] = &["NODE_ENV", "JWT_SECRET_KEY"];
}

impl FromStr for EnvName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("a variable name cannot be empty".into());
        }
        if s.len() > 128 {
            return Err(format!("`{s}` is longer than 128 characters"));
        }
        if s.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!("`{s}` starts with a digit"));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
        {
            let fixed: String = s
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            return Err(format!(
                "`{s}` contains `{c}`; only letters, digits and `_` are allowed (`{}`)",
                fixed.to_ascii_uppercase()
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for EnvName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_value_impls!(EnvName);

/// A public host name (lowercase, at least two labels), as an Ingress and a certificate take it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostName(String);

impl HostName {
    /// The host.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl StringValue for HostName {
    const NAME: &'static str = "HostName";
    const PATTERN: &'static str = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$";
    const EXPECTED: &'static str =
        "a lowercase host name of at least two labels, such as `api.example.com`";
    const EXAMPLES: &'static [&'static str] = &["api.ecommerce.com", "staging.shop.example.com"];
}

impl FromStr for HostName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.len() > 253 {
            return Err(format!("`{s}` is longer than 253 characters"));
        }
        let labels: Vec<&str> = s.split('.').collect();
        if labels.len() < 2 {
            return Err(format!(
                "`{s}` has one label; a public host has a domain (`{s}.example.com`)"
            ));
        }
        for label in &labels {
            let ok = !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !ok {
                return Err(if s.chars().any(|c| c.is_ascii_uppercase()) {
                    format!("`{s}` has an uppercase letter; host names are lowercase here")
                } else {
                    format!(
                        "`{label}` is not a host label: lowercase letters, digits and `-`, 1–63 characters, not starting or ending with `-`"
                    )
                });
            }
        }
        let tld = labels.last().copied().unwrap_or_default();
        if tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(format!("`{tld}` is not a top-level domain"));
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_value_impls!(HostName);

/// A cron schedule of five fields (minute, hour, day of month, month, day of
/// week), as Kubernetes CronJobs take it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CronSchedule(String);

impl CronSchedule {
    /// The schedule.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl StringValue for CronSchedule {
    const NAME: &'static str = "CronSchedule";
    const PATTERN: &'static str =
        r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\S+ \S+ \S+ \S+ \S+)$";
    const EXPECTED: &'static str = "a cron schedule of five fields (minute hour day-of-month month day-of-week) or a macro such as `@daily`";
    const EXAMPLES: &'static [&'static str] = &["0 3 * * *", "*/15 * * * *", "@hourly"];
}

/// The allowed range of each cron field, and the names months and weekdays may use.
const FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    (
        "month",
        1,
        12,
        &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
    ),
    (
        "day of week",
        0,
        7,
        &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    ),
];

fn cron_number(text: &str, field: &str, lo: u32, hi: u32, names: &[&str]) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == lower) {
        // Months count from 1, weekdays from 0.
        #[allow(clippy::cast_possible_truncation)]
        return Ok(i as u32 + lo);
    }
    let n: u32 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number in the {field} field"))?;
    if n < lo || n > hi {
        return Err(format!(
            "{field} `{n}` is out of range ({lo}–{hi}) in the {field} field"
        ));
    }
    Ok(n)
}

fn cron_field(text: &str, (field, lo, hi, names): (&str, u32, u32, &[&str])) -> Result<(), String> {
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(step) = step {
            let s: u32 = step
                .parse()
                .map_err(|_| format!("step `{step}` is not a number in the {field} field"))?;
            if s == 0 {
                return Err(format!("a step of 0 in the {field} field never matches"));
            }
        }
        if range == "*" {
            continue;
        }
        match range.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (
                    cron_number(a, field, lo, hi, names)?,
                    cron_number(b, field, lo, hi, names)?,
                );
                if a > b {
                    return Err(format!(
                        "range `{range}` runs backwards in the {field} field"
                    ));
                }
            }
            None => {
                cron_number(range, field, lo, hi, names)?;
            }
        }
    }
    Ok(())
}

impl FromStr for CronSchedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let trimmed = s.trim();
        if trimmed.starts_with('@') {
            return match trimmed {
                "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight"
                | "@hourly" => Ok(Self(trimmed.to_owned())),
                other => Err(format!("`{other}` is not a cron macro")),
            };
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "`{s}` has {} fields; a schedule has five (minute hour day-of-month month day-of-week)",
                fields.len()
            ));
        }
        for (text, spec) in fields.iter().zip(FIELDS) {
            cron_field(text, spec)?;
        }
        Ok(Self(fields.join(" ")))
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_value_impls!(CronSchedule);

/// An IANA time zone name such as `Etc/UTC` or `Europe/Berlin`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimeZone(String);

impl StringValue for TimeZone {
    const NAME: &'static str = "TimeZone";
    const PATTERN: &'static str = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$";
    const EXPECTED: &'static str = "an IANA time zone name such as `Etc/UTC` or `Europe/Berlin`";
    const EXAMPLES: &'static [&'static str] = &["Etc/UTC", "Europe/Berlin"];
}

impl FromStr for TimeZone {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.split('/').count() <= 3
            && s.split('/').all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c))
            })
            && s.starts_with(|c: char| c.is_ascii_alphabetic());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "`{s}` is not a time zone name (`Area/Location`, e.g. `Europe/Berlin`)"
            ))
        }
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_value_impls!(TimeZone);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_schedules_are_checked_field_by_field() {
        for ok in [
            "0 3 * * *",
            "*/15 * * * *",
            "0 0 1 jan,jul *",
            "30 2 * * mon-fri",
            "@daily",
        ] {
            assert!(ok.parse::<CronSchedule>().is_ok(), "{ok}");
        }
        let err = |s: &str| s.parse::<CronSchedule>().unwrap_err();
        assert!(err("0 3 * *").contains("has 4 fields"));
        assert!(err("60 3 * * *").contains("minute `60` is out of range"));
        assert!(err("0 24 * * *").contains("hour `24`"));
        assert!(err("0 3 * * */0").contains("a step of 0"));
        assert!(err("0 5-3 * * *").contains("runs backwards"));
        assert!(err("@often").contains("not a cron macro"));
    }

    #[test]
    fn env_names_and_hosts() {
        assert_eq!(
            "JWT_SECRET_KEY".parse::<EnvName>().unwrap().key(),
            "jwt-secret-key"
        );
        assert!(
            "1X".parse::<EnvName>()
                .unwrap_err()
                .contains("starts with a digit")
        );
        assert!(
            "MY-VAR"
                .parse::<EnvName>()
                .unwrap_err()
                .contains("(`MY_VAR`)")
        );
        assert!("api.example.com".parse::<HostName>().is_ok());
        assert!(
            "localhost"
                .parse::<HostName>()
                .unwrap_err()
                .contains("one label")
        );
        assert!(
            "Api.example.com"
                .parse::<HostName>()
                .unwrap_err()
                .contains("uppercase")
        );
        assert!("Europe/Berlin".parse::<TimeZone>().is_ok());
        assert!("Europe Berlin".parse::<TimeZone>().is_err());
    }
}
