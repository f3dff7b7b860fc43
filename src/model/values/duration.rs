use std::fmt;
use std::str::FromStr;

use super::{StringValue, string_value_impls};

/// A length of time written with units, as Prometheus and Kubernetes users
/// write them: `30s`, `15m`, `1h`, `30d`, `2w`, or combined like `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: u64,
}

const UNITS: [(&str, u64); 5] = [
    ("w", 7 * 86_400),
    ("d", 86_400),
    ("h", 3_600),
    ("m", 60),
    ("s", 1),
];

impl Duration {
    /// A duration of whole seconds.
    #[must_use]
    pub fn from_secs(seconds: u64) -> Self {
        Self { seconds }
    }

    /// Total seconds.
    #[must_use]
    pub fn as_secs(self) -> u64 {
        self.seconds
    }
}

impl StringValue for Duration {
    const NAME: &'static str = "Duration";
    const PATTERN: &'static str = "^([0-9]+(s|m|h|d|w))+$";
    const EXPECTED: &'static str = "a duration: a whole number with a unit `s`, `m`, `h`, `d` or `w`, such as `30s`, `15m`, `1h`, `30d`";
    const EXAMPLES: &'static [&'static str] = &["30s", "15m", "1h", "30d"];
}

impl FromStr for Duration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("a duration cannot be empty".into());
        }
        let mut seconds: u64 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(format!("`{s}` must start each part with a number"));
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| format!("`{s}` is too large"))?;
            rest = &rest[digits..];
            let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            let unit = &rest[..unit_len];
            let Some((_, factor)) = UNITS.iter().find(|(u, _)| *u == unit) else {
                return Err(if unit.is_empty() {
                    format!("`{s}` has no unit; add one of `s`, `m`, `h`, `d`, `w`")
                } else {
                    format!("unknown unit `{unit}`; use one of `s`, `m`, `h`, `d`, `w`")
                });
            };
            rest = &rest[unit_len..];
            seconds = number
                .checked_mul(*factor)
                .and_then(|v| seconds.checked_add(v))
                .ok_or_else(|| format!("`{s}` is too large"))?;
        }
        Ok(Self { seconds })
    }
}

impl fmt::Display for Duration {
    /// Canonical form, largest units first (`90m` prints as `1h30m`, `2w` as `14d`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seconds == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.seconds;
        for (unit, factor) in UNITS {
            // Days are the largest unit printed: `14d`, not `2w`.
            if unit == "w" {
                continue;
            }
            if rest >= factor {
                write!(f, "{}{unit}", rest / factor)?;
                rest %= factor;
            }
        }
        Ok(())
    }
}

string_value_impls!(Duration);

/// How soon an alert of a severity is escalated: `immediate`, or after a duration (`15m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    /// Page at once: the alert fires without a `for:` wait.
    Immediate,
    /// Fire only after the condition has held this long.
    After(Duration),
}

impl Escalation {
    /// The wait before firing (zero for `immediate`).
    #[must_use]
    pub fn wait(self) -> Duration {
        match self {
            Self::Immediate => Duration::from_secs(0),
            Self::After(d) => d,
        }
    }
}

impl StringValue for Escalation {
    const NAME: &'static str = "Escalation";
    const PATTERN: &'static str = "^(immediate|([0-9]+(s|m|h|d|w))+)$";
    const EXPECTED: &'static str = "`immediate` or a duration such as `15m` or `1h`";
    const EXAMPLES: &'static [&'static str] = &["immediate", "15m", "1h"];
}

impl FromStr for Escalation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "immediate" {
            return Ok(Self::Immediate);
        }
        s.parse()
            .map(Self::After)
            .map_err(|e| format!("{e} (or write `immediate`)"))
    }
}

impl fmt::Display for Escalation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Immediate => f.write_str("immediate"),
            Self::After(d) => d.fmt(f),
        }
    }
}

string_value_impls!(Escalation);
