//! Mapping rules from monitoring.yaml values to PromQL, and the formatting of
//! numbers the way Prometheus prints them (for the rule unit tests, which
//! compare rendered annotations as text).

use crate::model::values::{Comparison, MetricName, Threshold, ThresholdUnit};

/// The rate window of every recording rule and ratio alert.
pub const RATE_WINDOW: u64 = 300;

/// Outcome label values a derived ratio may select: the `outcome` values of
/// the app's metric contract (`orders_total{outcome="success"|"failed"}`).
pub const OUTCOMES: [&str; 2] = ["success", "failed"];

/// A ratio metric that cfgen records from an outcome counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedRatio {
    /// The counter, `<entity>s_total`.
    pub counter: String,
    /// The `outcome` label value the numerator selects.
    pub outcome: &'static str,
    /// The other outcome (for test data).
    pub other_outcome: &'static str,
}

/// The counter behind a ratio metric, by the naming rule of the metric contract:
/// `<entity>_<outcome>_rate` (or `_ratio`), with `<outcome>` one of [`OUTCOMES`],
/// is the share of `<entity>s_total{outcome="<outcome>"}` among all of
/// `<entity>s_total`: `order_success_rate` ← `orders_total`,
/// `payment_success_rate` ← `payments_total`, `payment_failed_rate` ←
/// `payments_total{outcome="failed"}`. Any other name (`error_rate`,
/// `cache_hit_ratio`) is taken as a metric the app exports itself: `None`.
#[must_use]
pub fn derived_ratio(metric: &str) -> Option<DerivedRatio> {
    let stem = metric
        .strip_suffix("_rate")
        .or_else(|| metric.strip_suffix("_ratio"))?;
    let (entity, outcome) = stem.rsplit_once('_')?;
    let outcome = OUTCOMES.into_iter().find(|o| *o == outcome)?;
    if entity.is_empty() || entity.ends_with('_') {
        return None;
    }
    let other_outcome = OUTCOMES.into_iter().find(|o| *o != outcome)?;
    Some(DerivedRatio {
        counter: format!("{entity}s_total"),
        outcome,
        other_outcome,
    })
}

/// The recording rule expression of a derived ratio, over [`RATE_WINDOW`], per job.
#[must_use]
pub fn ratio_expr(ratio: &DerivedRatio) -> Vec<String> {
    let window = range(RATE_WINDOW);
    vec![
        format!(
            "sum by (job) (rate({}{{outcome=\"{}\"}}[{window}]))",
            ratio.counter, ratio.outcome
        ),
        "  /".to_owned(),
        format!("sum by (job) (rate({}[{window}]))", ratio.counter),
    ]
}

/// A threshold's value on the metric's own scale: a percentage becomes a
/// ratio (`95%` → `0.95`); plain numbers and per-period counts stay as written.
#[must_use]
pub fn scaled_value(threshold: &Threshold) -> f64 {
    match threshold.unit {
        ThresholdUnit::Percent => threshold.value / 100.0,
        ThresholdUnit::Plain | ThresholdUnit::Per(..) => threshold.value,
    }
}

/// The comparison as PromQL: `< 0.95`.
#[must_use]
pub fn comparison(threshold: &Threshold) -> String {
    format!(
        "{} {}",
        threshold.comparison.operator(),
        number(scaled_value(threshold))
    )
}

/// What a per-period counter threshold (`< 10/hour`) measures: the count of
/// events in the period. Periods of at least [`RATE_WINDOW`] count with
/// `increase` over the period itself (`sum(increase(x[1h])) < 10`); shorter
/// periods (`/second`, `/minute`) are too short to hold enough scrapes, so the
/// per-second rate over [`RATE_WINDOW`] is scaled to the period
/// (`sum(rate(x[5m])) * 60 < 10` for `/minute`). Returns the expression and
/// the window it reads.
#[must_use]
pub fn period_count(counter: &str, selector: &str, period_secs: u64) -> (String, u64) {
    if period_secs >= RATE_WINDOW {
        (
            format!(
                "sum by (job) (increase({counter}{selector}[{}]))",
                range(period_secs)
            ),
            period_secs,
        )
    } else {
        let rate = format!(
            "sum by (job) (rate({counter}{selector}[{}]))",
            range(RATE_WINDOW)
        );
        let expr = if period_secs == 1 {
            rate
        } else {
            format!("{rate} * {period_secs}")
        };
        (expr, RATE_WINDOW)
    }
}

/// A PromQL range / duration: `5m`, `1h`, `1d`.
#[must_use]
pub fn range(secs: u64) -> String {
    crate::model::values::Duration::from_secs(secs).to_string()
}

/// A number as PromQL and YAML write it: shortest round-trip form, never an
/// exponent (`0.95`, `536870912`).
#[must_use]
pub fn number(v: f64) -> String {
    format!("{v}")
}

/// Words for a comparison, for summaries: `below`, `at or above`…
#[must_use]
pub fn words(c: Comparison) -> &'static str {
    match c {
        Comparison::Below => "below",
        Comparison::AtMost => "at or below",
        Comparison::Above => "above",
        Comparison::AtLeast => "at or above",
    }
}

/// Whether a value satisfies the comparison (for choosing test data).
#[must_use]
pub fn holds(c: Comparison, value: f64, limit: f64) -> bool {
    match c {
        Comparison::Below => value < limit,
        Comparison::AtMost => value <= limit,
        Comparison::Above => value > limit,
        Comparison::AtLeast => value >= limit,
    }
}

/// `UpperCamelCase` of a metric name without its `_total` suffix, for alert names:
/// `user_registrations_total` → `UserRegistrations`.
#[must_use]
pub fn camel(metric: &MetricName) -> String {
    let name = metric.as_str();
    let name = name.strip_suffix("_total").unwrap_or(name);
    name.split(['_', ':'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// Go's `%.4g` for the magnitudes the tests use (`1e-4 ≤ |v| < 1e4`, or 0):
/// four significant digits, trailing zeros dropped.
#[must_use]
pub fn g4(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    // 1e-4 ≤ |v| < 1e4, so the exponent fits an i32 and the digit count is 0..=7.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let decimals = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Prometheus' `humanizePercentage` template function.
#[must_use]
pub fn humanize_percentage(v: f64) -> String {
    format!("{}%", g4(v * 100.0))
}

/// Prometheus' `humanize` template function (SI prefixes, four significant digits).
#[must_use]
pub fn humanize(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return g4(v);
    }
    let mut v = v;
    if v.abs() >= 1.0 {
        let mut prefix = "";
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
        return format!("{}{prefix}", g4(v));
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}", g4(v))
}

/// A YAML single-quoted scalar (for series selectors, which are full of `"`).
#[must_use]
pub fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Whether an expression can stand as a plain YAML scalar on one line.
#[must_use]
pub fn plain_safe(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| "{[]}\"'&*!|>%@`#,?:-".contains(c) || c.is_whitespace())
        && !s.ends_with(char::is_whitespace)
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !s.contains('\n')
}
