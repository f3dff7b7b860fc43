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

// --- severity and escalation -----------------------------------------------------------------

#[test]
fn severity_by_class_with_the_nearest_declared_level() {
    let all = seed_alerts();
    assert_eq!(severity(&all, AlertClass::Availability), Severity::Critical);
    assert_eq!(severity(&all, AlertClass::Saturation), Severity::Warning);
    assert_eq!(severity(&all, AlertClass::BusinessRatio), Severity::Warning);
    assert_eq!(severity(&all, AlertClass::BusinessVolume), Severity::Info);
    let two = alerts(
        &[Channel::Slack],
        &[(Severity::Critical, "immediate"), (Severity::Info, "1h")],
    );
    // warning is not declared: critical and info are equally near, the more severe wins
    assert_eq!(severity(&two, AlertClass::Saturation), Severity::Critical);
    let one = alerts(&[Channel::Slack], &[(Severity::Warning, "5m")]);
    assert_eq!(severity(&one, AlertClass::Availability), Severity::Warning);
    assert_eq!(
        severity(&one, AlertClass::BusinessVolume),
        Severity::Warning
    );
}

#[test]
fn escalation_becomes_for() {
    let a = seed_alerts();
    assert_eq!(wait(&a, Severity::Critical), None);
    assert_eq!(
        wait(&a, Severity::Warning)
            .map(|d| d.to_string())
            .as_deref(),
        Some("15m")
    );
    assert_eq!(
        wait(&a, Severity::Info).map(|d| d.to_string()).as_deref(),
        Some("1h")
    );
}

#[test]
fn rendered_rules_carry_severity_and_for() {
    let p = example();
    let names = Names::new(&p.config).unwrap();
    let rec = recordings(&p.config, &names);
    let service = service_alerts(&p.config, &names);
    let business = business_alerts(&p.config, &names);
    let groups = groups(&p.config, &names, &rec, &service, &business);
    let rule = |name: &str| {
        groups
            .iter()
            .flat_map(|g| &g.rules)
            .find(|r| r.alert.as_deref() == Some(name))
            .unwrap()
    };
    assert_eq!(
        (rule("AppDown").severity, rule("AppDown").wait.as_deref()),
        (Some("critical"), Some("1m")),
        "one failed scrape never pages"
    );
    assert_eq!(
        (
            rule("NodeDiskFull").severity,
            rule("NodeDiskFull").wait.as_deref()
        ),
        (Some("warning"), Some("15m"))
    );
    assert_eq!(
        (
            rule("UserRegistrationsLow").severity,
            rule("UserRegistrationsLow").wait.as_deref()
        ),
        (Some("info"), Some("1h"))
    );
}

#[test]
fn tests_check_just_before_and_after_the_wait() {
    let p = example();
    let names = Names::new(&p.config).unwrap();
    let service = service_alerts(&p.config, &names);
    let tests = tests(&p.config, &names, &[], &service, COMPOSE_ENVIRONMENT);
    let cpu = tests
        .iter()
        .find(|t| t.name.starts_with("ContainerCpuHigh fires"))
        .unwrap();
    let times: Vec<&str> = cpu.alerts.iter().map(|c| c.eval_time.as_str()).collect();
    // pending one minute before the 15m wait ends; firing once the 5m window is full and 15m passed
    assert_eq!(times, ["14m", "20m"]);
    assert!(cpu.alerts[0].expected.is_empty());
    assert_eq!(cpu.alerts[1].expected.len(), 1);
    let down = tests
        .iter()
        .find(|t| t.name.starts_with("AppDown fires"))
        .unwrap();
    // the scrape fails from 2m: pending at 2m, firing once the 1m wait has passed
    let times: Vec<&str> = down.alerts.iter().map(|c| c.eval_time.as_str()).collect();
    assert_eq!(times, ["2m", "3m"]);
    assert!(down.alerts[0].expected.is_empty());
}

// --- routes ------------------------------------------------------------------------------------

