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

pub use super::dependencies::APP_NOT_READY;

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

/// The recording rules: one per `application.metrics` entry and one per
/// business ratio cfgen can derive.
#[must_use]
pub fn recordings(config: &Config, names: &Names) -> Vec<Recording> {
    let job = names.app_job.as_str();
    let requests = |status: &str, per_min: f64| {
        (
            sel(
                "http_requests_total",
                &[
                    ("job", job),
                    ("route", "/orders"),
                    ("method", "POST"),
                    ("status", status),
                ],
            ),
            Values::Counter(per_min),
        )
    };
    let mut metrics = (*config.monitoring.application.metrics).clone();
    metrics.sort();
    metrics.dedup();
    let mut out = Vec::new();
    for m in metrics {
        let source = format!(
            "application.metrics: {}",
            serde_json::to_value(m)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        );
        out.push(match m {
            AppMetric::RequestCount => Recording {
                comment: vec![source, "requests per second, per job".into()],
                record: REQUEST_RATE.into(),
                expr: vec![format!(
                    "sum by (job) (rate(http_requests_total[{}]))",
                    range(RATE_WINDOW)
                )],
                series: vec![requests("201", 90.0), requests("500", 30.0)],
                check: REQUEST_RATE.into(),
                value: 2.0,
                more: Vec::new(),
            },
            AppMetric::RequestDuration => {
                let bucket = |le: &str, per_min: f64| {
                    (
                        sel(
                            "http_request_duration_seconds_bucket",
                            &[
                                ("job", job),
                                ("route", "/orders"),
                                ("method", "POST"),
                                ("le", le),
                            ],
                        ),
                        Values::Counter(per_min),
                    )
                };
                Recording {
                    comment: vec![source, "99th percentile latency in seconds, per job".into()],
                    record: LATENCY_P99.into(),
                    expr: vec![format!(
                        "histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket[{}])))",
                        range(RATE_WINDOW)
                    )],
                    // half the requests within 100ms, all within 500ms: p99 = 0.1 + 0.4 × 0.98
                    series: vec![
                        bucket("0.1", 60.0),
                        bucket("0.5", 120.0),
                        bucket("+Inf", 120.0),
                    ],
                    check: format!("round({LATENCY_P99} * 1000)"),
                    value: 492.0,
                    more: Vec::new(),
                }
            }
            AppMetric::ErrorRate => Recording {
                comment: vec![
                    source,
                    "share of requests answered 5xx, per job; 0 until the first 5xx".into(),
                    "creates the app's error series".into(),
                ],
                record: ERROR_RATIO.into(),
                expr: vec![
                    format!(
                        "(sum by (job) (rate(http_request_errors_total[{w}])) or 0 * sum by (job) (rate(http_requests_total[{w}])))",
                        w = range(RATE_WINDOW)
                    ),
                    "  /".into(),
                    format!(
                        "sum by (job) (rate(http_requests_total[{}]))",
                        range(RATE_WINDOW)
                    ),
                ],
                series: vec![
                    requests("201", 90.0),
                    requests("500", 30.0),
                    (
                        sel(
                            "http_request_errors_total",
                            &[
                                ("job", job),
                                ("route", "/orders"),
                                ("method", "POST"),
                                ("status", "500"),
                            ],
                        ),
                        Values::Counter(30.0),
                    ),
                ],
                check: ERROR_RATIO.into(),
                value: 0.25,
                more: vec![(
                    "no 5xx yet".into(),
                    vec![requests("201", 90.0)],
                    0.0,
                )],
            },
            AppMetric::ActiveUsers => Recording {
                comment: vec![
                    source,
                    "users active in the last 5 minutes; each replica counts its own,".into(),
                    "so with several replicas this is an upper bound".into(),
                ],
                record: ACTIVE_USERS.into(),
                expr: vec!["sum by (job) (active_users)".into()],
                series: vec![(
                    sel("active_users", &[("job", job), ("instance", &names.app_target)]),
                    Values::Gauge(7.0),
                )],
                check: ACTIVE_USERS.into(),
                value: 7.0,
                more: Vec::new(),
            },
        });
    }
    let mut seen = Vec::new();
    for (i, b) in config.monitoring.business.iter().enumerate() {
        let Some(ratio) = derived_ratio(b.metric.as_str()) else {
            continue;
        };
        if seen.contains(&b.metric.as_str().to_owned()) {
            continue;
        }
        seen.push(b.metric.as_str().to_owned());
        out.push(Recording {
            comment: vec![
                format!("business[{i}]: {} ({})", b.metric, b.name),
                format!(
                    "share of {}{{outcome=\"{}\"}} among all {}",
                    ratio.counter, ratio.outcome, ratio.counter
                ),
            ],
            record: b.metric.as_str().to_owned(),
            expr: promql::ratio_expr(&ratio),
            series: vec![
                (
                    sel(&ratio.counter, &[("job", job), ("outcome", ratio.outcome)]),
                    Values::Counter(90.0),
                ),
                (
                    sel(
                        &ratio.counter,
                        &[("job", job), ("outcome", ratio.other_outcome)],
                    ),
                    Values::Counter(30.0),
                ),
            ],
            check: b.metric.as_str().to_owned(),
            value: 0.75,
            more: Vec::new(),
        });
    }
    out
}

