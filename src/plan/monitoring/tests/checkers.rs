//! The consumers' checkers on configs other than the seed's.

use super::*;

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
