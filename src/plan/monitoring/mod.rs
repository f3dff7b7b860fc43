//! Monitoring: `monitoring/prometheus.yml` (scrape and alerting config),
//! `monitoring/alert_rules.yml` (recording rules, service and business alerts),
//! `monitoring/tests/alert_rules_test.yml` (promtool unit tests proving each
//! alert) and `monitoring/alertmanager.yml` (routes per severity and channel).
//!
//! The mapping rules, each tested in `tests.rs`:
//! - **Recording rules**: one per `application.metrics` entry over the app's
//!   metric contract (`app/README.md`), and one per business ratio whose name
//!   follows `<entity>_<outcome>_rate`: it is recorded under that very name as
//!   the share of `<entity>s_total{outcome="<outcome>"}` ([`promql::derived_ratio`]).
//! - **Thresholds → PromQL**: a percentage compares a ratio (`< 95%` → `< 0.95`),
//!   guarded so no traffic means no alert; `< 10/hour` on a counter counts events
//!   in the period (`sum(increase(x[1h])) < 10`, [`promql::period_count`]);
//!   infrastructure percentages compare usage to the Kubernetes limit (CPU seconds
//!   per second / cores, resident bytes / limit bytes) or to node capacity.
//! - **Severity** by what an alert reports ([`routing::AlertClass`]): availability
//!   `critical`, saturation and business ratios `warning`, business volumes
//!   `info`; the nearest declared level when that one is not declared.
//! - **Escalation → `for:`**: the severity's `escalation_rules` wait; `immediate`
//!   means no `for:`. Alertmanager does not wait again ([`routing::group_wait`]).
//! - **Severity → routes**: see [`routing::channels`]; secrets come from files
//!   under [`routing::SECRETS_DIR`], never inline.

pub mod containers;
pub mod dependencies;
pub mod drill;
pub mod promql;
pub mod routing;
pub mod rules;
#[cfg(test)]
mod tests;

use serde::Serialize;

use super::{Artifact, Check, Syntax};
use crate::model::Config;
use crate::validate::Project;

/// Prometheus' scrape and rule evaluation interval.
pub const SCRAPE_INTERVAL: &str = "15s";

/// The app's own scrape interval (the seed's prometheus.yml scrapes it every 30s).
pub const APP_SCRAPE_INTERVAL: &str = "30s";

/// Alertmanager's address as Prometheus sees it.
pub const ALERTMANAGER: &str = "alertmanager:9093";

/// Scrape jobs and targets. Targets are the compose service names (static
/// targets: the Debian promtool build has no `kubernetes_sd_configs`); in
/// Kubernetes the same names resolve as Services in Prometheus' namespace or
/// are rewritten by the operator's own scrape config.
#[derive(Debug, Clone, Serialize)]
pub struct Names {
    /// Project name (rule group prefix, external label).
    pub project: String,
    /// The monitored process's scrape job, `<project>-<process>`.
    pub app_job: String,
    /// Its target, `<process>:<port>` (the compose service).
    pub app_target: String,
    /// The process's name (its container's name in a pod).
    pub process: String,
    /// The series that describe its container's CPU and memory: [`containers::scraped`]
    /// for alert_rules.yml, cAdvisor's in a cluster ([`cluster_groups`]); [`Self::new`]
    /// leaves the app's own `process_*` series.
    pub resources: containers::Resources,
    /// Its metrics path.
    pub metrics_path: String,
    /// Its readiness path.
    pub readiness_path: String,
    /// The exporters of the project's dependencies (none without dependencies).
    pub exporters: Vec<Exporter>,
    /// The values of the app's `dependency` label, one per dependency (`database`, `redis`).
    pub dependencies: Vec<&'static str>,
    /// node_exporter job (disk and network alerts read its series).
    pub node_job: String,
    /// node_exporter target.
    pub node_target: String,
}

impl Names {
    /// The names for a project whose monitored process (the public one, else
    /// the first with a port) is `process`.
    #[must_use]
    pub fn new(config: &Config) -> Option<Self> {
        let project = config.manifest.name.as_str().to_owned();
        let (process_name, process) = crate::plan::docker::default_process(config)?;
        let port = process.port.as_deref()?;
        let probes = crate::plan::workload::probe_paths(process)?;
        Some(Self {
            app_job: format!("{project}-{process_name}"),
            app_target: format!("{process_name}:{port}"),
            process: process_name.to_string(),
            resources: containers::Resources::Process,
            metrics_path: probes.metrics,
            readiness_path: probes.readiness,
            exporters: exporters(config),
            dependencies: dependency_labels(config),
            node_job: "node".into(),
            node_target: "node-exporter:9100".into(),
            project,
        })
    }
}

