//! Severity, escalation, routes and formatting.

use super::*;

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
