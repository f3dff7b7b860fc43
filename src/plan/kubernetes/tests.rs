//! Mapping rules of the Kubernetes target.

use super::*;
use crate::model::backup::Frequency;
use crate::model::logging::{Handler, HandlerClass};
use crate::model::values::ClockTime;

use crate::plan::{
    example_project as example, project_with_manifest, project_with_policy, view_of,
};

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
    let security = hardening(&p.config);
    let b = backup::view(&p.config, &p.config.manifest.name, &security).expect("backup enabled");
    assert_eq!(b.schedule, "0 2 * * *");
    assert_eq!(b.dump.retention_days, 30);
    assert!(b.pvc && b.dump.compression && b.dump.encryption && b.dump.verification);
    assert_eq!((b.dump.engine, b.port), ("mysql", 3306));
    assert_eq!(b.storage_class.as_deref(), Some("fast-ssd"));
    // mysql:8.4 is a tag: the digest check is skipped, with the reason
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
    let hpa = view_of(&p, "k8s/staging/hpa-app.yaml");
    assert_eq!(
        (hpa["replicas"].as_u64(), hpa["max_replicas"].as_u64()),
        (Some(2), Some(4))
    );
    assert_eq!(view_of(&p, "k8s/production/hpa-app.yaml")["replicas"], 3);
    // without an override, kubernetes.yaml cluster.replicas (the base's: no overlays here)
    p.environments.clear();
    for e in p.config.manifest.environments.values_mut() {
        e.replicas = None;
    }
    *p.config.kubernetes.cluster.replicas = 5;
    assert_eq!(view_of(&p, "k8s/staging/hpa-app.yaml")["replicas"], 5);
    assert_eq!(max_replicas(1), 2);
}

#[test]
fn rolling_update_limits_keep_their_form() {
    assert_eq!(int_or_percent(IntOrPercent::Int(1)), "1");
    assert_eq!(int_or_percent(IntOrPercent::Percent(25)), "\"25%\"");
    let mut p = example();
    p.config.manifest.release.strategy = None;
    let d = view_of(&p, "k8s/production/deployment-app.yaml");
    assert_eq!(
        (d["rolling"][0].as_str(), d["rolling"][1].as_str()),
        (Some("1"), Some("1"))
    );
}

const WORKERS: &str = r#"
version: 2
name: shop
image: ghcr.io/acme/shop
build: { runtime: python, entrypoint: "shop.wsgi:application", server: gunicorn }
processes:
  web: { port: 8000, replicas: 3 }
  worker: { command: [celery, -A, shop, worker], autoscale: false, replicas: 2 }
jobs:
  migrate: { command: [python, manage.py, migrate] }
  report: { command: [python, manage.py, report], schedule: "0 3 * * *", timezone: Europe/Berlin }
env: { DJANGO_SETTINGS_MODULE: shop.settings }
secrets: { DJANGO_SECRET_KEY: file, STRIPE_API_KEY: env }
dependencies:
  database: { engine: postgres }
  cache: { engine: redis }
environments:
  staging:
    host: staging.shop.example.com
    processes: { worker: { replicas: 1 } }
"#;

