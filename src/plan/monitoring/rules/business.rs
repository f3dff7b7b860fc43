//! Business alerts.

use super::*;

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
