//! The container's CPU and memory against its Kubernetes limits (`infrastructure`
//! thresholds), read from the series that describe the whole container.
//!
//! A server with several worker processes (uvicorn or gunicorn `--workers N`) answers each
//! scrape from one of them, so its own `process_*` series describe one worker per scrape, a
//! different one each time: a quarter of the CPU and memory of four workers, jumping between
//! them. They describe the container only when one process serves. So:
//! - in a cluster (the PrometheusRule) the alerts read the kubelet's cAdvisor series
//!   (`container_cpu_usage_seconds_total`, `container_memory_working_set_bytes`): every
//!   process of the container, whatever its server, and the working set the kubelet's
//!   eviction and the OOM killer look at;
//! - with compose (alert_rules.yml, whose Prometheus scrapes no cAdvisor) they read the app's
//!   `process_*` series only when one process serves ([`Resources::Process`]); otherwise they
//!   are left out, and the rules file says why.

use serde::Serialize;

use super::Names;
use super::promql::{RATE_WINDOW, number, range};
use super::routing::AlertClass;
use super::rules::{Alert, Values, round6, sel, threshold_scenarios};
use crate::model::Config;

/// Which series describe the monitored process's container.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub enum Resources {
    /// The app's own `process_*` series: one process serves.
    Process,
    /// cAdvisor's `container_*` series of the process's container in this namespace.
    Container {
        /// The environment's namespace.
        namespace: String,
    },
    /// None: several processes may serve and nothing scrapes cAdvisor. Why, for the file.
    Unknown(String),
}

/// What describes the monitored process's container where only its own metrics are
/// scraped: [`Resources::Process`] when one process serves. cfgen's Python servers fork
/// `performance.application.workers` processes; the Rust, Go and Java runtimes and Node.js
/// run one process (their workers are threads or an event loop); with the user's own
/// Dockerfile or a prebuilt image cfgen cannot tell.
#[must_use]
pub fn scraped(config: &Config) -> Resources {
    use crate::model::manifest::Runtime;
    match config.manifest.runtime() {
        Some(Runtime::Python) => match *config.performance.application.workers {
            1 => Resources::Process,
            workers => Resources::Unknown(format!(
                "the Python server runs {workers} worker processes (performance.yaml application.workers) and each scrape reaches one of them, so their process_* series describe one worker"
            )),
        },
        Some(_) => Resources::Process,
        None => Resources::Unknown(
            "the image is the project's own (a Dockerfile or a prebuilt image): cfgen cannot tell whether one process serves, and process_* series describe only the one that answers the scrape".into(),
        ),
    }
}

/// The note a rules file carries when the alerts are left out.
#[must_use]
pub fn note(names: &Names) -> Vec<String> {
    match &names.resources {
        Resources::Unknown(why) => wrap(&format!(
            "ContainerCpuHigh and ContainerMemoryHigh are not here: {why}; the Kubernetes PrometheusRule reads the container's cAdvisor series instead."
        )),
        _ => Vec::new(),
    }
}

