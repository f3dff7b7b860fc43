//! The restore drill's alerts (backup.yaml `disaster_recovery`): in a cluster from
//! kube-state-metrics' CronJob and Job series, which needs kube-state-metrics running
//! there (no Pushgateway); on a compose host from the node_exporter textfile that
//! `scripts/restore_drill.sh` writes. A drill fails (the script's exit status: a restore
//! error, a failed check, a restore slower than the RTO) or is overdue (no success within
//! its period plus a day).

use super::Names;
use super::routing::AlertClass;
use super::rules::{Alert, Scenario, Values, owned, sel};
use crate::model::Config;
use crate::plan::drill::{DrillView, overdue};

/// A drill's Job failed.
pub const FAILED: &str = "RestoreDrillFailed";
/// No drill succeeded in its period.
pub const OVERDUE: &str = "RestoreDrillOverdue";
/// The compose host's drill failed.
pub const HOST_FAILED: &str = "RestoreDrillHostFailed";
/// The compose host's drill is overdue.
pub const HOST_OVERDUE: &str = "RestoreDrillHostOverdue";

/// The alerts on the cluster's drill CronJob, in `namespace` when given (a cluster's
/// PrometheusRule), or in any namespace (alert_rules.yml, where their tests run).
#[must_use]
pub fn cluster_alerts(config: &Config, namespace: Option<&str>) -> Vec<Alert> {
    let Some(d) = crate::plan::drill::view(config) else {
        return Vec::new();
    };
    if crate::plan::kubernetes::backup_cronjob(config).is_none() {
        return Vec::new();
    }
    let ns = namespace.unwrap_or("app");
    let mut filter = vec![("cronjob", d.name.as_str())];
    let job_re = format!("{}-.*", d.name);
    let mut job_filter = Vec::new();
    if let Some(n) = namespace {
        filter.insert(0, ("namespace", n));
        job_filter.push(format!("namespace=\"{n}\""));
    }
    job_filter.push(format!("job_name=~\"{job_re}\""));
    let limit = d.overdue_secs;
    let last = sel("kube_cronjob_status_last_successful_time", &filter);
    let created = sel("kube_cronjob_created", &filter);
    let cron_labels = [("namespace", ns), ("cronjob", d.name.as_str())];
    let job = format!("{}-29430000", d.name);
    let job_labels = [
        ("namespace", ns),
        ("job_name", job.as_str()),
        ("reason", "BackoffLimitExceeded"),
    ];
    let long_ago = -((limit + 3600) as f64);
    vec![
        Alert {
            name: FAILED.into(),
            class: AlertClass::Degraded,
            comment: comment(&d, "kube-state-metrics: a failed Job of the drill CronJob"),
            expr: vec![format!(
                "kube_job_status_failed{{{}}} > 0",
                job_filter.join(", ")
            )],
            summary: "Restore drill {{ $labels.job_name }} failed".into(),
            description: format!(
                "The restore drill of {} failed in {{{{ $labels.namespace }}}}: the newest dump did not restore, a check failed, or the restore took longer than the RTO ({}). See `kubectl logs job/{{{{ $labels.job_name }}}} -c drill`.",
                d.dump.db_name, d.rto
            ),
            scenarios: vec![
                Scenario {
                    what: "a failed drill Job".into(),
                    series: vec![(
                        sel("kube_job_status_failed", &job_labels),
                        Values::Gauge(1.0),
                    )],
                    ready: 60,
                    fires: Some((owned(&job_labels), 1.0)),
                },
                Scenario {
                    what: "a drill Job that passed".into(),
                    series: vec![(
                        sel("kube_job_status_failed", &job_labels),
                        Values::Gauge(0.0),
                    )],
                    ready: 60,
                    fires: None,
                },
            ],
        },
        Alert {
            name: OVERDUE.into(),
            class: AlertClass::Degraded,
            comment: comment(&d, "kube-state-metrics: the drill CronJob's last success"),
            expr: vec![
                format!("time() - {last} > {limit}"),
                "or".into(),
                format!("(time() - {created} > {limit}"),
                format!("  unless on (namespace, cronjob) {last})"),
            ],
            summary: "Restore drill {{ $labels.cronjob }} is overdue".into(),
            description: format!(
                "No restore drill of {} succeeded in {{{{ $labels.namespace }}}} for more than {} (testing_frequency {} plus a day): the backups are not proven restorable.",
                d.dump.db_name,
                overdue(&d),
                d.frequency
            ),
            scenarios: vec![
                Scenario {
                    what: "a last success older than the period".into(),
                    series: vec![
                        (last.clone_with(&cron_labels), Values::Gauge(long_ago)),
                        (created.clone_with(&cron_labels), Values::Gauge(long_ago)),
                    ],
                    ready: 60,
                    fires: Some((owned(&cron_labels), 0.0)),
                },
                Scenario {
                    what: "a drill that never succeeded since the CronJob was created a period ago"
                        .into(),
                    series: vec![(created.clone_with(&cron_labels), Values::Gauge(long_ago))],
                    ready: 60,
                    fires: Some((owned(&cron_labels), 0.0)),
                },
                Scenario {
                    what: "a recent success".into(),
                    series: vec![
                        (last.clone_with(&cron_labels), Values::Gauge(0.0)),
                        (created.clone_with(&cron_labels), Values::Gauge(long_ago)),
                    ],
                    ready: 60,
                    fires: None,
                },
                Scenario {
                    what: "a CronJob created within the period".into(),
                    series: vec![(created.clone_with(&cron_labels), Values::Gauge(0.0))],
                    ready: 60,
                    fires: None,
                },
            ],
        },
    ]
}