/// Availability and saturation alerts.
#[must_use]
pub fn service_alerts(config: &Config, names: &Names) -> Vec<Alert> {
    let job = names.app_job.as_str();
    let app = names.app_target.as_str();
    let mut out = Vec::new();

    out.push(Alert {
        name: APP_DOWN.into(),
        class: AlertClass::Availability,
        comment: vec![format!("scrape job {job}: the app does not answer on its metrics path")],
        expr: vec![format!("up{{job=\"{job}\"}} == 0")],
        summary: "{{ $labels.job }} target {{ $labels.instance }} is down".into(),
        description: "Prometheus cannot scrape {{ $labels.instance }}: the process is down or does not answer on its metrics path.".into(),
        scenarios: vec![
            Scenario {
                what: "a failed scrape".into(),
                series: vec![(
                    sel("up", &[("job", job), ("instance", app)]),
                    Values::Step { before: 1.0, minutes: 2, after: 0.0 },
                )],
                ready: 120,
                fires: Some((owned(&[("job", job), ("instance", app)]), 0.0)),
            },
            Scenario {
                what: "successful scrapes".into(),
                series: vec![(sel("up", &[("job", job), ("instance", app)]), Values::Gauge(1.0))],
                ready: 120,
                fires: None,
            },
        ],
    });

    out.extend(super::dependencies::alerts(names));

    if config
        .monitoring
        .application
        .metrics
        .contains(&AppMetric::ErrorRate)
    {
        let errors = |requests: f64, failed: f64| {
            let labels = |status| {
                [
                    ("job", job),
                    ("route", "/orders"),
                    ("method", "POST"),
                    ("status", status),
                ]
            };
            vec![
                (
                    sel("http_requests_total", &labels("201")),
                    Values::Counter(requests - failed),
                ),
                (
                    sel("http_requests_total", &labels("500")),
                    Values::Counter(failed),
                ),
                (
                    sel("http_request_errors_total", &labels("500")),
                    Values::Counter(failed),
                ),
            ]
        };
        out.push(Alert {
            name: "HighErrorRate".into(),
            class: AlertClass::Availability,
            comment: vec![format!(
                "application.metrics: error_rate; more than {} of requests fail (cfgen's default:",
                humanize_percentage(ERROR_RATIO_THRESHOLD)
            ), "monitoring.yaml gives no error threshold)".into()],
            expr: vec![format!(
                "{ERROR_RATIO}{{job=\"{job}\"}} > {}",
                number(ERROR_RATIO_THRESHOLD)
            )],
            summary: format!(
                "More than {} of {{{{ $labels.job }}}} requests fail",
                humanize_percentage(ERROR_RATIO_THRESHOLD)
            ),
            description: "{{ $value | humanizePercentage }} of requests were answered with 5xx over the last 5 minutes.".into(),
            scenarios: vec![
                Scenario {
                    what: "10% errors".into(),
                    series: errors(100.0, 10.0),
                    ready: RATE_WINDOW,
                    fires: Some((owned(&[("job", job)]), 0.1)),
                },
                Scenario {
                    what: "1% errors".into(),
                    series: errors(100.0, 1.0),
                    ready: RATE_WINDOW,
                    fires: None,
                },
            ],
        });
    }

    out.extend(super::containers::alerts(config, names));
    let infra = &config.monitoring.infrastructure;
    // Test data: halfway between the threshold and 100% fires, half the threshold does not.
    let over = |t: f64| (t + 1.0) / 2.0;
    let under = |t: f64| t / 2.0;

    let node = names.node_job.as_str();
    let node_target = names.node_target.as_str();
    let disk_t = infra.disk_threshold.value() / 100.0;
    let fs_labels = [
        ("job", node),
        ("instance", node_target),
        ("device", "/dev/sda1"),
        ("fstype", "ext4"),
        ("mountpoint", "/"),
    ];
    let size = 100_000_000_000.0;
    let disk = |used: f64| {
        vec![
            (
                sel("node_filesystem_size_bytes", &fs_labels),
                Values::Gauge(size),
            ),
            (
                sel("node_filesystem_avail_bytes", &fs_labels),
                Values::Gauge(((1.0 - used) * size).round()),
            ),
        ]
    };
    let fs = format!("{{job=\"{node}\", fstype!~\"{PSEUDO_FILESYSTEMS}\"}}");
    out.push(Alert {
        name: "NodeDiskFull".into(),
        class: AlertClass::Saturation,
        comment: vec![format!(
            "infrastructure.disk_threshold: {}% of a node filesystem used (node_exporter)",
            infra.disk_threshold
        )],
        expr: vec![format!(
            "1 - node_filesystem_avail_bytes{fs} / node_filesystem_size_bytes{fs} > {}",
            number(disk_t)
        )],
        summary: format!(
            "{{{{ $labels.mountpoint }}}} on {{{{ $labels.instance }}}} is more than {}% full",
            infra.disk_threshold
        ),
        description: "{{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} is {{ $value | humanizePercentage }} full.".into(),
        scenarios: threshold_scenarios(disk_t, &over, &under, &disk, 60, &fs_labels),
    });

    let net_t = infra.network_threshold.value() / 100.0;
    let nic = [("job", node), ("instance", node_target), ("device", "eth0")];
    let speed = 125_000_000.0; // 1 Gbit/s
    let net = |share: f64| {
        vec![
            (sel("node_network_speed_bytes", &nic), Values::Gauge(speed)),
            (
                sel("node_network_receive_bytes_total", &nic),
                Values::Counter(round6(share * speed * 60.0)),
            ),
            (
                sel("node_network_transmit_bytes_total", &nic),
                Values::Counter(0.0),
            ),
        ]
    };
    let nic_rate = |dir: &str| {
        format!(
            "rate(node_network_{dir}_bytes_total{{job=\"{node}\"}}[{}]) / (node_network_speed_bytes{{job=\"{node}\"}} > 0) > {}",
            range(RATE_WINDOW),
            number(net_t)
        )
    };
    out.push(Alert {
        name: "NodeNetworkSaturated".into(),
        class: AlertClass::Saturation,
        comment: vec![
            format!(
                "infrastructure.network_threshold: {}% of a node interface's link speed, either direction",
                infra.network_threshold
            ),
            "(interfaces without a speed, such as lo and veth, report none and are skipped)".into(),
        ],
        expr: vec![nic_rate("receive"), "or".into(), nic_rate("transmit")],
        summary: format!(
            "{{{{ $labels.device }}}} on {{{{ $labels.instance }}}} carries more than {}% of its link speed",
            infra.network_threshold
        ),
        description: "{{ $labels.device }} on {{ $labels.instance }} ran at {{ $value | humanizePercentage }} of its link speed over the last 5 minutes.".into(),
        scenarios: threshold_scenarios(net_t, &over, &under, &net, RATE_WINDOW, &nic),
    });
    out
}

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