#[test]
fn channels_per_severity() {
    let a = seed_alerts();
    assert_eq!(
        channels(&a, Severity::Critical),
        [Channel::Pagerduty, Channel::Slack]
    );
    assert_eq!(channels(&a, Severity::Warning), [Channel::Slack]);
    assert_eq!(channels(&a, Severity::Info), [Channel::Email]);
    // Only e-mail configured: everything goes there.
    let email = alerts(
        &[Channel::Email],
        &[
            (Severity::Critical, "immediate"),
            (Severity::Warning, "15m"),
        ],
    );
    assert_eq!(channels(&email, Severity::Critical), [Channel::Email]);
    assert_eq!(channels(&email, Severity::Warning), [Channel::Email]);
    // E-mail configured without an info level: the least severe level takes it too.
    let no_info = alerts(
        &[Channel::Slack, Channel::Email],
        &[
            (Severity::Critical, "immediate"),
            (Severity::Warning, "15m"),
        ],
    );
    assert_eq!(channels(&no_info, Severity::Critical), [Channel::Slack]);
    assert_eq!(
        channels(&no_info, Severity::Warning),
        [Channel::Slack, Channel::Email]
    );
}

#[test]
fn waits_and_repeats_follow_escalation() {
    let e = |s: &str| s.parse::<Escalation>().unwrap();
    assert_eq!(
        (group_wait(e("immediate")), repeat_interval(e("immediate"))),
        ("0s", "1h")
    );
    assert_eq!(
        (group_wait(e("15m")), repeat_interval(e("15m"))),
        ("30s", "4h")
    );
    assert_eq!(
        (group_wait(e("30m")), repeat_interval(e("30m"))),
        ("30s", "4h")
    );
    assert_eq!(
        (group_wait(e("1h")), repeat_interval(e("1h"))),
        ("30s", "12h")
    );
}

#[test]
fn route_tree_of_the_seed() {
    let view = alertmanager("ecommerce", &seed_alerts(), "AppDown");
    let routes: Vec<(&str, &str, bool)> = view
        .routes
        .iter()
        .map(|r| (r.matchers[0].as_str(), r.receiver, r.continue_))
        .collect();
    assert_eq!(
        routes,
        [
            ("'severity=\"critical\"'", "pagerduty", true),
            ("'severity=\"critical\"'", "slack", false),
            ("'severity=\"warning\"'", "slack", false),
            ("'severity=\"info\"'", "email", false),
        ]
    );
    assert_eq!(view.root_receiver, "email");
    assert_eq!(view.inhibit[0].source, ["'severity=\"critical\"'"]);
    assert_eq!(view.inhibit[0].target, ["'severity=~\"warning|info\"'"]);
    assert_eq!(view.inhibit[0].equal, ["alertname", "job"]);
    let secrets: Vec<Option<&str>> = view
        .receivers
        .iter()
        .map(|r| r.secret_file.as_deref())
        .collect();
    assert_eq!(
        secrets,
        [
            Some("/etc/alertmanager/secrets/slack_api_url"),
            None,
            Some("/etc/alertmanager/secrets/pagerduty_routing_key"),
        ]
    );
    assert!(view.email);
}

#[test]
fn no_channels_means_a_null_receiver() {
    let view = alertmanager(
        "x",
        &alerts(&[], &[(Severity::Critical, "immediate")]),
        "AppDown",
    );
    assert_eq!(view.root_receiver, NULL_RECEIVER);
    assert_eq!(view.receivers.len(), 1);
    assert!(view.inhibit.is_empty());
}

// --- formatting ----------------------------------------------------------------------------------

#[test]
fn numbers_print_as_prometheus_does() {
    assert_eq!(g4(92.5), "92.5");
    assert_eq!(g4(90.000_000_000_000_01), "90");
    assert_eq!(g4(0.25), "0.25");
    assert_eq!(humanize_percentage(0.1), "10%");
    assert_eq!(humanize_percentage(0.475), "47.5%");
    assert_eq!(humanize(0.0), "0");
    assert_eq!(humanize(60.0), "60");
    assert_eq!(humanize(1500.0), "1.5k");
    assert_eq!(humanize(0.25), "250m");
    assert_eq!(number(0.95), "0.95");
    assert_eq!(number(536_870_912.0), "536870912");
    assert_eq!(
        expand(
            "{{ $labels.instance }} at {{ $value | humanizePercentage }}",
            &[("instance".into(), "app:8000".into())],
            0.9
        ),
        "app:8000 at 90%"
    );
}