/// Comment lines of at most 90 characters.
fn wrap(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= 90 => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

/// `ContainerCpuHigh` and `ContainerMemoryHigh`, on the series [`Names::resources`] names.
#[must_use]
pub fn alerts(config: &Config, names: &Names) -> Vec<Alert> {
    let job = names.app_job.as_str();
    let app = names.app_target.as_str();
    let infra = &config.monitoring.infrastructure;
    let limits = &config.kubernetes.resources.limits;
    // Test data: halfway between the threshold and 100% fires, half the threshold does not.
    let over = |t: f64| (t + 1.0) / 2.0;
    let under = |t: f64| t / 2.0;
    let pod = format!("{job}-7d9f8b6c5-x2x4z");
    let (cpu_series, mem_series, labels, who): (String, String, Vec<(&str, &str)>, &str) =
        match &names.resources {
            Resources::Unknown(_) => return Vec::new(),
            Resources::Process => (
                "process_cpu_seconds_total".into(),
                "process_resident_memory_bytes".into(),
                vec![("job", job), ("instance", app)],
                "{{ $labels.instance }}",
            ),
            Resources::Container { namespace } => (
                "container_cpu_usage_seconds_total".into(),
                "container_memory_working_set_bytes".into(),
                vec![
                    ("namespace", namespace.as_str()),
                    ("pod", pod.as_str()),
                    ("container", names.process.as_str()),
                ],
                "{{ $labels.pod }}",
            ),
        };
    let selector = match &names.resources {
        Resources::Container { namespace } => {
            format!(
                "{{namespace=\"{namespace}\", container=\"{}\"}}",
                names.process
            )
        }
        _ => format!("{{job=\"{job}\"}}"),
    };
    let by_pod = |agg: &str, inner: String| match &names.resources {
        Resources::Container { .. } => format!("{agg} by (namespace, pod) ({inner})"),
        _ => inner,
    };
    // the labels an alert carries: the series' own, or what the aggregation keeps
    let kept: Vec<(&str, &str)> = labels
        .iter()
        .copied()
        .filter(|(k, _)| *k != "container")
        .collect();
    let source = match &names.resources {
        Resources::Container { .. } => {
            "the container's cAdvisor series (every process in it, as the kubelet sees it)"
        }
        _ => "the app's own process_* series (one process serves)",
    };

    let cpu_t = infra.cpu_threshold.value() / 100.0;
    #[allow(clippy::cast_precision_loss)] // millicores are far below 2^52
    let cores = limits.cpu.millicores() as f64 / 1000.0;
    let cpu = |share: f64| {
        vec![(
            sel(&cpu_series, &labels),
            Values::Counter(round6(share * cores * 60.0)),
        )]
    };
    let mem_t = infra.memory_threshold.value() / 100.0;
    #[allow(clippy::cast_precision_loss)] // memory limits are far below 2^52 bytes
    let mem_bytes = limits.memory.bytes() as f64;
    let mem = |share: f64| {
        vec![(
            sel(&mem_series, &labels),
            Values::Gauge((share * mem_bytes).round()),
        )]
    };
    vec![
        Alert {
            name: "ContainerCpuHigh".into(),
            class: AlertClass::Saturation,
            comment: vec![
                format!(
                    "infrastructure.cpu_threshold: {}% of the CPU limit {} ({} cores, kubernetes.yaml),",
                    infra.cpu_threshold,
                    limits.cpu,
                    number(cores)
                ),
                format!("from {source}"),
            ],
            expr: vec![format!(
                "{} / {} > {}",
                by_pod(
                    "sum",
                    format!("rate({cpu_series}{selector}[{}])", range(RATE_WINDOW))
                ),
                number(cores),
                number(cpu_t)
            )],
            summary: format!(
                "{who} uses more than {}% of its CPU limit",
                infra.cpu_threshold
            ),
            description: format!(
                "{who} used {{{{ $value | humanizePercentage }}}} of its {} CPU limit over the last 5 minutes; it is throttled at 100%.",
                limits.cpu
            ),
            scenarios: threshold_scenarios(cpu_t, &over, &under, &cpu, RATE_WINDOW, &kept),
        },
        Alert {
            name: "ContainerMemoryHigh".into(),
            class: AlertClass::Saturation,
            comment: vec![
                format!(
                    "infrastructure.memory_threshold: {}% of the memory limit {} ({} bytes, kubernetes.yaml),",
                    infra.memory_threshold,
                    limits.memory,
                    limits.memory.bytes()
                ),
                format!("from {source}"),
            ],
            expr: vec![format!(
                "{} / {} > {}",
                by_pod("max", format!("{mem_series}{selector}")),
                limits.memory.bytes(),
                number(mem_t)
            )],
            summary: format!(
                "{who} uses more than {}% of its memory limit",
                infra.memory_threshold
            ),
            description: format!(
                "{who} holds {{{{ $value | humanizePercentage }}}} of its {} memory limit; at 100% it is killed.",
                limits.memory
            ),
            scenarios: threshold_scenarios(mem_t, &over, &under, &mem, 60, &kept),
        },
    ]
}

#[cfg(test)]
mod tests {
    use crate::plan::monitoring::dependencies::tests::every_project;

    fn exprs(groups: &[crate::plan::monitoring::rules::Group]) -> Vec<String> {
        groups
            .iter()
            .flat_map(|g| &g.rules)
            .flat_map(|r| r.expr.clone())
            .collect()
    }

    /// Issue 12: the `process_*` series of a multi-worker server describe one worker per
    /// scrape. For every project: the PrometheusRule never reads them (cAdvisor's container
    /// series instead), and alert_rules.yml reads them only where one process serves;
    /// otherwise the container alerts are left out and the file says why. Before, both read
    /// `process_*` for every project, the seed's 4 uvicorn workers included.
    #[test]
    fn container_alerts_never_read_one_workers_series() {
        let mut multi = 0;
        for p in every_project() {
            let c = &p.config;
            let project = c.manifest.name.as_str();
            let Some(cluster) = crate::plan::monitoring::cluster_groups(c, "ns") else {
                continue;
            };
            let cluster = exprs(&cluster);
            assert!(
                cluster.iter().all(|e| !e.contains("process_")),
                "{project}: {cluster:?}"
            );
            assert!(
                cluster
                    .iter()
                    .any(|e| e.contains("container_memory_working_set_bytes{namespace=\"ns\"")),
                "{project}: {cluster:?}"
            );
            let rules = crate::plan::plan(&p)
                .artifacts
                .into_iter()
                .find(|a| a.path == "monitoring/alert_rules.yml")
                .expect("alert_rules.yml");
            let view = rules.context_json();
            let text = serde_json::to_string(&view).unwrap_or_default();
            let exprs: Vec<String> = view["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
                .flat_map(|r| r["expr"].as_array().cloned().unwrap_or_default())
                .map(|e| e.as_str().unwrap_or_default().to_owned())
                .collect();
            let python_workers = c.manifest.runtime()
                == Some(crate::model::manifest::Runtime::Python)
                && *c.performance.application.workers > 1;
            let own_image = c.manifest.runtime().is_none();
            if python_workers || own_image {
                multi += 1;
                assert!(
                    exprs.iter().all(|e| !e.contains("process_")),
                    "{project}: {exprs:?}"
                );
                assert!(
                    text.contains("ContainerCpuHigh and ContainerMemoryHigh are not here"),
                    "{project}"
                );
            } else {
                assert!(
                    exprs
                        .iter()
                        .any(|e| e.contains("process_cpu_seconds_total")),
                    "{project}: {exprs:?}"
                );
            }
        }
        assert!(multi >= 2, "multi-process projects: {multi}");
    }
}