/// Business alerts from `alert_threshold`.
#[must_use]
pub fn business_alerts(config: &Config, names: &Names) -> Vec<Alert> {
    let mut out: Vec<Alert> = Vec::new();
    for (i, b) in config.monitoring.business.iter().enumerate() {
        let mut alert = business_alert(i, b, names);
        let base = alert.name.clone();
        let mut n = 2;
        while out.iter().any(|a| a.name == alert.name) {
            alert.name = format!("{base}{n}");
            n += 1;
        }
        out.push(alert);
    }
    out
}

fn business_alert(index: usize, b: &BusinessMetric, names: &Names) -> Alert {
    let job = names.app_job.as_str();
    let metric = b.metric.as_str();
    let t = &b.alert_threshold;
    let value = scaled_value(t);
    let suffix = match t.comparison {
        Comparison::Below | Comparison::AtMost => "Low",
        Comparison::Above | Comparison::AtLeast => "High",
    };
    let name = format!("{}{suffix}", camel(&b.metric));
    let limit = match t.unit {
        ThresholdUnit::Percent => format!("{}%", number(t.value)),
        ThresholdUnit::Per(_, period) => format!("{} per {period}", number(t.value)),
        ThresholdUnit::Plain => number(t.value),
    };
    let summary = format!("{}: {metric} {} {limit}", b.name, words(t.comparison));
    let comment = vec![format!("business[{index}]: {} {metric} {t}", b.name)];
    let job_labels = owned(&[("job", job)]);
    let is_ratio = metric.ends_with("_rate") || metric.ends_with("_ratio");

    // Per-period counts, and plain thresholds on a counter (its per-second rate).
    let period = match t.unit {
        ThresholdUnit::Per(secs, period) => Some((secs, period)),
        ThresholdUnit::Plain if metric.ends_with("_total") => Some((1, "second")),
        ThresholdUnit::Plain | ThresholdUnit::Percent => None,
    };
    if let Some((secs, period_name)) = period {
        let selector = format!("{{job=\"{job}\"}}");
        let (count, window) = period_count(metric, &selector, secs);
        let over_what = if secs >= RATE_WINDOW {
            format!("in the last {}", period_phrase(secs, period_name))
        } else {
            format!("per {period_name} over the last 5 minutes")
        };
        let counter = |per_min: f64| {
            vec![(
                sel(metric, &[("job", job), ("instance", &names.app_target)]),
                Values::Counter(per_min),
            )]
        };
        #[allow(clippy::cast_precision_loss)] // periods are small
        let per_period = |per_min: f64| per_min * secs as f64 / 60.0;
        #[allow(clippy::cast_precision_loss)]
        let busy = (value * 60.0 / secs as f64).floor() + 1.0;
        let mut scenarios = Vec::new();
        for (what, per_min) in [("no events", 0.0), ("steady events", busy)] {
            let v = per_period(per_min);
            let fires = holds(t.comparison, v, value);
            let (ready, at_ready) = if secs >= RATE_WINDOW {
                settled(per_min, secs, |x| holds(t.comparison, x, value) == fires)
            } else {
                (window, v)
            };
            scenarios.push(Scenario {
                what: format!("{what} ({} {over_what})", humanize(v)),
                series: counter(per_min),
                ready,
                fires: fires.then(|| (job_labels.clone(), at_ready)),
            });
        }
        return Alert {
            name,
            class: AlertClass::BusinessVolume,
            comment,
            expr: vec![format!("{count} {}", comparison(t))],
            summary,
            description: format!(
                "{{{{ $value | humanize }}}} {metric} {over_what} (alert when {t})."
            ),
            scenarios,
        };
    }

    let shown = if is_ratio {
        "{{ $value | humanizePercentage }}"
    } else {
        "{{ $value | humanize }}"
    };
    let description = format!("{metric} is {shown} (alert when {t}).");
    // Test data: halfway to the far end (0 or 1 for ratios), or half / double the value.
    let (far_low, far_high) = if is_ratio {
        (value / 2.0, (value + 1.0) / 2.0)
    } else {
        (value / 2.0, value * 2.0 + 1.0)
    };
    if let Some(ratio) = derived_ratio(metric) {
        let expr = vec![
            format!("{metric}{{job=\"{job}\"}} {}", comparison(t)),
            "and on (job)".into(),
            format!(
                "sum by (job) (rate({}{{job=\"{job}\"}}[{}])) > 0",
                ratio.counter,
                range(RATE_WINDOW)
            ),
        ];
        let mut scenarios = Vec::new();
        for share in [far_low, far_high] {
            if !(0.0..=1.0).contains(&share) {
                continue;
            }
            let hits = (share * 1000.0).round();
            let actual = hits / 1000.0;
            scenarios.push(Scenario {
                what: format!("{} {}", humanize_percentage(actual), ratio.outcome),
                series: outcome_series(&ratio, job, hits, 1000.0 - hits),
                ready: RATE_WINDOW,
                fires: holds(t.comparison, actual, value).then(|| (job_labels.clone(), actual)),
            });
        }
        scenarios.push(Scenario {
            what: format!("no {} at all", ratio.counter),
            series: outcome_series(&ratio, job, 0.0, 0.0),
            ready: RATE_WINDOW,
            fires: None,
        });
        let mut comment = comment;
        comment.push(format!(
            "recorded above from {}; quiet without traffic (no {} in 5 minutes)",
            ratio.counter, ratio.counter
        ));
        return Alert {
            name,
            class: AlertClass::BusinessRatio,
            comment,
            expr,
            summary,
            description: format!("{metric} is {shown} over the last 5 minutes (alert when {t})."),
            scenarios,
        };
    }

    // A metric the app exports itself: compared as exported, averaged over
    // replicas for ratios and summed for everything else.
    let agg = if is_ratio { "avg" } else { "sum" };
    let gauge = |v: f64| {
        vec![(
            sel(metric, &[("job", job), ("instance", &names.app_target)]),
            Values::Gauge(v),
        )]
    };
    let scenarios = [far_low, far_high]
        .into_iter()
        .map(|v| Scenario {
            what: format!(
                "{metric} at {}",
                if is_ratio {
                    humanize_percentage(v)
                } else {
                    humanize(v)
                }
            ),
            series: gauge(v),
            ready: 60,
            fires: holds(t.comparison, v, value).then(|| (job_labels.clone(), v)),
        })
        .collect();
    Alert {
        name,
        class: AlertClass::BusinessRatio,
        comment,
        expr: vec![format!(
            "{agg} by (job) ({metric}{{job=\"{job}\"}}) {}",
            comparison(t)
        )],
        summary,
        description,
        scenarios,
    }
}

