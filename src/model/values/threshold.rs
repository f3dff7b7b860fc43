use std::fmt;
use std::str::FromStr;

use super::{StringValue, string_value_impls};

/// When a business metric alerts: a comparison, a number and an optional unit,
/// such as `< 95%` (a ratio) or `< 10/hour` (a rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// How the metric compares to the value when the alert should fire.
    pub comparison: Comparison,
    /// The number.
    pub value: f64,
    /// What the number measures.
    pub unit: ThresholdUnit,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `<`
    Below,
    /// `<=`
    AtMost,
    /// `>`
    Above,
    /// `>=`
    AtLeast,
}

impl Comparison {
    /// The PromQL operator.
    #[must_use]
    pub fn operator(self) -> &'static str {
        match self {
            Self::Below => "<",
            Self::AtMost => "<=",
            Self::Above => ">",
            Self::AtLeast => ">=",
        }
    }
}

/// The unit of a [`Threshold`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdUnit {
    /// A plain number, compared to the metric as is.
    Plain,
    /// A percentage; the metric is a ratio 0–1.
    Percent,
    /// Events per period; the metric is a counter. Holds the period in seconds.
    Per(u64, &'static str),
}

const PERIODS: [(&str, u64); 4] = [
    ("second", 1),
    ("minute", 60),
    ("hour", 3_600),
    ("day", 86_400),
];

impl StringValue for Threshold {
    const NAME: &'static str = "Threshold";
    const PATTERN: &'static str =
        "^(<|<=|>|>=) ?[0-9]+(\\.[0-9]+)? ?(%|/(second|minute|hour|day))?$";
    const EXPECTED: &'static str = "a threshold: `<`, `<=`, `>` or `>=`, a number, and optionally `%` or a rate `/second`, `/minute`, `/hour`, `/day`, such as `< 95%` or `< 10/hour`";
    const EXAMPLES: &'static [&'static str] = &["< 95%", "< 10/hour", "> 0.5"];
}

impl FromStr for Threshold {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (comparison, rest) = [
            ("<=", Comparison::AtMost),
            (">=", Comparison::AtLeast),
            ("<", Comparison::Below),
            (">", Comparison::Above),
        ]
        .iter()
        .find_map(|(op, c)| s.strip_prefix(op).map(|r| (*c, r)))
        .ok_or_else(|| format!("`{s}` must start with `<`, `<=`, `>` or `>=`"))?;
        let rest = rest.trim_start();
        let number_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let value: f64 = rest[..number_len]
            .parse()
            .map_err(|_| format!("`{s}` has no number after the comparison"))?;
        let unit = match rest[number_len..].trim_start() {
            "" => ThresholdUnit::Plain,
            "%" => {
                if value > 100.0 {
                    return Err(format!("{value}% is more than 100%"));
                }
                ThresholdUnit::Percent
            }
            other => {
                let period = other.strip_prefix('/').ok_or_else(|| {
                    format!("unknown unit `{other}`; use `%` or a rate like `/hour`")
                })?;
                let (name, secs) = PERIODS.iter().find(|(p, _)| *p == period).ok_or_else(|| {
                    format!("unknown period `{period}`; use `second`, `minute`, `hour` or `day`")
                })?;
                ThresholdUnit::Per(*secs, name)
            }
        };
        Ok(Self {
            comparison,
            value,
            unit,
        })
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.comparison.operator(), self.value)?;
        match self.unit {
            ThresholdUnit::Plain => Ok(()),
            ThresholdUnit::Percent => f.write_str("%"),
            ThresholdUnit::Per(_, name) => write!(f, "/{name}"),
        }
    }
}

string_value_impls!(Threshold);
