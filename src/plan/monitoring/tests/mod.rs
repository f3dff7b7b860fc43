//! Focused tests of the monitoring mapping rules.

use std::collections::BTreeMap;
use std::path::Path;

use super::promql::*;
use super::routing::*;
use super::rules::*;
use super::*;
use crate::model::monitoring::{Alerts, BusinessMetric, Channel, Severity};
use crate::model::values::{Escalation, Threshold};

use crate::plan::example_project as example;

fn threshold(s: &str) -> Threshold {
    s.parse().expect("valid threshold")
}

fn alerts(channels: &[Channel], levels: &[(Severity, &str)]) -> Alerts {
    Alerts {
        channels: channels.to_vec().into(),
        severity_levels: levels.iter().map(|(s, _)| *s).collect(),
        escalation_rules: levels
            .iter()
            .map(|(s, e)| {
                (
                    *s,
                    e.parse::<Escalation>().expect("valid escalation").into(),
                )
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

fn seed_alerts() -> Alerts {
    alerts(
        &[Channel::Slack, Channel::Email, Channel::Pagerduty],
        &[
            (Severity::Critical, "immediate"),
            (Severity::Warning, "15m"),
            (Severity::Info, "1h"),
        ],
    )
}

fn business(metric: &str, t: &str) -> BusinessMetric {
    BusinessMetric {
        name: "n".into(),
        metric: metric.parse().expect("valid metric"),
        alert_threshold: threshold(t).into(),
    }
}

fn find<'a>(alerts: &'a [Alert], name: &str) -> &'a Alert {
    alerts
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no alert {name}"))
}

// --- threshold → PromQL -------------------------------------------------------------------

#[test]
fn ratio_metrics_derive_their_outcome_counter() {
    let r = derived_ratio("order_success_rate").unwrap();
    assert_eq!(
        (r.counter.as_str(), r.outcome, r.other_outcome),
        ("orders_total", "success", "failed")
    );
    let r = derived_ratio("payment_success_rate").unwrap();
    assert_eq!(r.counter, "payments_total");
    let r = derived_ratio("payment_failed_ratio").unwrap();
    assert_eq!(
        (r.counter.as_str(), r.outcome),
        ("payments_total", "failed")
    );
    // Not `<entity>_<outcome>_rate`: a metric the app exports itself.
    assert_eq!(derived_ratio("error_rate"), None);
    assert_eq!(derived_ratio("cache_hit_ratio"), None);
    assert_eq!(derived_ratio("success_rate"), None);
    assert_eq!(derived_ratio("user_registrations_total"), None);
}

#[test]
fn ratio_is_recorded_per_job_over_five_minutes() {
    let r = derived_ratio("order_success_rate").unwrap();
    assert_eq!(
        ratio_expr(&r).join("\n"),
        "sum by (job) (rate(orders_total{outcome=\"success\"}[5m]))\n  /\nsum by (job) (rate(orders_total[5m]))"
    );
}

#[test]
fn percentages_compare_ratios() {
    assert_eq!(comparison(&threshold("< 95%")), "< 0.95");
    assert_eq!(comparison(&threshold("< 98%")), "< 0.98");
    assert_eq!(comparison(&threshold(">= 5%")), ">= 0.05");
    assert_eq!(comparison(&threshold("> 0.5")), "> 0.5");
    assert_eq!(comparison(&threshold("< 10/hour")), "< 10");
}

#[test]
fn periods_count_events_in_the_period() {
    let s = "{job=\"j\"}";
    assert_eq!(
        period_count("x_total", s, 3_600),
        (
            "sum by (job) (increase(x_total{job=\"j\"}[1h]))".into(),
            3_600
        )
    );
    assert_eq!(
        period_count("x_total", s, 86_400).0,
        "sum by (job) (increase(x_total{job=\"j\"}[1d]))"
    );
    // Too short for increase over the period itself: the 5m rate, scaled.
    assert_eq!(
        period_count("x_total", s, 60),
        (
            "sum by (job) (rate(x_total{job=\"j\"}[5m])) * 60".into(),
            300
        )
    );
    assert_eq!(
        period_count("x_total", s, 1).0,
        "sum by (job) (rate(x_total{job=\"j\"}[5m]))"
    );
}

#[test]
fn business_alerts_of_the_seed() {
    let p = example();
    let names = Names::new(&p.config).unwrap();
    let alerts = business_alerts(&p.config, &names);
    let names: Vec<&str> = alerts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "UserRegistrationsLow",
            "OrderSuccessRateLow",
            "PaymentSuccessRateLow"
        ]
    );
    assert_eq!(
        alerts[0].expr,
        ["sum by (job) (increase(user_registrations_total{job=\"ecommerce-app\"}[1h])) < 10"]
    );
    assert_eq!(alerts[0].class, AlertClass::BusinessVolume);
    // The ratio alert is guarded: no orders at all means no alert.
    assert_eq!(
        alerts[1].expr,
        [
            "order_success_rate{job=\"ecommerce-app\"} < 0.95",
            "and on (job)",
            "sum by (job) (rate(orders_total{job=\"ecommerce-app\"}[5m])) > 0",
        ]
    );
    assert_eq!(alerts[1].class, AlertClass::BusinessRatio);
    assert!(
        alerts[1]
            .scenarios
            .iter()
            .any(|s| s.fires.is_none() && s.what.starts_with("no orders_total"))
    );
}

