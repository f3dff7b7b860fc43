//! Mapping rules of the Kubernetes target.

use super::*;
use crate::model::backup::Frequency;
use crate::model::logging::{Handler, HandlerClass};
use crate::model::values::ClockTime;

use crate::plan::example_project as example;

fn env<'a>(config: &'a Config, name: &str) -> (&'a DnsLabel, &'a Environment) {
    config
        .manifest
        .environments
        .iter()
        .find(|(n, _)| n.as_str() == name)
        .expect("environment exists")
}

fn at(time: &str) -> ClockTime {
    time.parse().unwrap()
}

#[test]
fn schedule_maps_to_cron() {
    let t = at("02:30");
    assert_eq!(
        cron_schedule(Frequency::Daily, t).as_deref(),
        Some("30 2 * * *")
    );
    assert_eq!(
        cron_schedule(Frequency::Hourly, t).as_deref(),
        Some("30 * * * *")
    );
    assert_eq!(
        cron_schedule(Frequency::Weekly, t).as_deref(),
        Some("30 2 * * 0")
    );
    assert_eq!(
        cron_schedule(Frequency::Monthly, t).as_deref(),
        Some("30 2 1 * *")
    );
    assert_eq!(
        cron_schedule(Frequency::Quarterly, at("23:05")).as_deref(),
        Some("5 23 1 1,4,7,10 *")
    );
    assert_eq!(cron_schedule(Frequency::OnChange, t), None);
}

#[test]
fn the_example_backs_up_daily_at_two() {
    let p = example();
    let (name, e) = env(&p.config, "production");
    let b = view(&p.config, name, e).backup.expect("backup enabled");
    assert_eq!(b.schedule, "0 2 * * *");
    assert_eq!(b.retention_days, 30);
    assert!(b.pvc && b.compression && b.encryption && b.verification);
    assert_eq!(b.storage_class, "fast-ssd");
    // mysql:8.0 is a tag: the digest check is skipped, with the reason
    assert!(b.skips.iter().any(|s| s.id == "CKV_K8S_43"));
}

#[test]
fn read_only_root_fs_gets_tmp_and_log_folder_mounts() {
    let mut p = example();
    let scratch = scratch_volumes(&p.config);
    let paths: Vec<_> = scratch
        .iter()
        .map(|v| (v.name.as_str(), v.path.as_str(), v.size.as_str()))
        .collect();
    // the file handler rotates 100 MiB × (10 + 1) files
    assert_eq!(
        paths,
        [("tmp", "/tmp", "64Mi"), ("logs", "/var/log/app", "1100Mi")]
    );

    // a second, non-rotating handler in another folder: its own volume, 1Gi
    p.config.logging.handlers.insert(
        "audit".into(),
        Handler {
            class: HandlerClass::File.into(),
            formatter: "json".into(),
            level: None,
            filename: Some("/var/log/audit/audit.log".into()),
            max_bytes: None,
            backup_count: None,
        },
    );
    let scratch = scratch_volumes(&p.config);
    assert_eq!(scratch.len(), 3);
    assert_eq!(
        (scratch[1].path.as_str(), scratch[1].size.as_str()),
        ("/var/log/app", "1100Mi")
    );
    assert_eq!(
        (
            scratch[2].name.as_str(),
            scratch[2].path.as_str(),
            scratch[2].size.as_str()
        ),
        ("logs-1", "/var/log/audit", "1Gi")
    );

    *p.config.docker.runtime.security.read_only_filesystem = false;
    assert!(scratch_volumes(&p.config).is_empty());
}

#[test]
fn environment_replicas_override_the_cluster_default() {
    let mut p = example();
    let (name, e) = env(&p.config, "staging");
    let staging = view(&p.config, name, e);
    assert_eq!(staging.replicas, 2);
    assert_eq!(staging.max_replicas, 4);
    let (name, e) = env(&p.config, "production");
    assert_eq!(view(&p.config, name, e).replicas, 3);
    // without an override, kubernetes.yaml cluster.replicas
    for e in p.config.manifest.environments.values_mut() {
        e.replicas = None;
    }
    *p.config.kubernetes.cluster.replicas = 5;
    let (name, e) = env(&p.config, "staging");
    assert_eq!(view(&p.config, name, e).replicas, 5);
    assert_eq!(max_replicas(1), 2);
}

#[test]
fn rolling_update_limits_keep_their_form() {
    assert_eq!(int_or_percent(IntOrPercent::Int(1)), "1");
    assert_eq!(int_or_percent(IntOrPercent::Percent(25)), "\"25%\"");
    let p = example();
    let (name, e) = env(&p.config, "production");
    let v = view(&p.config, name, e);
    assert_eq!(
        (v.max_surge.as_str(), v.max_unavailable.as_str()),
        ("1", "1")
    );
}

#[test]
fn hardening_and_checkov_skips_follow_the_config() {
    let mut p = example();
    let h = hardening(&p.config);
    assert_eq!(h.pod_security, "restricted");
    assert!(workload_skips(&h).is_empty());
    *p.config.security.container.runtime_security = false;
    let h = hardening(&p.config);
    assert_eq!(h.pod_security, "baseline");
    let ids: Vec<_> = workload_skips(&h).iter().map(|s| s.id).collect();
    assert_eq!(ids, ["CKV_K8S_28", "CKV_K8S_31", "CKV_K8S_37"]);
    assert!(workload_skips(&h).iter().all(|s| !s.reason.contains('=')));
}

#[test]
fn objects_follow_the_switches() {
    let mut p = example();
    let files = |p: &Project| -> Vec<String> {
        plan(p)
            .into_iter()
            .filter(|a| a.environment.as_deref() == Some("staging"))
            .map(|a| a.path)
            .collect()
    };
    let all = files(&p);
    for f in [
        "ingress",
        "networkpolicy",
        "role",
        "pvc",
        "backup-cronjob",
        "peerauthentication",
        "kustomization",
    ] {
        assert!(all.contains(&format!("k8s/staging/{f}.yaml")), "{f}");
    }
    *p.config.kubernetes.networking.ingress_enabled = false;
    *p.config.security.container.network_policies = false;
    *p.config.security.access.rbac_enabled = false;
    *p.config.security.access.mtls = false;
    *p.config.kubernetes.storage.backup_enabled = false;
    let some = files(&p);
    for f in [
        "ingress",
        "networkpolicy",
        "role",
        "pvc",
        "backup-cronjob",
        "peerauthentication",
    ] {
        assert!(!some.contains(&format!("k8s/staging/{f}.yaml")), "{f}");
    }
}

#[test]
fn hpa_target_is_the_cpu_alert_threshold() {
    let p = example();
    assert_eq!(cpu_target(&p.config), 80);
}
