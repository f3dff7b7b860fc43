use std::fmt;
use std::str::FromStr;

use super::{StringValue, string_value_impls};

/// A Kubernetes CPU quantity: millicores (`250m`) or cores (`0.5`, `2`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CpuQuantity {
    millicores: u64,
    text: String,
}

impl CpuQuantity {
    /// The amount in thousandths of a core.
    #[must_use]
    pub fn millicores(&self) -> u64 {
        self.millicores
    }
}

impl StringValue for CpuQuantity {
    const NAME: &'static str = "CpuQuantity";
    const PATTERN: &'static str = "^([0-9]+m|[0-9]+(\\.[0-9]{1,3})?)$";
    const EXPECTED: &'static str =
        "a Kubernetes CPU quantity: millicores such as `250m`, or cores such as `0.5` or `2`";
    const EXAMPLES: &'static [&'static str] = &["250m", "500m", "1", "1.5"];
}

impl FromStr for CpuQuantity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let millicores = if let Some(m) = s.strip_suffix('m') {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "`{s}`: millicores are a whole number before `m`, such as `250m`"
                ));
            }
            m.parse::<u64>()
                .map_err(|_| format!("`{s}` is too large"))?
        } else {
            let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
            let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
            if whole.is_empty() || !digits(whole) || !digits(frac) || s.ends_with('.') {
                return Err(
                    match s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.') {
                        "" => format!("`{s}` is not a number of cores"),
                        unit => format!(
                            "unknown CPU unit `{unit}`; write millicores with `m` (`500m`) or plain cores (`0.5`)"
                        ),
                    },
                );
            }
            if frac.len() > 3 {
                return Err(format!(
                    "`{s}` is finer than a millicore; Kubernetes rounds it, write `{}m`",
                    (s.parse::<f64>().unwrap_or(0.0) * 1000.0).round()
                ));
            }
            let whole: u64 = whole.parse().map_err(|_| format!("`{s}` is too large"))?;
            let frac_milli: u64 = format!("{frac:0<3}").parse().unwrap_or(0);
            whole
                .checked_mul(1000)
                .and_then(|w| w.checked_add(frac_milli))
                .ok_or_else(|| format!("`{s}` is too large"))?
        };
        if millicores == 0 {
            return Err("a CPU quantity of zero gives the container no CPU".into());
        }
        Ok(Self {
            millicores,
            text: s.to_owned(),
        })
    }
}

impl fmt::Display for CpuQuantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

string_value_impls!(CpuQuantity);

/// A Kubernetes memory quantity: bytes with a binary (`Ki`, `Mi`, `Gi`, `Ti`)
/// or decimal (`k`, `M`, `G`, `T`) suffix, such as `512Mi` or `1G`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MemoryQuantity {
    bytes: u64,
    text: String,
}

const MEMORY_SUFFIXES: [(&str, u64); 8] = [
    ("Ki", 1 << 10),
    ("Mi", 1 << 20),
    ("Gi", 1 << 30),
    ("Ti", 1 << 40),
    ("k", 1_000),
    ("M", 1_000_000),
    ("G", 1_000_000_000),
    ("T", 1_000_000_000_000),
];

impl MemoryQuantity {
    /// The amount in bytes.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl StringValue for MemoryQuantity {
    const NAME: &'static str = "MemoryQuantity";
    const PATTERN: &'static str = "^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$";
    const EXPECTED: &'static str = "a Kubernetes memory quantity: a whole number with a suffix `Ki`, `Mi`, `Gi`, `Ti` (binary) or `k`, `M`, `G`, `T` (decimal), such as `512Mi`";
    const EXAMPLES: &'static [&'static str] = &["256Mi", "512Mi", "1Gi"];
}

impl FromStr for MemoryQuantity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("`{s}` must start with a whole number"));
        }
        let (number, suffix) = s.split_at(digits);
        let factor = if suffix.is_empty() {
            1
        } else {
            let Some((_, f)) = MEMORY_SUFFIXES.iter().find(|(u, _)| *u == suffix) else {
                let hint = match suffix {
                    "m" => " (`m` means thousandths in Kubernetes; did you mean `M` or `Mi`?)"
                        .to_owned(),
                    "K" | "KB" | "kb" | "KiB" => " (did you mean `Ki`?)".to_owned(),
                    "MB" | "mb" | "MiB" => " (did you mean `Mi`?)".to_owned(),
                    "GB" | "gb" | "GiB" => " (did you mean `Gi`?)".to_owned(),
                    _ => String::new(),
                };
                return Err(format!(
                    "unknown memory suffix `{suffix}`{hint}; use `Ki`, `Mi`, `Gi`, `Ti`, `k`, `M`, `G` or `T`"
                ));
            };
            *f
        };
        let bytes = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(factor))
            .ok_or_else(|| format!("`{s}` is too large"))?;
        if bytes == 0 {
            return Err("a memory quantity of zero gives the container no memory".into());
        }
        Ok(Self {
            bytes,
            text: s.to_owned(),
        })
    }
}

impl fmt::Display for MemoryQuantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

string_value_impls!(MemoryQuantity);
