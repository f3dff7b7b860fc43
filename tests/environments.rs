//! Environment overlays (`config/environments/<env>/<file>.yaml`): deep-merged
//! over the base for that environment only, reflected in its `k8s/<env>/`
//! folder and its deploy job, never elsewhere; `~` removes a key, named lists
//! merge by name.

use std::path::Path;

use crate::common::{cfgen, copy_example_with_overlays};

/// Builds the project in `dir` (exit 0) and returns the generated file `rel`.
fn build_and_read(root: &Path, dir: &str, rel: &str) -> String {
    let out = cfgen(root).args(["build", dir]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(root.join(dir).join("deploy").join(rel)).unwrap()
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_example_dev_overlay_changes_dev_only() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example_with_overlays(&tmp.path().join("shop"));
    crate::common::make_rolling(&tmp.path().join("shop"));
    let dev = build_and_read(tmp.path(), "shop", "k8s/dev/deployment-app.yaml");
    let staging = build_and_read(tmp.path(), "shop", "k8s/staging/deployment-app.yaml");
    let resources = |t: &str| {
        let at = t.find("resources:").expect("resources");
        t[at..].lines().take(7).collect::<Vec<_>>().join("\n")
    };
    assert!(resources(&dev).contains("requests:\n              cpu: \"125m\"\n              memory: \"128Mi\"\n            limits:\n              cpu: \"250m\""), "{dev}");
    assert!(resources(&staging).contains("requests:\n              cpu: \"250m\"\n              memory: \"256Mi\"\n            limits:\n              cpu: \"500m\""), "{staging}");
    assert!(
        dev.lines().nth(1).unwrap().ends_with(
            ", config/environments/dev/kubernetes.yaml, config/environments/dev/logging.yaml"
        ),
        "{dev}"
    );
    assert!(!staging.contains("config/environments/dev"), "{staging}");
    let config = build_and_read(tmp.path(), "shop", "k8s/dev/configmap.yaml");
    assert!(config.contains("LOG_LEVEL: \"debug,app=debug,"), "{config}");
    // dev has no TLS: no tls section, and its deploy job checks plain HTTP.
    let ingress = build_and_read(tmp.path(), "shop", "k8s/dev/ingress.yaml");
    assert!(!ingress.contains("tls:"), "{ingress}");
    let workflow = build_and_read(
        tmp.path(),
        "shop",
        "../.github/workflows/ecommerce-deploy.yml",
    );
    assert!(
        workflow.contains("      url: http://dev-api.ecommerce.com\n"),
        "{workflow}"
    );
    assert!(
        workflow.contains("      url: https://staging-api.ecommerce.com\n"),
        "{workflow}"
    );
    let deploy = build_and_read(tmp.path(), "shop", "scripts/deploy.sh");
    assert!(
        deploy.contains("|| BASE_URL=http://dev-api.ecommerce.com\n"),
        "{deploy}"
    );
    // The shared artifacts stay the base's.
    let dockerfile = build_and_read(tmp.path(), "shop", "Dockerfile");
    assert!(!dockerfile.contains("config/environments"), "{dockerfile}");
    let compose = build_and_read(tmp.path(), "shop", "docker-compose.yml");
    assert!(
        !compose.contains("125m") && !compose.contains("0.125"),
        "{compose}"
    );
}

#[test]
fn staging_alert_thresholds_differ_from_production() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example_with_overlays(&tmp.path().join("shop"));
    crate::common::make_rolling(&tmp.path().join("shop"));
    let staging = build_and_read(tmp.path(), "shop", "k8s/staging/prometheusrule.yaml");
    let production = build_and_read(tmp.path(), "shop", "k8s/production/prometheusrule.yaml");
    assert!(staging.contains("/ 0.5 > 0.9\n"), "{staging}");
    assert!(production.contains("/ 0.5 > 0.8\n"), "{production}");
    assert!(staging.contains("environment: staging"), "{staging}");
    assert!(!production.contains("environment: staging"), "{production}");
}

