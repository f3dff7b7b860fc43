//! The recording rules.

use super::*;

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