/// The exporter of one dependency: what Prometheus scrapes to see the server.
#[derive(Debug, Clone, Serialize)]
pub struct Exporter {
    /// Scrape job, the engine's name (`postgres`, `mysql`, `redis`).
    pub job: String,
    /// Target: the exporter's compose service and port.
    pub target: String,
    /// Its series that is 1 while the server answers (`pg_up`, `mysql_up`, `redis_up`).
    pub up_metric: &'static str,
    /// The server in prose.
    pub what: &'static str,
    /// The exporter program.
    pub program: &'static str,
    /// The app cannot serve without this server (the database; not the cache, whose
    /// outage is degraded service): its alerts are availability, not degradation.
    pub required: bool,
}

/// The exporters of the dependencies, database first.
#[must_use]
pub fn exporters(config: &Config) -> Vec<Exporter> {
    use crate::model::manifest::{CacheEngine, DatabaseEngine};
    let deps = &config.manifest.dependencies;
    let mut out = Vec::new();
    // Exporters run beside the servers compose runs (the monitoring profile); a
    // managed server is watched by its provider and, from the app, by AppNotReady.
    let runs = |external: Option<&crate::provenance::Tracked<bool>>| !external.is_some_and(|e| **e);
    if let Some(db) = deps.database.as_ref().filter(|d| runs(d.external.as_ref())) {
        out.push(match *db.engine {
            DatabaseEngine::Postgres => Exporter {
                job: "postgres".into(),
                target: "postgres-exporter:9187".into(),
                up_metric: "pg_up",
                what: "PostgreSQL",
                program: "postgres_exporter",
                required: true,
            },
            DatabaseEngine::Mysql => Exporter {
                job: "mysql".into(),
                target: "mysql-exporter:9104".into(),
                up_metric: "mysql_up",
                what: "MySQL",
                program: "mysqld_exporter",
                required: true,
            },
        });
    }
    if let Some(cache) = deps.cache.as_ref().filter(|c| runs(c.external.as_ref())) {
        let CacheEngine::Redis = *cache.engine;
        out.push(Exporter {
            job: "redis".into(),
            target: "redis-exporter:9121".into(),
            up_metric: "redis_up",
            what: "Redis",
            program: "redis_exporter",
            required: false,
        });
    }
    out
}

/// The `dependency` label values of `app_dependency_up` (the app contract,
/// `app/README.md`): `database` and `redis`, as the project has them.
#[must_use]
pub fn dependency_labels(config: &Config) -> Vec<&'static str> {
    let deps = &config.manifest.dependencies;
    let mut out = Vec::new();
    if deps.database.is_some() {
        out.push("database");
    }
    if deps.cache.is_some() {
        out.push("redis");
    }
    out
}

/// A number of seconds as a Prometheus duration (`1h2m`).
#[must_use]
pub fn fmt_secs(secs: u64) -> String {
    promql::range(secs)
}

#[derive(Serialize)]
struct ScrapeJob {
    job: String,
    comment: String,
    metrics_path: Option<String>,
    scrape_interval: Option<&'static str>,
    target: String,
}

#[derive(Serialize)]
struct PrometheusView {
    project: String,
    interval: &'static str,
    alertmanager: &'static str,
    jobs: Vec<ScrapeJob>,
}

#[derive(Serialize)]
struct RulesView {
    /// The `environment` label of every alert.
    environment: String,
    groups: Vec<rules::Group>,
}

#[derive(Serialize)]
struct TestsView {
    tests: Vec<rules::Test>,
}

fn prometheus(names: &Names) -> PrometheusView {
    let job = |job: &str, comment: &str, target: &str| ScrapeJob {
        job: job.to_owned(),
        comment: comment.to_owned(),
        metrics_path: None,
        scrape_interval: None,
        target: target.to_owned(),
    };
    PrometheusView {
        project: names.project.clone(),
        interval: SCRAPE_INTERVAL,
        alertmanager: ALERTMANAGER,
        jobs: vec![ScrapeJob {
            metrics_path: Some(names.metrics_path.clone()),
            scrape_interval: Some(APP_SCRAPE_INTERVAL),
            ..job(
                &names.app_job,
                "the monitored process (cfgen.yaml processes: its port and probes.metrics)",
                &names.app_target,
            )
        }]
        .into_iter()
        .chain(names.exporters.iter().map(|e| ScrapeJob {
            job: e.job.clone(),
            comment: format!(
                "{}: {} for {}",
                e.program,
                e.up_metric,
                if e.required {
                    dependencies::DEPENDENCY_DOWN
                } else {
                    dependencies::CACHE_DOWN
                }
            ),
            metrics_path: None,
            scrape_interval: None,
            target: e.target.clone(),
        }))
        .chain([job(
            &names.node_job,
            "node_exporter: filesystem and network series for the disk and network thresholds",
            &names.node_target,
        )])
        .collect(),
    }
}