/// The alerts on a compose host's drill (node_exporter's textfile collector).
#[must_use]
pub fn host_alerts(config: &Config, names: &Names) -> Vec<Alert> {
    let Some(d) = crate::plan::drill::view(config) else {
        return Vec::new();
    };
    let labels = [
        ("job", names.node_job.as_str()),
        ("instance", names.node_target.as_str()),
        ("database", d.dump.db_name.as_str()),
    ];
    let job = [("job", names.node_job.as_str())];
    let success = sel("cfgen_restore_drill_success", &job);
    let last = sel("cfgen_restore_drill_last_success_timestamp_seconds", &job);
    let limit = d.overdue_secs;
    vec![
        Alert {
            name: HOST_FAILED.into(),
            class: AlertClass::Degraded,
            comment: comment(&d, "node_exporter textfile of scripts/restore_drill.sh"),
            expr: vec![format!("{success} == 0")],
            summary: "Restore drill of {{ $labels.database }} failed on {{ $labels.instance }}"
                .into(),
            description: format!(
                "The last run of scripts/restore_drill.sh failed: the newest dump did not restore, a check failed, or the restore took longer than the RTO ({}). Its output says which.",
                d.rto
            ),
            scenarios: vec![
                Scenario {
                    what: "a failed drill".into(),
                    series: vec![(
                        sel("cfgen_restore_drill_success", &labels),
                        Values::Gauge(0.0),
                    )],
                    ready: 60,
                    fires: Some((owned(&labels), 0.0)),
                },
                Scenario {
                    what: "a drill that passed".into(),
                    series: vec![(
                        sel("cfgen_restore_drill_success", &labels),
                        Values::Gauge(1.0),
                    )],
                    ready: 60,
                    fires: None,
                },
            ],
        },
        Alert {
            name: HOST_OVERDUE.into(),
            class: AlertClass::Degraded,
            comment: comment(&d, "node_exporter textfile of scripts/restore_drill.sh"),
            expr: vec![format!("time() - {last} > {limit}")],
            summary: "Restore drill of {{ $labels.database }} is overdue on {{ $labels.instance }}"
                .into(),
            description: format!(
                "No run of scripts/restore_drill.sh succeeded for more than {} (testing_frequency {} plus a day): check its cron entry.",
                overdue(&d),
                d.frequency
            ),
            scenarios: vec![
                Scenario {
                    what: "a last success older than the period".into(),
                    series: vec![(
                        sel(
                            "cfgen_restore_drill_last_success_timestamp_seconds",
                            &labels,
                        ),
                        Values::Gauge(-((limit + 3600) as f64)),
                    )],
                    ready: 60,
                    fires: Some((owned(&labels), 0.0)),
                },
                Scenario {
                    what: "a recent success".into(),
                    series: vec![(
                        sel(
                            "cfgen_restore_drill_last_success_timestamp_seconds",
                            &labels,
                        ),
                        Values::Gauge(0.0),
                    )],
                    ready: 60,
                    fires: None,
                },
            ],
        },
    ]
}

fn comment(d: &DrillView, source: &str) -> Vec<String> {
    vec![format!(
        "backup.yaml disaster_recovery: the restore drill ({} testing, rto {}); {source}",
        d.frequency, d.rto
    )]
}

/// A selector's metric with other labels (the test series of a selector).
trait WithLabels {
    fn clone_with(&self, labels: &[(&str, &str)]) -> String;
}

impl WithLabels for String {
    fn clone_with(&self, labels: &[(&str, &str)]) -> String {
        let metric = self.split('{').next().unwrap_or(self);
        sel(metric, labels)
    }
}
