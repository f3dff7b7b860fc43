//! Typed values: strings with a syntax of their own (quantities, durations,
//! thresholds…). Each parses and checks itself ([`std::str::FromStr`]), prints
//! back canonically, and has a JSON Schema (pattern, description, examples) so
//! editors catch the same mistakes as cfgen.

mod clock;
mod duration;
mod image;
mod names;
mod numbers;
mod quantity;
mod threshold;
mod workload;

pub use clock::ClockTime;
pub use duration::{Duration, Escalation};
pub use image::ImageRef;
pub use names::{DnsLabel, HttpPath, MetricName};
pub use numbers::{ByteSize, IntOrPercent, Percent};
pub use quantity::{CpuQuantity, MemoryQuantity};
pub use threshold::{Comparison, Threshold, ThresholdUnit};
pub use workload::{CronSchedule, EnvName, HostName, TimeZone};

/// A typed string value: how it parses, and how the schema describes it.
pub trait StringValue: std::str::FromStr<Err = String> + std::fmt::Display {
    /// Name of its schema definition (`$defs/<NAME>`).
    const NAME: &'static str;
    /// ECMA-262 regular expression the schema checks (the parser is stricter where a regex cannot say it).
    const PATTERN: &'static str;
    /// What a valid value looks like, phrased to follow "expected".
    const EXPECTED: &'static str;
    /// Valid examples, shown in the schema and in error help.
    const EXAMPLES: &'static [&'static str];
}

/// Every typed string value's schema name with its parser, so a schema error
/// on such a value can be explained by the parser's more precise message.
#[must_use]
pub fn explain(name: &str, text: &str) -> Option<(String, &'static str, &'static [&'static str])> {
    fn check<T: StringValue>(text: &str) -> (String, &'static str, &'static [&'static str]) {
        let reason = text.parse::<T>().err().unwrap_or_default();
        (reason, T::EXPECTED, T::EXAMPLES)
    }
    Some(match name {
        ClockTime::NAME => check::<ClockTime>(text),
        Duration::NAME => check::<Duration>(text),
        Escalation::NAME => check::<Escalation>(text),
        ImageRef::NAME => check::<ImageRef>(text),
        DnsLabel::NAME => check::<DnsLabel>(text),
        HttpPath::NAME => check::<HttpPath>(text),
        MetricName::NAME => check::<MetricName>(text),
        ByteSize::NAME => check::<ByteSize>(text),
        CpuQuantity::NAME => check::<CpuQuantity>(text),
        MemoryQuantity::NAME => check::<MemoryQuantity>(text),
        Threshold::NAME => check::<Threshold>(text),
        EnvName::NAME => check::<EnvName>(text),
        HostName::NAME => check::<HostName>(text),
        CronSchedule::NAME => check::<CronSchedule>(text),
        TimeZone::NAME => check::<TimeZone>(text),
        _ => return None,
    })
}

/// Implements `Serialize`, `Deserialize` and `JsonSchema` for a [`StringValue`].
macro_rules! string_value_impls {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use $crate::model::values::StringValue;
                static REGEX: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                let value: Self = text.parse().map_err(serde::de::Error::custom)?;
                // The parser is stricter than the pattern where a regex cannot say
                // it; the pattern too is checked, so nothing the schema refuses
                // deserializes (the typed-first pass relies on it).
                if !$crate::model::constraint::matches(&REGEX, <$ty>::PATTERN, &text) {
                    return Err(serde::de::Error::custom(format!(
                        "`{text}` is not {}",
                        <$ty>::EXPECTED
                    )));
                }
                Ok(value)
            }
        }

        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                <$ty as $crate::model::values::StringValue>::NAME.into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                use $crate::model::values::StringValue;
                let description = format!("{}{}", {
                    let e = <$ty>::EXPECTED;
                    let mut c = e.chars();
                    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
                }, ".");
                schemars::json_schema!({
                    "type": "string",
                    "pattern": <$ty>::PATTERN,
                    "description": description,
                    "examples": <$ty>::EXAMPLES,
                    // yaml-language-server shows this instead of the raw regex.
                    "patternErrorMessage": format!("Expected {}.", <$ty>::EXPECTED),
                })
            }
        }
    };
}
pub(crate) use string_value_impls;

#[cfg(test)]
mod tests;