/// The `environment` label of the compose stack's alerts (`monitoring/alert_rules.yml`):
/// the stack runs the base config wherever `docker compose` runs, which is none of the
/// manifest's cluster environments.
pub const COMPOSE_ENVIRONMENT: &str = "compose";

/// The names, recording rules, service, business and restore-drill alerts of a cluster.
type ClusterRules = (
    Names,
    Vec<rules::Recording>,
    Vec<rules::Alert>,
    Vec<rules::Alert>,
    Vec<rules::Alert>,
);

/// What a cluster's Prometheus evaluates in `namespace`: the names, recording rules
/// and alerts of alert_rules.yml without the node and exporter alerts (the cluster's
/// own monitoring watches nodes and managed databases; cfgen deploys no exporter
/// there), the container alerts on cAdvisor's series. `None` without a process that
/// serves metrics.
fn cluster_rules(config: &Config, namespace: &str) -> Option<ClusterRules> {
    let mut names = Names::new(config)?;
    names.resources = containers::Resources::Container {
        namespace: namespace.to_owned(),
    };
    let recordings = rules::recordings(config, &names);
    let cluster_only = |a: &rules::Alert| {
        !matches!(a.name.as_str(), "NodeDiskFull" | "NodeNetworkSaturated")
            && !dependencies::EXPORTER_ALERTS.contains(&a.name.as_str())
    };
    let service: Vec<rules::Alert> = rules::service_alerts(config, &names)
        .into_iter()
        .filter(cluster_only)
        .collect();
    let business = rules::business_alerts(config, &names);
    let drills = drill::cluster_alerts(config, Some(namespace));
    Some((names, recordings, service, business, drills))
}

/// The rule groups of `alert_rules.yml`'s shape from a cluster's rules, the restore
/// drill's group last.
fn cluster_groups_of(config: &Config, rules: &ClusterRules) -> Vec<rules::Group> {
    let (names, recordings, service, business, drills) = rules;
    let mut groups = rules::groups(config, names, recordings, service, business);
    groups.extend(drill_group(config, names, drills.clone()));
    groups
}

/// The rule groups of a cluster's PrometheusRule in `namespace` ([`cluster_rules`]).
#[must_use]
pub fn cluster_groups(config: &Config, namespace: &str) -> Option<Vec<rules::Group>> {
    Some(cluster_groups_of(
        config,
        &cluster_rules(config, namespace)?,
    ))
}

/// The restore drill's group (`<project>-restore-drill`), when it has alerts.
fn drill_group(config: &Config, names: &Names, alerts: Vec<rules::Alert>) -> Option<rules::Group> {
    (!alerts.is_empty()).then(|| rules::Group {
        note: vec![
            "the restore drill (backup.yaml disaster_recovery): RestoreDrillFailed and RestoreDrillOverdue read kube-state-metrics (it must run in the cluster),".into(),
            "RestoreDrillHost* the node_exporter textfile that scripts/restore_drill.sh writes on a compose host".into(),
        ],
        name: format!("{}-restore-drill", names.project),
        rules: alerts.iter().map(|a| rules::alert_rule(config, a)).collect(),
    })
}

