//! Plain-scalar resolution with YAML 1.2 core semantics, as the seed's authors read it.
//!
//! Only the YAML 1.2 core schema spellings of `null`, booleans and numbers are
//! recognised. Everything else stays a string, in particular the YAML 1.1 words
//! `yes`/`no`/`on`/`off`, numbers with leading zeros (`012`), underscores
//! (`1_000`) and sexagesimal-looking values (`02:00`). This matches what
//! `serde_yaml` (and the maintained forks) produce, so the files mean the same
//! here as in the users' other tools.

use super::tree::NodeKind;

/// Resolves an unquoted scalar to its typed value.
#[must_use]
pub fn resolve_plain(text: &str) -> NodeKind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return NodeKind::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return NodeKind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return NodeKind::Float(f64::NAN),
        _ => {}
    }
    if let Some(int) = resolve_int(text) {
        return int;
    }
    if is_float(text)
        && let Ok(value) = text.parse::<f64>()
    {
        return NodeKind::Float(value);
    }
    NodeKind::Str(text.to_owned())
}

fn resolve_int(text: &str) -> Option<NodeKind> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, body) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(oct) = digits.strip_prefix("0o") {
        (8, oct)
    } else {
        // A decimal with a leading zero (`012`) is a string, not an octal or 12.
        if digits.len() > 1 && digits.starts_with('0') {
            return None;
        }
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(body, radix).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    Some(match i64::try_from(value) {
        Ok(v) => NodeKind::Int(v),
        // Too large for an integer: YAML still reads a number.
        Err(_) => NodeKind::Float(value as f64),
    })
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac_part {
        None => !int_part.is_empty() && all_digits(int_part),
        Some(f) => all_digits(int_part) && all_digits(f) && !(int_part.is_empty() && f.is_empty()),
    };
    // A leading zero before more digits reads as a string, like integers.
    let leading_zero = int_part.len() > 1 && int_part.starts_with('0');
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok && !leading_zero
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> NodeKind {
        resolve_plain(s)
    }

    #[test]
    fn yaml_1_1_words_stay_strings() {
        for word in ["yes", "no", "on", "off", "NO", "Yes", "y", "n", "OFF"] {
            assert_eq!(kind(word), NodeKind::Str(word.into()), "{word}");
        }
    }

    #[test]
    fn core_schema_values_resolve() {
        assert_eq!(kind("true"), NodeKind::Bool(true));
        assert_eq!(kind("FALSE"), NodeKind::Bool(false));
        assert_eq!(kind("~"), NodeKind::Null);
        assert_eq!(kind("42"), NodeKind::Int(42));
        assert_eq!(kind("-7"), NodeKind::Int(-7));
        assert_eq!(kind("0"), NodeKind::Int(0));
        assert_eq!(kind("0x1f"), NodeKind::Int(31));
        assert_eq!(kind("0o17"), NodeKind::Int(15));
        assert_eq!(kind("1.5"), NodeKind::Float(1.5));
        assert_eq!(kind("1e3"), NodeKind::Float(1000.0));
        assert_eq!(kind(".5"), NodeKind::Float(0.5));
    }

    #[test]
    fn ambiguous_numbers_stay_strings() {
        for s in [
            "012", "1_000", "02:00", "0.5.1", "1e", "+", "0012.5", "10M", "500m",
        ] {
            assert_eq!(kind(s), NodeKind::Str(s.into()), "{s}");
        }
    }
}
