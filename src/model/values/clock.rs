use std::fmt;
use std::str::FromStr;

use super::{StringValue, string_value_impls};

/// A time of day, `HH:MM` on the 24-hour clock (`02:00`), in the cluster's time zone (UTC unless configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime {
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
}

impl StringValue for ClockTime {
    const NAME: &'static str = "ClockTime";
    const PATTERN: &'static str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
    const EXPECTED: &'static str = "a time of day as `HH:MM` on the 24-hour clock";
    const EXAMPLES: &'static [&'static str] = &["02:00", "23:30"];
}

impl FromStr for ClockTime {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (h, m) = s
            .split_once(':')
            .ok_or_else(|| format!("`{s}` has no `:` between hours and minutes"))?;
        let two_digits = |p: &str| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(h) || !two_digits(m) {
            return Err(format!("`{s}` is not `HH:MM` with two digits each"));
        }
        let (hour, minute): (u8, u8) = (h.parse().unwrap_or(99), m.parse().unwrap_or(99));
        if hour > 23 {
            return Err(format!("hour {hour} is out of range 00–23"));
        }
        if minute > 59 {
            return Err(format!("minute {minute} is out of range 00–59"));
        }
        Ok(Self { hour, minute })
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

string_value_impls!(ClockTime);
