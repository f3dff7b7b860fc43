use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use super::{StringValue, string_value_impls};

/// A size in bytes as nginx writes it: a whole number with an optional `k`, `m` or `g` suffix (`10M`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize {
    bytes: u64,
    text: String,
}

impl ByteSize {
    /// The size in bytes (suffixes are powers of 1024, as in nginx).
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl StringValue for ByteSize {
    const NAME: &'static str = "ByteSize";
    const PATTERN: &'static str = "^[0-9]+[kKmMgG]?$";
    const EXPECTED: &'static str = "a size in bytes: a whole number with an optional suffix `k`, `M` or `G` (powers of 1024), such as `10M`";
    const EXAMPLES: &'static [&'static str] = &["10M", "512k", "1G"];
}

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("`{s}` must start with a whole number"));
        }
        let factor: u64 = match &s[digits..] {
            "" => 1,
            "k" | "K" => 1 << 10,
            "m" | "M" => 1 << 20,
            "g" | "G" => 1 << 30,
            other => {
                return Err(format!(
                    "unknown size suffix `{other}`; use `k`, `M` or `G`"
                ));
            }
        };
        let bytes = s[..digits]
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(factor))
            .ok_or_else(|| format!("`{s}` is too large"))?;
        Ok(Self {
            bytes,
            text: s.to_owned(),
        })
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

string_value_impls!(ByteSize);

/// A percentage from 0 to 100, written as a plain number (`85`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Percent(f64);

impl Percent {
    /// The value, 0–100.
    #[must_use]
    pub fn value(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Percent {
    type Error = String;

    fn try_from(v: f64) -> Result<Self, String> {
        if (0.0..=100.0).contains(&v) {
            Ok(Self(v))
        } else {
            Err(format!("{v} is not a percentage between 0 and 100"))
        }
    }
}

impl From<Percent> for f64 {
    fn from(p: Percent) -> f64 {
        p.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl JsonSchema for Percent {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Percent".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "number",
            "minimum": 0,
            "maximum": 100,
            "description": "A percentage from 0 to 100, as a plain number.",
            "examples": [80, 85, 90],
        })
    }
}

/// A count or a percentage of the replicas, as Kubernetes rolling updates take them: `1` or `25%`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOrPercent {
    /// A number of pods.
    Int(u32),
    /// A percentage of the desired replicas, 0–100.
    Percent(u8),
}

impl IntOrPercent {
    /// Resolves against a replica count, rounding as Kubernetes does
    /// (`round_up` for maxSurge, down for maxUnavailable).
    #[must_use]
    pub fn resolve(self, replicas: u32, round_up: bool) -> u32 {
        match self {
            Self::Int(n) => n,
            Self::Percent(p) => {
                let scaled = u64::from(replicas) * u64::from(p);
                let v = if round_up {
                    scaled.div_ceil(100)
                } else {
                    scaled / 100
                };
                u32::try_from(v).unwrap_or(u32::MAX)
            }
        }
    }
}

impl fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(n) => write!(f, "{n}"),
            Self::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl Serialize for IntOrPercent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Int(n) => s.serialize_u32(*n),
            Self::Percent(_) => s.collect_str(self),
        }
    }
}

/// A percentage of the replicas as text: `0%` to `100%`, no sign or leading zero.
const PERCENT_PATTERN: &str = "^([0-9]|[1-9][0-9]|100)%$";

impl<'de> Deserialize<'de> for IntOrPercent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u32),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(Self::Int(n)),
            Raw::Text(t) => {
                // The schema's pattern too (it refuses `025%` and `+5%`, which parse).
                static REGEX: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
                let p = t
                    .strip_suffix('%')
                    .filter(|_| crate::model::constraint::matches(&REGEX, PERCENT_PATTERN, &t))
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|p| *p <= 100)
                    .ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            "`{t}` is neither a whole number nor a percentage like `25%`"
                        ))
                    })?;
                Ok(Self::Percent(p))
            }
        }
    }
}

impl JsonSchema for IntOrPercent {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IntOrPercent".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number of pods (`1`) or a percentage of the replicas (`25%`).",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": PERCENT_PATTERN }
            ],
            "examples": [1, "25%"],
        })
    }
}
