//! `alert_rules.yml` and its promtool unit tests: recording rules for the
//! application metrics and the business ratios, availability and saturation
//! alerts, business alerts. Each alert carries the scenarios that prove it:
//! series it must fire on (after its `for:`) and series it must stay quiet on.

use serde::Serialize;

use super::promql::{
    self, DerivedRatio, RATE_WINDOW, camel, comparison, derived_ratio, holds, humanize,
    humanize_percentage, number, period_count, plain_safe, range, scaled_value, single_quoted,
    words,
};
use super::routing::{self, AlertClass};
use super::{Names, fmt_secs};
use crate::model::Config;
use crate::model::monitoring::{AppMetric, BusinessMetric};
use crate::model::values::{Comparison, ThresholdUnit};

/// Share of 5xx answers above which `HighErrorRate` fires. monitoring.yaml
/// names the `error_rate` metric but no threshold for it; 5% is the common SLO
/// burn line and is stated in the alert's summary.
pub const ERROR_RATIO_THRESHOLD: f64 = 0.05;

/// Filesystems that are not disks (`node_exporter` reports them too).
pub const PSEUDO_FILESYSTEMS: &str = "tmpfs|overlay|squashfs";

/// Name of the alert on the app's scrape target.
pub const APP_DOWN: &str = "AppDown";

pub use crate::plan::monitoring::dependencies::APP_NOT_READY;

/// The app's readiness per dependency (`dependency` label; 1 up, 0 down): part of the
/// metric contract (`app/README.md`), evaluated by the app on every scrape.
pub const DEPENDENCY_UP: &str = "app_dependency_up";

// Recorded series names (`level:metric:operations`).
const REQUEST_RATE: &str = "job:http_requests:rate5m";
const LATENCY_P99: &str = "job:http_request_duration_seconds:p99_rate5m";
const ERROR_RATIO: &str = "job:http_request_errors:ratio_rate5m";
const ACTIVE_USERS: &str = "job:active_users:sum";

/// A rule group as the template lays it out.
#[derive(Debug, Serialize)]
pub struct Group {
    /// Comment lines above the group: what it leaves out, and why.
    pub note: Vec<String>,
    /// Group name.
    pub name: String,
    /// Rules.
    pub rules: Vec<Rule>,
}

/// One recording or alerting rule as the template lays it out.
#[derive(Debug, Serialize, Default)]
pub struct Rule {
    /// Comment lines above the rule: where it comes from.
    pub comment: Vec<String>,
    /// Recorded series name.
    pub record: Option<String>,
    /// Alert name.
    pub alert: Option<String>,
    /// The expression, one line per element.
    pub expr: Vec<String>,
    /// Whether the single-line expression stands as a plain scalar.
    pub inline: bool,
    /// `for:`.
    pub wait: Option<String>,
    /// The `severity` label.
    pub severity: Option<&'static str>,
    /// `summary` annotation (YAML-quoted).
    pub summary: Option<String>,
    /// `description` annotation (YAML-quoted).
    pub description: Option<String>,
}

/// Values of one input series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Values {
    /// A counter from 0, growing this much per minute.
    Counter(f64),
    /// A constant.
    Gauge(f64),
    /// `before` for the first `minutes` samples, then `after`.
    Step {
        /// Value before.
        before: f64,
        /// Minutes before the step.
        minutes: u64,
        /// Value after.
        after: f64,
    },
}

impl Values {
    /// promtool's expanding notation for `samples` samples at 1m intervals.
    fn notation(self, samples: u64) -> String {
        let n = samples.saturating_sub(1);
        match self {
            Self::Counter(step) => format!("0+{}x{n}", number(step)),
            Self::Gauge(v) => format!("{}x{n}", number(v)),
            Self::Step {
                before,
                minutes,
                after,
            } => format!(
                "{}x{} {}x{}",
                number(before),
                minutes.saturating_sub(1),
                number(after),
                samples.saturating_sub(minutes + 1)
            ),
        }
    }
}

/// A situation an alert is tested on.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// What it shows, for the test name.
    pub what: String,
    /// Input series: selector and values.
    pub series: Vec<(String, Values)>,
    /// Seconds from the start by which the condition holds with full windows.
    pub ready: u64,
    /// For firing scenarios: the alert's labels (without `severity`) and `$value`.
    pub fires: Option<(Vec<(String, String)>, f64)>,
}

impl Scenario {
    /// The earliest second the condition can hold: a lone step's time (before it the
    /// input keeps its healthy value), otherwise the start, since windows may fill early.
    fn earliest(&self) -> u64 {
        match self.series.as_slice() {
            [(_, Values::Step { minutes, .. })] => minutes * 60,
            _ => 0,
        }
    }
}

/// An alert with the scenarios that prove it.
#[derive(Debug, Clone)]
pub struct Alert {
    /// Alert name.
    pub name: String,
    /// What kind of problem; decides the severity.
    pub class: AlertClass,
    /// Comment lines: the config it comes from.
    pub comment: Vec<String>,
    /// The expression lines.
    pub expr: Vec<String>,
    /// `summary` (may hold `{{ $labels.x }}` / `{{ $value | … }}`).
    pub summary: String,
    /// `description`.
    pub description: String,
    /// Test scenarios.
    pub scenarios: Vec<Scenario>,
}