/// `monitoring/<env>/`: the rules of environment `name`'s PrometheusRule as a rules file
/// promtool checks, their unit tests (with that environment's thresholds and its
/// `environment` label), and its `alertmanager.yml` where its routing differs from
/// the compose stack's (`base`).
fn environment_artifacts(
    project: &Project,
    name: &crate::model::values::DnsLabel,
    env: &crate::model::manifest::Environment,
    base: &serde_json::Value,
) -> Vec<Artifact> {
    let config = project.config_for(name.as_str());
    let (planned, reads) = crate::provenance::record(|| {
        let namespace = crate::plan::kubernetes::namespace(config, name, env);
        let cluster = cluster_rules(config, &namespace)?;
        let groups = cluster_groups_of(config, &cluster);
        let (names, recordings, service, business, drills) = &cluster;
        let all: Vec<rules::Alert> = service
            .iter()
            .chain(business)
            .chain(drills)
            .cloned()
            .collect();
        let tests = rules::tests(config, names, recordings, &all, name.as_str());
        let am = routing::alertmanager(&names.project, &config.monitoring.alerts, rules::APP_DOWN);
        Some((groups, tests, am))
    });
    let Some((groups, tests, am)) = planned else {
        return Vec::new();
    };
    let mut out = vec![
        Artifact::new(
            format!("monitoring/{name}/alert_rules.yml"),
            "monitoring/alert_rules.yml.j2",
            RulesView {
                environment: name.to_string(),
                groups,
            },
            Syntax::Yaml,
            Check::Yaml,
        ),
        Artifact::new(
            format!("monitoring/{name}/tests/alert_rules_test.yml"),
            "monitoring/alert_rules_test.yml.j2",
            TestsView { tests },
            Syntax::Yaml,
            Check::Yaml,
        ),
    ];
    if serde_json::to_value(&am).ok().as_ref() != Some(base) {
        out.push(Artifact::new(
            format!("monitoring/{name}/alertmanager.yml"),
            "monitoring/alertmanager.yml.j2",
            am,
            Syntax::Yaml,
            Check::Yaml,
        ));
    }
    out.into_iter()
        .map(|mut a| {
            a.reads = reads.clone();
            a.for_environment(name.as_str())
        })
        .collect()
}

/// The monitoring artifacts: the compose stack's (each with what it read of the base
/// config), then each environment's `monitoring/<env>/`.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    if !config
        .manifest
        .wants(crate::model::manifest::Target::Monitoring)
    {
        return Vec::new();
    }
    let ((mut out, base_routing), reads) = crate::provenance::record(|| compose_stack(project));
    for a in &mut out {
        a.reads = reads.clone();
    }
    if !out.is_empty()
        && config
            .manifest
            .wants(crate::model::manifest::Target::Kubernetes)
    {
        for (name, env) in &config.manifest.environments {
            out.extend(environment_artifacts(project, name, env, &base_routing));
        }
    }
    out
}

/// The compose stack's monitoring files, and its Alertmanager view as JSON (an
/// environment whose routing differs gets its own).
fn compose_stack(project: &Project) -> (Vec<Artifact>, serde_json::Value) {
    let config = &project.config;
    // Without a process that serves metrics there is nothing to scrape.
    let Some(mut names) = Names::new(config) else {
        return (Vec::new(), serde_json::Value::Null);
    };
    names.resources = containers::scraped(config);
    let recordings = rules::recordings(config, &names);
    let service = rules::service_alerts(config, &names);
    let business = rules::business_alerts(config, &names);
    let mut groups = rules::groups(config, &names, &recordings, &service, &business);
    let mut drills = drill::cluster_alerts(config, None);
    drills.extend(drill::host_alerts(config, &names));
    groups.extend(drill_group(config, &names, drills.clone()));
    let all: Vec<rules::Alert> = service
        .iter()
        .chain(&business)
        .chain(&drills)
        .cloned()
        .collect();
    let tests = rules::tests(config, &names, &recordings, &all, COMPOSE_ENVIRONMENT);
    let am = routing::alertmanager(&names.project, &config.monitoring.alerts, rules::APP_DOWN);
    let base_routing = serde_json::to_value(&am).unwrap_or_default();
    let mut out = Vec::new();
    // prometheus.yml is the compose stack's Prometheus (static targets: its service
    // names); in Kubernetes the ServiceMonitors and the PrometheusRule say the same.
    if config
        .manifest
        .wants(crate::model::manifest::Target::Compose)
    {
        out.push(Artifact::new(
            "monitoring/prometheus.yml",
            "monitoring/prometheus.yml.j2",
            prometheus(&names),
            Syntax::Yaml,
            Check::Yaml,
        ));
    }
    out.extend([
        Artifact::new(
            "monitoring/alert_rules.yml",
            "monitoring/alert_rules.yml.j2",
            RulesView {
                environment: COMPOSE_ENVIRONMENT.to_owned(),
                groups,
            },
            Syntax::Yaml,
            Check::Yaml,
        ),
        Artifact::new(
            "monitoring/tests/alert_rules_test.yml",
            "monitoring/alert_rules_test.yml.j2",
            TestsView { tests },
            Syntax::Yaml,
            Check::Yaml,
        ),
        Artifact::new(
            "monitoring/alertmanager.yml",
            "monitoring/alertmanager.yml.j2",
            am,
            Syntax::Yaml,
            Check::Yaml,
        ),
    ]);
    (out, base_routing)
}
