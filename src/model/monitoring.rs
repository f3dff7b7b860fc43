//! `config/deployment/monitoring.yaml`: probes, metrics, thresholds, alert routing.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::constraint::NonEmpty;
use crate::provenance::Tracked;

use super::values::{Escalation, HttpPath, MetricName, Percent, Threshold};

/// The file `monitoring.yaml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "cfgen monitoring.yaml")]
pub struct MonitoringFile {
    /// What is watched and who is told.
    pub monitoring_config: MonitoringConfig,
}

/// What is watched and who is told.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MonitoringConfig {
    /// The app's own endpoints and metrics.
    pub application: Application,
    /// Resource thresholds that raise infrastructure alerts.
    pub infrastructure: Infrastructure,
    /// Business metrics and when they alert.
    #[serde(default)]
    pub business: Vec<BusinessMetric>,
    /// Alert channels, severities and escalation.
    pub alerts: Alerts,
}

/// The app's own endpoints and metrics.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Application {
    /// HTTP endpoints the app serves for operations; must include the probe paths of `cfgen.yaml` (`/health`, `/ready`, `/metrics` by default).
    pub health_endpoints: Tracked<Vec<HttpPath>>,
    /// Standard application metrics to alert and record on.
    #[serde(default)]
    pub metrics: Tracked<Vec<AppMetric>>,
}

/// A standard application metric, mapped to the app's Prometheus series.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AppMetric {
    /// Requests served (`http_requests_total`); recorded as a per-second rate.
    RequestCount,
    /// Request latency (`http_request_duration_seconds`); recorded as the 99th percentile.
    RequestDuration,
    /// Share of requests answered with 5xx (`http_request_errors_total` / `http_requests_total`).
    ErrorRate,
    /// Users active in the last five minutes (`active_users` gauge).
    ActiveUsers,
}

/// Resource thresholds (percent of the limit) that raise infrastructure alerts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Infrastructure {
    /// Alert when the app's CPU use exceeds this share of its limit.
    pub cpu_threshold: Tracked<Percent>,
    /// Alert when the app's memory use exceeds this share of its limit.
    pub memory_threshold: Tracked<Percent>,
    /// Alert when a node filesystem is fuller than this.
    pub disk_threshold: Tracked<Percent>,
    /// Alert when a node network interface carries more than this share of its link speed.
    pub network_threshold: Tracked<Percent>,
}

/// A business metric with its alert.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessMetric {
    /// Human name, used in the alert summary.
    pub name: Tracked<String, NonEmpty>,
    /// The Prometheus metric: a counter ending in `_total` (thresholds per period) or a ratio ending in `_rate` that cfgen records from `<base>s_total{outcome=...}`.
    pub metric: Tracked<MetricName>,
    /// When to alert, e.g. `< 10/hour` for a counter or `< 95%` for a ratio.
    pub alert_threshold: Tracked<Threshold>,
}

/// Alert channels, severities and escalation.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    /// Where alerts go; Alertmanager gets one receiver per channel.
    pub channels: Tracked<Vec<Channel>>,
    /// Severities in use, most severe first.
    pub severity_levels: Tracked<Vec<Severity>>,
    /// For each severity, how long a condition must hold before the alert fires (`immediate` or a duration). Covers exactly `severity_levels`.
    pub escalation_rules: BTreeMap<Severity, Tracked<Escalation>>,
}

/// An alert channel.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Slack incoming webhook (URL read from a file).
    Slack,
    /// E-mail through an SMTP relay (password read from a file).
    Email,
    /// PagerDuty Events API v2 (routing key read from a file).
    Pagerduty,
    /// A generic webhook (URL read from a file).
    Webhook,
}

/// An alert severity.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Needs a human now; pages.
    Critical,
    /// Needs attention soon.
    Warning,
    /// For the record.
    Info,
}

impl Default for Application {
    /// The default probe paths, and requests, latency and errors recorded.
    fn default() -> Self {
        Self {
            health_endpoints: Tracked::default_value(
                ["/health", "/ready", "/metrics"]
                    .iter()
                    .map(|p| p.parse().expect("valid path"))
                    .collect(),
            ),
            metrics: Tracked::default_value(vec![
                AppMetric::RequestCount,
                AppMetric::RequestDuration,
                AppMetric::ErrorRate,
            ]),
        }
    }
}

impl Default for Infrastructure {
    /// CPU 80 %, memory 85 %, disk 90 %, network 80 %.
    fn default() -> Self {
        let pct = |v: f64| Tracked::default_value(Percent::try_from(v).expect("valid percent"));
        Self {
            cpu_threshold: pct(80.0),
            memory_threshold: pct(85.0),
            disk_threshold: pct(90.0),
            network_threshold: pct(80.0),
        }
    }
}

impl Default for Alerts {
    /// A webhook channel; critical at once, warnings after 15 minutes, info after an hour.
    fn default() -> Self {
        Self {
            channels: Tracked::default_value(vec![Channel::Webhook]),
            severity_levels: Tracked::default_value(vec![
                Severity::Critical,
                Severity::Warning,
                Severity::Info,
            ]),
            escalation_rules: [
                (Severity::Critical, "immediate"),
                (Severity::Warning, "15m"),
                (Severity::Info, "1h"),
            ]
            .into_iter()
            .map(|(s, e)| (s, e.parse().expect("valid escalation")))
            .collect(),
        }
    }
}