/// Input series of a test: selector and values.
pub type SeriesSet = Vec<(String, Values)>;

/// A recording rule with a sample that proves it.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Comment lines.
    pub comment: Vec<String>,
    /// Recorded name.
    pub record: String,
    /// Expression lines.
    pub expr: Vec<String>,
    /// Input series for its test.
    pub series: Vec<(String, Values)>,
    /// The expression the test evaluates (the record, or a rounding of it).
    pub check: String,
    /// Its expected value.
    pub value: f64,
    /// Further cases: what they show, their series, the expected value.
    pub more: Vec<(String, SeriesSet, f64)>,
}

pub(super) fn sel(metric: &str, labels: &[(&str, &str)]) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{metric}{{{}}}", inner.join(", "))
}

pub(super) fn owned(labels: &[(&str, &str)]) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

mod business;
mod promtool;
mod recordings;
mod service;

pub use business::business_alerts;
pub use promtool::{AlertCheck, Expected, ExprCheck, Test, tests};
pub use recordings::recordings;
pub use service::service_alerts;

/// Rounds to six decimals (test data in expanding notation).
pub(super) fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// A firing scenario above a share threshold and a quiet one below it; a
/// threshold of 100% cannot be exceeded, so it gets only the quiet one.
pub(super) fn threshold_scenarios(
    t: f64,
    over: &dyn Fn(f64) -> f64,
    under: &dyn Fn(f64) -> f64,
    series: &dyn Fn(f64) -> Vec<(String, Values)>,
    ready: u64,
    labels: &[(&str, &str)],
) -> Vec<Scenario> {
    let mut out = Vec::new();
    let hi = over(t);
    if hi > t {
        out.push(Scenario {
            what: format!("{} use", humanize_percentage(hi)),
            series: series(hi),
            ready,
            fires: Some((owned(labels), hi)),
        });
    }
    let lo = under(t);
    out.push(Scenario {
        what: format!("{} use", humanize_percentage(lo)),
        series: series(lo),
        ready,
        fires: None,
    });
    out
}

/// The rule groups of `alert_rules.yml`.
#[must_use]
pub fn groups(
    config: &Config,
    names: &Names,
    recordings: &[Recording],
    service: &[Alert],
    business: &[Alert],
) -> Vec<Group> {
    let project = names.project.as_str();
    let mut groups = Vec::new();
    if !recordings.is_empty() {
        groups.push(Group {
            note: Vec::new(),
            name: format!("{project}-recording"),
            rules: recordings
                .iter()
                .map(|r| Rule {
                    comment: r.comment.clone(),
                    record: Some(r.record.clone()),
                    inline: r.expr.len() == 1 && plain_safe(&r.expr[0]),
                    expr: r.expr.clone(),
                    ..Rule::default()
                })
                .collect(),
        });
    }
    for (suffix, alerts) in [("service", service), ("business", business)] {
        if alerts.is_empty() {
            continue;
        }
        groups.push(Group {
            note: if suffix == "service" {
                crate::plan::monitoring::containers::note(names)
            } else {
                Vec::new()
            },
            name: format!("{project}-{suffix}"),
            rules: alerts.iter().map(|a| alert_rule(config, a)).collect(),
        });
    }
    groups
}

/// Seconds an alert's condition must hold, whatever its severity's escalation
/// says: AppDown waits one minute, so one failed scrape (30 s apart) never pages.
fn min_wait_secs(alert: &Alert) -> u64 {
    if alert.name == APP_DOWN { 60 } else { 0 }
}

/// The `for:` of an alert: its severity's escalation wait, at least [`min_wait_secs`].
fn alert_wait(alerts: &crate::model::monitoring::Alerts, a: &Alert) -> u64 {
    let severity = routing::severity(alerts, a.class);
    routing::wait(alerts, severity)
        .map_or(0, |d| d.as_secs())
        .max(min_wait_secs(a))
}

pub(super) fn alert_rule(config: &Config, a: &Alert) -> Rule {
    let alerts = &config.monitoring.alerts;
    let severity = routing::severity(alerts, a.class);
    Rule {
        comment: a.comment.clone(),
        record: None,
        alert: Some(a.name.clone()),
        inline: a.expr.len() == 1 && plain_safe(&a.expr[0]),
        expr: a.expr.clone(),
        wait: Some(alert_wait(alerts, a))
            .filter(|s| *s > 0)
            .map(|s| crate::model::values::Duration::from_secs(s).to_string()),
        severity: Some(routing::severity_name(severity)),
        summary: Some(yaml_quoted(&a.summary)),
        description: Some(yaml_quoted(&a.description)),
    }
}

fn yaml_quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The annotation text Prometheus renders for `$labels` and `$value`.
#[must_use]
pub fn expand(template: &str, labels: &[(String, String)], value: f64) -> String {
    let mut s = template
        .replace(
            "{{ $value | humanizePercentage }}",
            &humanize_percentage(value),
        )
        .replace("{{ $value | humanize }}", &humanize(value));
    for (k, v) in labels {
        s = s.replace(&format!("{{{{ $labels.{k} }}}}"), v);
    }
    s
}