#[test]
fn a_tilde_removes_a_key_and_named_lists_merge_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    copy_example_with_overlays(&dir);
    crate::common::make_rolling(&dir);
    write(
        &dir,
        "config/environments/staging/logging.yaml",
        "logging_config:\n  levels:\n    sqlalchemy: ~\n",
    );
    let staging = build_and_read(tmp.path(), "shop", "k8s/staging/configmap.yaml");
    let production = build_and_read(tmp.path(), "shop", "k8s/production/configmap.yaml");
    assert!(!staging.contains("sqlalchemy="), "{staging}");
    assert!(production.contains("sqlalchemy=warn"), "{production}");
    // The business list merges by `name`: one item changed, the others kept.
    write(
        &dir,
        "config/environments/staging/monitoring.yaml",
        "monitoring_config:\n  business:\n    - name: \"订单成功率\"\n      alert_threshold: \"< 90%\"\n",
    );
    let staging = build_and_read(tmp.path(), "shop", "k8s/staging/prometheusrule.yaml");
    let production = build_and_read(tmp.path(), "shop", "k8s/production/prometheusrule.yaml");
    assert!(staging.contains("< 0.9"), "{staging}");
    assert!(production.contains("< 0.95"), "{production}");
    assert!(
        staging.contains("< 0.98") && production.contains("< 0.98"),
        "the unchanged item stays: {staging}"
    );
}

#[test]
fn an_overlay_equal_to_the_base_changes_no_body() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    copy_example_with_overlays(&dir);
    crate::common::make_rolling(&dir);
    let before = build_and_read(tmp.path(), "shop", "k8s/staging/deployment-app.yaml");
    write(
        &dir,
        "config/environments/staging/kubernetes.yaml",
        "kubernetes_config:\n  resources:\n    limits:\n      cpu: \"500m\"\n",
    );
    let after = build_and_read(tmp.path(), "shop", "k8s/staging/deployment-app.yaml");
    let body = |t: &str| t.lines().skip(2).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&before), body(&after));
    assert!(
        after
            .lines()
            .nth(1)
            .unwrap()
            .ends_with("config/environments/staging/kubernetes.yaml"),
        "{after}"
    );
}

#[test]
fn removing_an_environments_overlays_restores_the_base_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    copy_example_with_overlays(&dir);
    crate::common::make_rolling(&dir);
    let dev = build_and_read(tmp.path(), "shop", "k8s/dev/deployment-app.yaml");
    std::fs::remove_dir_all(dir.join("config/environments/dev")).unwrap();
    let plain = build_and_read(tmp.path(), "shop", "k8s/dev/deployment-app.yaml");
    assert_ne!(dev, plain);
    assert!(plain.contains("cpu: \"500m\""), "{plain}");
    assert!(!plain.contains("config/environments"), "{plain}");
}

#[test]
fn each_environment_gets_its_own_promtool_tested_rules_and_the_compose_stack_its_label() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example_with_overlays(&tmp.path().join("shop"));
    let rules = |env: &str| {
        build_and_read(
            tmp.path(),
            "shop",
            &format!("monitoring/{env}/alert_rules.yml"),
        )
    };
    let (staging, production) = (rules("staging"), rules("production"));
    assert!(staging.contains("/ 0.5 > 0.9\n"), "{staging}");
    assert!(!staging.contains("/ 0.5 > 0.8\n"), "{staging}");
    assert!(production.contains("/ 0.5 > 0.8\n"), "{production}");
    assert!(!production.contains("> 0.9\n"), "{production}");
    assert!(!production.contains("environment: staging"), "{production}");
    // the same groups as the environment's PrometheusRule
    let rule = build_and_read(tmp.path(), "shop", "k8s/staging/prometheusrule.yaml");
    assert!(rule.contains("> 0.9\n") && rule.contains("environment: staging"));
    let tests = build_and_read(
        tmp.path(),
        "shop",
        "monitoring/staging/tests/alert_rules_test.yml",
    );
    assert!(tests.contains("environment: \"staging\""), "{tests}");
    assert!(
        tests.contains("rule_files:\n  - ../alert_rules.yml"),
        "{tests}"
    );
    let compose = build_and_read(tmp.path(), "shop", "monitoring/alert_rules.yml");
    assert!(compose.contains("environment: compose"), "{compose}");
    assert!(!compose.contains("environment: staging"), "{compose}");
    // the routing is the compose stack's in every environment: no file of its own
    assert!(
        !tmp.path()
            .join("shop/deploy/monitoring/staging/alertmanager.yml")
            .exists()
    );
    // where an environment's channels differ, it gets its own alertmanager.yml
    write(
        tmp.path(),
        "shop/config/environments/staging/monitoring.yaml",
        "monitoring_config:\n  alerts:\n    channels: [\"slack\"]\n",
    );
    let am = build_and_read(tmp.path(), "shop", "monitoring/staging/alertmanager.yml");
    let base = build_and_read(tmp.path(), "shop", "monitoring/alertmanager.yml");
    assert!(base.contains("pagerduty"), "{base}");
    assert!(!am.contains("pagerduty"), "{am}");
    assert!(
        !tmp.path()
            .join("shop/deploy/monitoring/production/alertmanager.yml")
            .exists()
    );
}