#[test]
fn other_business_thresholds() {
    let mut p = example();
    p.config.monitoring.business = vec![
        business("payment_failed_rate", "> 5%"),
        business("queue_depth", "> 100"),
        business("cache_hit_ratio", "< 80%"),
        business("orders_total", "> 3"),
        business("signups_total", "< 2/minute"),
        business("queue_depth", ">= 200"),
    ];
    let names = Names::new(&p.config).unwrap();
    let alerts = business_alerts(&p.config, &names);
    let exprs: Vec<String> = alerts.iter().map(|a| a.expr.join(" ")).collect();
    assert_eq!(
        exprs[0],
        "payment_failed_rate{job=\"ecommerce-app\"} > 0.05 and on (job) sum by (job) (rate(payments_total{job=\"ecommerce-app\"}[5m])) > 0"
    );
    assert_eq!(alerts[0].name, "PaymentFailedRateHigh");
    assert_eq!(
        exprs[1],
        "sum by (job) (queue_depth{job=\"ecommerce-app\"}) > 100"
    );
    // An exported ratio is averaged over replicas, not summed.
    assert_eq!(
        exprs[2],
        "avg by (job) (cache_hit_ratio{job=\"ecommerce-app\"}) < 0.8"
    );
    // A plain threshold on a counter compares its per-second rate.
    assert_eq!(
        exprs[3],
        "sum by (job) (rate(orders_total{job=\"ecommerce-app\"}[5m])) > 3"
    );
    assert_eq!(
        exprs[4],
        "sum by (job) (rate(signups_total{job=\"ecommerce-app\"}[5m])) * 60 < 2"
    );
    // Two alerts on one metric and direction get distinct names.
    assert_eq!(alerts[5].name, "QueueDepthHigh2");
    // Every one has a firing and a quiet scenario whose data agrees with the threshold.
    for a in &alerts {
        assert!(a.scenarios.iter().any(|s| s.fires.is_some()), "{}", a.name);
        assert!(a.scenarios.iter().any(|s| s.fires.is_none()), "{}", a.name);
    }
}

// --- infrastructure thresholds --------------------------------------------------------------

