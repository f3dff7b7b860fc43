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
    /// Its metrics path.
    pub metrics_path: String,
    /// Its readiness path.
    pub readiness_path: String,
    /// mysqld_exporter job.
    pub mysql_job: String,
    /// mysqld_exporter target.
    pub mysql_target: String,
    /// redis_exporter job.
    pub redis_job: String,
    /// redis_exporter target.
    pub redis_target: String,
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
            metrics_path: probes.metrics,
            readiness_path: probes.readiness,
            mysql_job: "mysql".into(),
            mysql_target: "mysql-exporter:9104".into(),
            redis_job: "redis".into(),
            redis_target: "redis-exporter:9121".into(),
            node_job: "node".into(),
            node_target: "node-exporter:9100".into(),
            project,
        })
    }
}

/// A number of seconds as a Prometheus duration (`1h2m`).
#[must_use]
pub fn fmt_secs(secs: u64) -> String {
    promql::range(secs)
}

#[derive(Serialize)]
struct ScrapeJob {
    job: String,
    comment: &'static str,
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
    groups: Vec<rules::Group>,
}

#[derive(Serialize)]
struct TestsView {
    tests: Vec<rules::Test>,
}

fn prometheus(names: &Names) -> PrometheusView {
    let job = |job: &str, comment, target: &str| ScrapeJob {
        job: job.to_owned(),
        comment,
        metrics_path: None,
        scrape_interval: None,
        target: target.to_owned(),
    };
    PrometheusView {
        project: names.project.clone(),
        interval: SCRAPE_INTERVAL,
        alertmanager: ALERTMANAGER,
        jobs: vec![
            ScrapeJob {
                metrics_path: Some(names.metrics_path.clone()),
                scrape_interval: Some(APP_SCRAPE_INTERVAL),
                ..job(
                    &names.app_job,
                    "the monitored process (cfgen.yaml processes: its port and probes.metrics)",
                    &names.app_target,
                )
            },
            job(
                &names.mysql_job,
                "mysqld_exporter: mysql_up for AppDependencyDown",
                &names.mysql_target,
            ),
            job(
                &names.redis_job,
                "redis_exporter: redis_up for AppDependencyDown",
                &names.redis_target,
            ),
            job(
                &names.node_job,
                "node_exporter: filesystem and network series for the disk and network thresholds",
                &names.node_target,
            ),
        ],
    }
}

/// The monitoring artifacts.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    if !config
        .manifest
        .wants(crate::model::manifest::Target::Monitoring)
    {
        return Vec::new();
    }
    // Without a process that serves metrics there is nothing to scrape.
    let Some(names) = Names::new(config) else {
        return Vec::new();
    };
    let recordings = rules::recordings(config, &names);
    let service = rules::service_alerts(config, &names);
    let business = rules::business_alerts(config, &names);
    let groups = rules::groups(config, &names, &recordings, &service, &business);
    let all: Vec<rules::Alert> = service.iter().chain(&business).cloned().collect();
    let tests = rules::tests(config, &names, &recordings, &all);
    let am = routing::alertmanager(&names.project, &config.monitoring.alerts, rules::APP_DOWN);
    vec![
        Artifact::new(
            "monitoring/prometheus.yml",
            "monitoring/prometheus.yml.j2",
            prometheus(&names),
            Syntax::Yaml,
            Check::Yaml,
        ),
        Artifact::new(
            "monitoring/alert_rules.yml",
            "monitoring/alert_rules.yml.j2",
            RulesView { groups },
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
    ]
}