#[test]
fn alert_names_from_metrics() {
    assert_eq!(
        camel(&"user_registrations_total".parse().unwrap()),
        "UserRegistrations"
    );
    assert_eq!(
        camel(&"order_success_rate".parse().unwrap()),
        "OrderSuccessRate"
    );
}

#[test]
fn expressions_are_plain_yaml_only_when_safe() {
    assert!(plain_safe("up{job=\"a\"} == 0"));
    assert!(!plain_safe("{__name__=\"up\"} == 0"));
    assert!(!plain_safe("a: b"));
    assert_eq!(single_quoted("it's"), "'it''s'");
}

// --- the consumers' checkers on configs other than the seed's ------------------------------------

/// Renders the monitoring artifacts of `project` into a temporary folder.
fn render_to_dir(project: &Project) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let renderer = crate::render::Renderer::new(None).expect("templates compile");
    for artifact in plan(project) {
        let text = renderer
            .render(&artifact)
            .unwrap_or_else(|e| panic!("{}: {}", artifact.path, e.detail));
        let path = dir.path().join(&artifact.path);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
    }
    dir
}

fn run(tool: &str, args: &[&str], dir: &Path) -> Option<(bool, String)> {
    let out = std::process::Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Some((out.status.success(), text))
}

/// The generated rules, their unit tests and the routes pass promtool and amtool
/// for thresholds, units, comparisons and routing the seed does not use. Needs
/// `promtool` and `amtool` (`.ci/install`); without them it fails.
#[test]
fn checkers_accept_varied_configs() {
    let mut p = example();
    p.config.monitoring.business = vec![
        business("payment_failed_rate", "> 5%"),
        business("queue_depth", "> 100"),
        business("cache_hit_ratio", "< 80%"),
        business("orders_total", "> 3"),
        business("signups_total", "< 2/minute"),
        business("signups_total", "<= 100/day"),
        business("order_success_rate", "<= 0.9"),
    ];
    p.config.monitoring.alerts = alerts(
        &[Channel::Webhook, Channel::Email],
        &[(Severity::Critical, "2m"), (Severity::Warning, "30m")],
    );
    p.config.monitoring.infrastructure.disk_threshold =
        crate::model::values::Percent::try_from(100.0)
            .unwrap()
            .into();
    p.config.kubernetes.resources.limits.cpu = "250m".parse().unwrap();
    let dir = render_to_dir(&p);
    let m = dir.path().join("monitoring");
    let checks: [(&str, &[&str]); 4] = [
        (
            "promtool",
            &[
                "check",
                "config",
                "--lint=all",
                "--lint-fatal",
                "prometheus.yml",
            ],
        ),
        (
            "promtool",
            &[
                "check",
                "rules",
                "--lint=all",
                "--lint-fatal",
                "alert_rules.yml",
            ],
        ),
        ("promtool", &["test", "rules", "tests/alert_rules_test.yml"]),
        ("amtool", &["check-config", "alertmanager.yml"]),
    ];
    for (tool, args) in checks {
        match run(tool, args, &m) {
            None => panic!("{tool} is not installed: run .ci/install (never skipped)"),
            Some((ok, text)) => assert!(ok, "{tool} {args:?} failed:\n{text}"),
        }
    }
}

#[test]
fn app_down_waits_a_minute_even_when_critical_is_immediate() {
    let p = example();
    let names = Names::new(&p.config).unwrap();
    let service = service_alerts(&p.config, &names);
    let down = find(&service, APP_DOWN);
    // the example escalates critical `immediate`, yet one failed scrape must not page
    assert_eq!(alert_rule(&p.config, down).wait.as_deref(), Some("1m"));
    let other = find(&service, APP_NOT_READY);
    assert_eq!(alert_rule(&p.config, other).wait, None);
}