#[test]
fn cpu_and_memory_compare_to_the_kubernetes_limits() {
    let mut p = example();
    // the app's own process_* series (Names::new's default: one process serves)
    let names = Names::new(&p.config).unwrap();
    let alerts = service_alerts(&p.config, &names);
    assert_eq!(
        find(&alerts, "ContainerCpuHigh").expr,
        ["rate(process_cpu_seconds_total{job=\"ecommerce-app\"}[5m]) / 0.5 > 0.8"]
    );
    assert_eq!(
        find(&alerts, "ContainerMemoryHigh").expr,
        ["process_resident_memory_bytes{job=\"ecommerce-app\"} / 536870912 > 0.85"]
    );
    p.config.kubernetes.resources.limits.cpu = "1500m".parse().unwrap();
    p.config.kubernetes.resources.limits.memory = "1Gi".parse().unwrap();
    p.config.monitoring.infrastructure.cpu_threshold =
        crate::model::values::Percent::try_from(75.0)
            .unwrap()
            .into();
    let alerts = service_alerts(&p.config, &names);
    assert_eq!(
        find(&alerts, "ContainerCpuHigh").expr,
        ["rate(process_cpu_seconds_total{job=\"ecommerce-app\"}[5m]) / 1.5 > 0.75"]
    );
    assert_eq!(
        find(&alerts, "ContainerMemoryHigh").expr,
        ["process_resident_memory_bytes{job=\"ecommerce-app\"} / 1073741824 > 0.85"]
    );
}

#[test]
fn a_threshold_of_100_percent_gets_only_a_quiet_test() {
    let mut p = example();
    p.config.monitoring.infrastructure.disk_threshold =
        crate::model::values::Percent::try_from(100.0)
            .unwrap()
            .into();
    let names = Names::new(&p.config).unwrap();
    let alerts = service_alerts(&p.config, &names);
    let disk = find(&alerts, "NodeDiskFull");
    assert_eq!(disk.scenarios.len(), 1);
    assert!(disk.scenarios[0].fires.is_none());
}

#[test]
fn error_rate_alert_only_with_the_error_rate_metric() {
    let mut p = example();
    let names = Names::new(&p.config).unwrap();
    assert!(
        service_alerts(&p.config, &names)
            .iter()
            .any(|a| a.name == "HighErrorRate")
    );
    p.config.monitoring.application.metrics.clear();
    assert!(
        !service_alerts(&p.config, &names)
            .iter()
            .any(|a| a.name == "HighErrorRate")
    );
    assert!(
        recordings(&p.config, &names)
            .iter()
            .all(|r| !r.record.starts_with("job:"))
    );
}

#[test]
fn readiness_alert_reads_the_apps_own_report() {
    let mut p = example();
    let names = Names::new(&p.config).unwrap();
    let all = service_alerts(&p.config, &names);
    let a = find(&all, APP_NOT_READY);
    assert_eq!(
        a.expr,
        vec![r#"app_dependency_up{job="ecommerce-app", dependency="database"} == 0"#]
    );
    assert_eq!(a.class, AlertClass::Availability);
    assert!(
        a.description.contains("readiness probe /ready fails"),
        "{}",
        a.description
    );
    // fires for the dependency that is down, with its label; quiet when all are up
    let (labels, value) = a.scenarios[0].fires.clone().expect("a firing scenario");
    assert!(
        labels.contains(&("dependency".into(), "database".into())),
        "{labels:?}"
    );
    assert!(
        labels.contains(&("instance".into(), "app:8000".into())),
        "{labels:?}"
    );
    assert!(value.abs() < f64::EPSILON);
    assert!(a.scenarios[1].fires.is_none());
    // quiet when only the cache is down: degraded service, not unreadiness
    assert!(a.scenarios[2].fires.is_none(), "{}", a.scenarios[2].what);
    // the exporters' alert stays, beside it
    find(&all, "AppDependencyDown");
    // the readiness path comes from the manifest
    let process = p.config.manifest.processes.values_mut().next().unwrap();
    process.probes = Some(crate::model::manifest::Probes {
        readiness: "/readyz"
            .parse::<crate::model::values::HttpPath>()
            .unwrap()
            .into(),
        ..Default::default()
    });
    let names = Names::new(&p.config).unwrap();
    let all = service_alerts(&p.config, &names);
    let a = find(&all, APP_NOT_READY);
    assert!(
        a.description.contains("probe /readyz fails"),
        "{}",
        a.description
    );
    assert!(
        a.comment[0].starts_with("probes.readiness (/readyz)"),
        "{:?}",
        a.comment
    );
}

mod checkers;
mod routes;