/// When a counter growing `per_min` from 0 has settled on the side of the
/// threshold it ends on, counting `increase` over a window of `period`
/// seconds: the first minute at which `settled_side(count)` holds (the count
/// grows monotonically until the window is full, so it holds from then on),
/// and the count then. Before the window is full, `increase` over a counter
/// that starts at 0 is exactly the events so far (no extrapolation past
/// zero), so the unit tests need not wait a whole day for a `/day` threshold.
fn settled(per_min: f64, period: u64, settled_side: impl Fn(f64) -> bool) -> (u64, f64) {
    #[allow(clippy::cast_precision_loss)] // test times are small
    let count = |t: u64| per_min * t.min(period) as f64 / 60.0;
    let mut t = 60;
    while t < period && !settled_side(count(t)) {
        t += 60;
    }
    (t, count(t))
}

fn period_phrase(secs: u64, name: &str) -> String {
    match name {
        "hour" | "day" | "minute" | "second" => name.to_owned(),
        _ => fmt_secs(secs),
    }
}

fn outcome_series(
    ratio: &DerivedRatio,
    job: &str,
    hits: f64,
    others: f64,
) -> Vec<(String, Values)> {
    vec![
        (
            sel(&ratio.counter, &[("job", job), ("outcome", ratio.outcome)]),
            Values::Counter(hits),
        ),
        (
            sel(
                &ratio.counter,
                &[("job", job), ("outcome", ratio.other_outcome)],
            ),
            Values::Counter(others),
        ),
    ]
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
                super::containers::note(names)
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

/// One promtool test case.
#[derive(Debug, Serialize)]
pub struct Test {
    /// Name.
    pub name: String,
    /// Input series: (quoted selector, values).
    pub series: Vec<(String, String)>,
    /// Alert checks.
    pub alerts: Vec<AlertCheck>,
    /// Expression checks.
    pub exprs: Vec<ExprCheck>,
}

/// One `alert_rule_test` entry.
#[derive(Debug, Serialize)]
pub struct AlertCheck {
    /// `eval_time`.
    pub eval_time: String,
    /// Alert name.
    pub alertname: String,
    /// Expected alerts: labels and annotations, values YAML-quoted.
    pub expected: Vec<Expected>,
}

/// One expected alert.
#[derive(Debug, Serialize)]
pub struct Expected {
    /// Labels (YAML-quoted values).
    pub labels: Vec<(String, String)>,
    /// Annotations (YAML-quoted values).
    pub annotations: Vec<(String, String)>,
}

/// One `promql_expr_test` entry.
#[derive(Debug, Serialize)]
pub struct ExprCheck {
    /// Expression.
    pub expr: String,
    /// `eval_time`.
    pub eval_time: String,
    /// Expected sample labels (quoted).
    pub labels: String,
    /// Expected value.
    pub value: String,
}

fn series_view(series: &[(String, Values)], samples: u64) -> Vec<(String, String)> {
    series
        .iter()
        .map(|(s, v)| (single_quoted(s), yaml_quoted(&v.notation(samples))))
        .collect()
}

/// The promtool unit tests: each alert fires in its firing scenarios only
/// after its `for:` (checked one minute before and at the end of the wait),
/// and stays quiet in the others; each recording rule gives its value.
#[must_use]
pub fn tests(
    config: &Config,
    names: &Names,
    recordings: &[Recording],
    alerts: &[Alert],
) -> Vec<Test> {
    let mut out = Vec::new();
    let job = names.app_job.as_str();
    for r in recordings {
        let eval = RATE_WINDOW + 300;
        let cases = std::iter::once((None, &r.series, r.value)).chain(
            r.more
                .iter()
                .map(|(what, series, value)| (Some(what), series, *value)),
        );
        for (what, series, value) in cases {
            out.push(Test {
                name: match what {
                    None => format!("recording rule {}", r.record),
                    Some(what) => format!("recording rule {} with {what}", r.record),
                },
                series: series_view(series, eval / 60 + 1),
                alerts: Vec::new(),
                exprs: vec![ExprCheck {
                    expr: r.check.clone(),
                    eval_time: fmt_secs(eval),
                    labels: single_quoted(&if r.check == r.record {
                        format!("{}{{job=\"{job}\"}}", r.record)
                    } else {
                        format!("{{job=\"{job}\"}}")
                    }),
                    value: number(value),
                }],
            });
        }
    }
    let levels = &config.monitoring.alerts;
    for a in alerts {
        let severity = routing::severity(levels, a.class);
        let wait = alert_wait(levels, a);
        for s in &a.scenarios {
            let fire_at = s.ready + wait;
            let samples = fire_at / 60 + 2;
            let mut checks = Vec::new();
            let name = match &s.fires {
                Some((labels, value)) => {
                    if wait > 0 {
                        // one evaluation before the wait can have ended: pending, not firing
                        checks.push(AlertCheck {
                            eval_time: fmt_secs((s.earliest() + wait).saturating_sub(60)),
                            alertname: a.name.clone(),
                            expected: Vec::new(),
                        });
                    }
                    let mut all = labels.clone();
                    all.push(("severity".into(), routing::severity_name(severity).into()));
                    all.sort();
                    checks.push(AlertCheck {
                        eval_time: fmt_secs(fire_at),
                        alertname: a.name.clone(),
                        expected: vec![Expected {
                            labels: all
                                .iter()
                                .map(|(k, v)| (k.clone(), yaml_quoted(v)))
                                .collect(),
                            annotations: vec![
                                (
                                    "summary".into(),
                                    yaml_quoted(&expand(&a.summary, labels, *value)),
                                ),
                                (
                                    "description".into(),
                                    yaml_quoted(&expand(&a.description, labels, *value)),
                                ),
                            ],
                        }],
                    });
                    if wait > 0 {
                        format!("{} fires on {} after {}", a.name, s.what, fmt_secs(wait))
                    } else {
                        format!("{} fires at once on {}", a.name, s.what)
                    }
                }
                None => {
                    checks.push(AlertCheck {
                        eval_time: fmt_secs(fire_at),
                        alertname: a.name.clone(),
                        expected: Vec::new(),
                    });
                    format!("{} stays quiet on {}", a.name, s.what)
                }
            };
            out.push(Test {
                name,
                series: series_view(&s.series, samples),
                alerts: checks,
                exprs: Vec::new(),
            });
        }
    }
    out
}