#[test]
fn every_process_gets_its_objects_and_a_worker_no_service() {
    let p = project_with_manifest(WORKERS);
    let files: Vec<String> = plan(&p).into_iter().map(|a| a.path).collect();
    for f in [
        "deployment-web",
        "service-web",
        "pdb-web",
        "hpa-web",
        "networkpolicy-web",
        "deployment-worker",
        "pdb-worker",
        "networkpolicy-worker",
        "networkpolicy-jobs",
        "cronjob-report",
        "predeploy/job-migrate",
        "predeploy/kustomization",
        "ingress",
    ] {
        assert!(
            files.contains(&format!("k8s/staging/{f}.yaml")),
            "{f} in {files:?}"
        );
    }
    // PostgreSQL: the backup dumps with pg_dump from the postgres image, egress to 5432
    let backup = view_of(&p, "k8s/staging/backup-cronjob.yaml");
    assert_eq!(backup["backup"]["engine"], "postgres");
    assert_eq!(backup["backup"]["image"], "postgres:16");
    assert_eq!(backup["backup"]["port"], 5432);
    assert_eq!(backup["backup"]["extension"], "dump.enc");
    for f in ["service-worker", "hpa-worker", "job-migrate"] {
        assert!(!files.contains(&format!("k8s/staging/{f}.yaml")), "{f}");
    }
    let worker = view_of(&p, "k8s/staging/deployment-worker.yaml");
    assert_eq!(worker["autoscaled"], false);
    assert_eq!(worker["replicas"], 1, "the environment's setting wins");
    assert_eq!(worker["metrics"], serde_json::Value::Null);
    let c = &worker["pod"]["container"];
    assert_eq!(
        c["command"],
        serde_json::json!(["celery", "-A", "shop", "worker"])
    );
    assert_eq!(c["port"], serde_json::Value::Null);
    assert_eq!(c["http_probes"], serde_json::Value::Null);
    assert_eq!(c["pre_stop"], serde_json::Value::Null);
    // a worker is reached by nobody: no ingress rule, but the database's and the cache's egress
    let policy = view_of(&p, "k8s/staging/networkpolicy-worker.yaml");
    assert_eq!(policy["from_ingress"], serde_json::Value::Null);
    assert_eq!(policy["from_monitoring"], serde_json::Value::Null);
    let ports: Vec<u64> = policy["egress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["port"].as_u64().unwrap())
        .collect();
    assert_eq!(ports, [5432, 6379]);
    let web = view_of(&p, "k8s/staging/deployment-web.yaml");
    assert_eq!(web["pod"]["container"]["command"][0], "gunicorn");
    assert_eq!(web["metrics"], serde_json::json!([8000, "/metrics"]));
    assert_eq!(
        view_of(&p, "k8s/staging/networkpolicy-web.yaml")["from_ingress"],
        8000
    );
    // the namespace defaults to <name>-<environment>
    assert_eq!(web["namespace"], "shop-staging");
}

#[test]
fn secrets_reach_every_container_as_files_or_secret_refs() {
    let p = project_with_manifest(WORKERS);
    let job = view_of(&p, "k8s/staging/predeploy/job-migrate.yaml");
    let env = job["pod"]["container"]["env"].as_array().unwrap().clone();
    let get = |name: &str| env.iter().find(|e| e["name"] == name).cloned();
    assert_eq!(
        get("DATABASE_URL_FILE").unwrap()["value"],
        "/run/secrets/database_url"
    );
    assert_eq!(
        get("DJANGO_SECRET_KEY_FILE").unwrap()["value"],
        "/run/secrets/django_secret_key"
    );
    let stripe = get("STRIPE_API_KEY").unwrap();
    assert_eq!(stripe["secret_key"], "stripe-api-key");
    assert_eq!(stripe["value"], serde_json::Value::Null);
    let files: Vec<&str> = job["pod"]["file_secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["database-url", "redis-url", "django-secret-key"]);
    assert_eq!(job["retries"], 0, "a failed migration stops the deploy");
    assert_eq!(job["pod"]["restart_policy"], "Never");
    let cron = view_of(&p, "k8s/staging/cronjob-report.yaml");
    assert_eq!(
        (cron["schedule"].as_str(), cron["timezone"].as_str()),
        (Some("0 3 * * *"), Some("Europe/Berlin"))
    );
    assert_eq!(cron["concurrency"], "Forbid");
    let config = view_of(&p, "k8s/staging/configmap.yaml");
    let names: Vec<&str> = config["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"DJANGO_SETTINGS_MODULE") && names.contains(&"DB_POOL_SIZE"),
        "{names:?}"
    );
    assert!(!names.contains(&"PORT"), "PORT is per process");
}

#[test]
fn a_prebuilt_image_keeps_its_digest() {
    // Kubernetes only, no policy file: every default applies.
    let p = project_with_policy(
        r#"
version: 2
name: billing
image: registry.example.com/team/billing@sha256:1111111111111111111111111111111111111111111111111111111111111111
processes: { web: { port: 8080 } }
targets: [kubernetes]
environments: { production: { host: billing.example.com } }
"#,
        Some(&[]),
    );
    let d = view_of(&p, "k8s/production/deployment-web.yaml");
    assert_eq!(
        d["pod"]["container"]["image"],
        "registry.example.com/team/billing"
    );
    assert_eq!(
        d["pod"]["container"]["digest"],
        "sha256:1111111111111111111111111111111111111111111111111111111111111111"
    );
    assert_eq!(
        d["pod"]["container"]["command"],
        serde_json::Value::Null,
        "the image's own command"
    );
    let files: Vec<String> = plan(&p).into_iter().map(|a| a.path).collect();
    assert!(files.iter().all(|f| f.starts_with("k8s/")), "{files:?}");
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
        "networkpolicy-app",
        "role",
        "pvc",
        "backup-cronjob",
        "peerauthentication",
        "kustomization",
    ] {
        assert!(all.contains(&format!("k8s/staging/{f}.yaml")), "{f}");
    }
    // The base's switches (staging's overlays would keep its own copy).
    p.environments.clear();
    *p.config.kubernetes.networking.ingress_enabled = false;
    *p.config.security.container.network_policies = false;
    *p.config.security.access.rbac_enabled = false;
    *p.config.security.access.mtls = false;
    *p.config.kubernetes.storage.backup_enabled = false;
    let some = files(&p);
    for f in [
        "ingress",
        "networkpolicy-app",
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

/// Renders every artifact of `project` and returns (path, text).
fn rendered(project: &Project) -> Vec<(String, String)> {
    let renderer = crate::render::Renderer::new(None).expect("templates compile");
    crate::plan::plan(project)
        .artifacts
        .iter()
        .map(|a| (a.path.clone(), renderer.render(a).expect("renders")))
        .collect()
}

/// security.yaml `security_headers: true`: the Ingress of every environment sets each
/// response header nginx.conf sets (one list), through a ConfigMap it names; off: neither.
#[test]
fn the_ingress_sets_the_security_headers_nginx_sets() {
    let mut p = example();
    let files = rendered(&p);
    let text = |path: &str| {
        files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("{path}"))
    };
    let nginx: Vec<(String, String)> = text("nginx/nginx.conf")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("add_header "))
        .filter(|l| !l.starts_with("Cache-Control"))
        .map(|l| {
            let (name, rest) = l.split_once(' ').expect("name value");
            let value = rest.trim_end_matches(" always;").trim_matches('"');
            (name.to_owned(), value.to_owned())
        })
        .collect();
    assert!(nginx.len() >= 4, "{nginx:?}");
    for env in ["staging", "production"] {
        let ingress = crate::verify::parse_yaml("i", &text(&format!("k8s/{env}/ingress.yaml")))
            .expect("YAML");
        let map =
            crate::verify::parse_yaml("h", &text(&format!("k8s/{env}/security-headers.yaml")))
                .expect("YAML");
        let named =
            ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/custom-headers"]
                .as_str()
                .expect("the Ingress names the headers");
        assert_eq!(
            named,
            format!(
                "{}/{}",
                map["metadata"]["namespace"].as_str().unwrap(),
                map["metadata"]["name"].as_str().unwrap()
            )
        );
        for (name, value) in &nginx {
            assert_eq!(
                map["data"][name].as_str(),
                Some(value.as_str()),
                "{env}: {name}"
            );
        }
        assert!(text(&format!("k8s/{env}/kustomization.yaml")).contains("- security-headers.yaml"));
    }
    p.environments.clear(); // the base's switch (an overlaid environment keeps its own copy)
    p.config.security.network.security_headers.set(false);
    let files = rendered(&p);
    assert!(
        !files
            .iter()
            .any(|(p, _)| p.ends_with("security-headers.yaml"))
    );
    assert!(!files.iter().any(|(_, t)| t.contains("custom-headers")));
}
