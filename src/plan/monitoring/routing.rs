//! Severities, escalation and Alertmanager routing: the mapping rules from
//! `monitoring_config.alerts` to each alert's `severity`/`for:` and to the
//! route tree.

use serde::Serialize;

use super::promql::single_quoted;
use crate::model::monitoring::{Alerts, Channel, Severity};
use crate::model::values::{Duration, Escalation};

/// Folder the Alertmanager container mounts its secrets in (from a Secret / compose secrets).
pub const SECRETS_DIR: &str = "/etc/alertmanager/secrets";

/// What kind of problem an alert reports; decides its preferred severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertClass {
    /// The service is not serving: target down, a dependency down, requests failing.
    Availability,
    /// A resource threshold from `infrastructure` is crossed: still serving, soon trouble.
    Saturation,
    /// Still serving, with less: the cache is down, reads go to the database.
    Degraded,
    /// A business ratio (success rate) or gauge crossed its threshold: customers are affected now.
    BusinessRatio,
    /// A business volume (events per period) crossed its threshold: a trend worth a look.
    BusinessVolume,
}

impl AlertClass {
    /// The severity this class asks for: availability pages (`critical`),
    /// saturation, degraded service and business ratios are `warning`, business volumes
    /// are `info`.
    #[must_use]
    pub fn preferred(self) -> Severity {
        match self {
            Self::Availability => Severity::Critical,
            Self::Saturation | Self::Degraded | Self::BusinessRatio => Severity::Warning,
            Self::BusinessVolume => Severity::Info,
        }
    }
}

fn rank(s: Severity) -> i32 {
    match s {
        Severity::Critical => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

/// The severity an alert of `class` gets: its preferred severity when
/// `severity_levels` lists it, otherwise the nearest listed one (a tie goes to
/// the more severe). With no levels at all, the preferred one.
#[must_use]
pub fn severity(alerts: &Alerts, class: AlertClass) -> Severity {
    let want = class.preferred();
    alerts
        .severity_levels
        .iter()
        .copied()
        .min_by_key(|s| ((rank(*s) - rank(want)).abs(), rank(*s)))
        .unwrap_or(want)
}

/// The `for:` of an alert of this severity: the escalation wait, `None` for
/// `immediate` (the alert fires on the first evaluation that matches).
#[must_use]
pub fn wait(alerts: &Alerts, severity: Severity) -> Option<Duration> {
    alerts
        .escalation_rules
        .get(&severity)
        .map(|e| e.wait())
        .filter(|d| d.as_secs() > 0)
}

/// The channels a severity notifies, among the configured ones, in this order:
/// `critical` → PagerDuty, then Slack and the webhook (chat keeps the team in
/// the loop); `warning` → Slack and the webhook; `info` → e-mail. A severity
/// whose channels are all unconfigured falls back to every configured channel
/// (better noisy than silent). A configured channel no severity uses joins
/// the least severe level, so every channel listed receives something.
#[must_use]
pub fn channels(alerts: &Alerts, severity: Severity) -> Vec<Channel> {
    let mut out = own_channels(alerts, severity);
    let least = alerts
        .severity_levels
        .iter()
        .copied()
        .max_by_key(|s| rank(*s));
    if least == Some(severity) {
        for c in dedup(&alerts.channels) {
            let used = alerts
                .severity_levels
                .iter()
                .any(|s| own_channels(alerts, *s).contains(&c));
            if !used {
                out.push(c);
            }
        }
    }
    out
}

/// A severity's preferred channels that are configured, or all configured ones.
fn own_channels(alerts: &Alerts, severity: Severity) -> Vec<Channel> {
    let preferred: &[Channel] = match severity {
        Severity::Critical => &[Channel::Pagerduty, Channel::Slack, Channel::Webhook],
        Severity::Warning => &[Channel::Slack, Channel::Webhook],
        Severity::Info => &[Channel::Email],
    };
    let out: Vec<Channel> = preferred
        .iter()
        .copied()
        .filter(|c| alerts.channels.contains(c))
        .collect();
    if out.is_empty() {
        dedup(&alerts.channels)
    } else {
        out
    }
}

fn dedup(channels: &[Channel]) -> Vec<Channel> {
    let mut out = Vec::new();
    for c in channels {
        if !out.contains(c) {
            out.push(*c);
        }
    }
    out
}

/// Alertmanager `group_wait` for a severity: the escalation wait already ran
/// as the rule's `for:`, so Alertmanager does not add it again. `immediate`
/// sends with the first alert (`0s`); other levels wait `30s` to batch alerts
/// that fire together into one notification.
#[must_use]
pub fn group_wait(escalation: Escalation) -> &'static str {
    match escalation {
        Escalation::Immediate => "0s",
        Escalation::After(_) => "30s",
    }
}

/// Alertmanager `repeat_interval`: how often an unresolved alert is sent again.
/// The faster a level escalates, the more often it reminds: `immediate` every
/// hour, waits up to 30 minutes every 4 hours, longer waits every 12 hours.
#[must_use]
pub fn repeat_interval(escalation: Escalation) -> &'static str {
    match escalation {
        Escalation::Immediate => "1h",
        Escalation::After(d) if d.as_secs() <= 1_800 => "4h",
        Escalation::After(_) => "12h",
    }
}

/// Name of a channel's receiver.
#[must_use]
pub fn receiver_name(c: Channel) -> &'static str {
    match c {
        Channel::Slack => "slack",
        Channel::Email => "email",
        Channel::Pagerduty => "pagerduty",
        Channel::Webhook => "webhook",
    }
}

/// The label value of a severity.
#[must_use]
pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// The receiver with no integrations, used only when no channel is configured.
pub const NULL_RECEIVER: &str = "null";

/// One child route.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Route {
    /// The comment above it (the escalation rule it comes from).
    pub comment: Option<String>,
    /// `matchers:` entries, YAML-quoted.
    pub matchers: Vec<String>,
    /// The receiver.
    pub receiver: &'static str,
    /// `group_wait`.
    pub group_wait: &'static str,
    /// `repeat_interval`.
    pub repeat_interval: &'static str,
    /// Whether later siblings are tried too (one severity, several channels).
    #[serde(rename = "continue")]
    pub continue_: bool,
}

/// One inhibit rule.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Inhibit {
    /// Why.
    pub comment: String,
    /// `source_matchers`, YAML-quoted.
    pub source: Vec<String>,
    /// `target_matchers`, YAML-quoted.
    pub target: Vec<String>,
    /// `equal`.
    pub equal: Vec<&'static str>,
}

/// One receiver.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Receiver {
    /// Name.
    pub name: &'static str,
    /// `slack`, `email`, `pagerduty`, `webhook` or `null`.
    pub kind: &'static str,
    /// The file holding its secret.
    pub secret_file: Option<String>,
}

/// The view of `alertmanager.yml`.
#[derive(Debug, Serialize)]
pub struct AlertmanagerView {
    /// The project name.
    pub project: String,
    /// Whether e-mail is configured (global SMTP settings).
    pub email: bool,
    /// The SMTP password file.
    pub smtp_password_file: String,
    /// The root route's receiver (alerts matching no severity route).
    pub root_receiver: &'static str,
    /// Child routes, most severe first.
    pub routes: Vec<Route>,
    /// Inhibit rules.
    pub inhibit: Vec<Inhibit>,
    /// Receivers.
    pub receivers: Vec<Receiver>,
}

fn secret(name: &str) -> String {
    format!("{SECRETS_DIR}/{name}")
}

fn matcher(label: &str, op: &str, value: &str) -> String {
    single_quoted(&format!("{label}{op}\"{value}\""))
}

/// The Alertmanager configuration for the alert rules' severities.
#[must_use]
pub fn alertmanager(project: &str, alerts: &Alerts, down_alert: &str) -> AlertmanagerView {
    let mut levels: Vec<Severity> = dedup_severities(&alerts.severity_levels);
    levels.sort_by_key(|s| rank(*s));
    let mut routes = Vec::new();
    for s in &levels {
        let escalation = alerts
            .escalation_rules
            .get(s)
            .map_or(Escalation::Immediate, |e| **e);
        let chans = channels(alerts, *s);
        let n = chans.len();
        for (i, c) in chans.into_iter().enumerate() {
            routes.push(Route {
                comment: (i == 0)
                    .then(|| format!("escalation_rules.{}: {escalation}", severity_name(*s))),
                matchers: vec![matcher("severity", "=", severity_name(*s))],
                receiver: receiver_name(c),
                group_wait: group_wait(escalation),
                repeat_interval: repeat_interval(escalation),
                continue_: i + 1 < n,
            });
        }
    }
    let root_receiver = routes
        .last()
        .map(|r| r.receiver)
        .or_else(|| alerts.channels.first().map(|c| receiver_name(*c)))
        .unwrap_or(NULL_RECEIVER);
    let mut inhibit = Vec::new();
    if let Some((most, rest)) = levels.split_first()
        && !rest.is_empty()
    {
        let lower = rest
            .iter()
            .map(|s| severity_name(*s))
            .collect::<Vec<_>>()
            .join("|");
        inhibit.push(Inhibit {
            comment: format!(
                "a {} alert silences less severe alerts of the same name and job (rules that come in tiers)",
                severity_name(*most)
            ),
            source: vec![matcher("severity", "=", severity_name(*most))],
            target: vec![matcher("severity", "=~", &lower)],
            equal: vec!["alertname", "job"],
        });
        inhibit.push(Inhibit {
            comment: format!(
                "while the app is down, its own {} alerts (stale or missing series) add nothing",
                rest.iter()
                    .map(|s| severity_name(*s))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            source: vec![matcher("alertname", "=", down_alert)],
            target: vec![matcher("severity", "=~", &lower)],
            equal: vec!["job"],
        });
    }
    let mut receivers: Vec<Receiver> = dedup(&alerts.channels)
        .into_iter()
        .map(|c| Receiver {
            name: receiver_name(c),
            kind: receiver_name(c),
            secret_file: match c {
                Channel::Slack => Some(secret("slack_api_url")),
                Channel::Pagerduty => Some(secret("pagerduty_routing_key")),
                Channel::Webhook => Some(secret("webhook_token")),
                Channel::Email => None,
            },
        })
        .collect();
    if receivers.is_empty() {
        receivers.push(Receiver {
            name: NULL_RECEIVER,
            kind: NULL_RECEIVER,
            secret_file: None,
        });
    }
    AlertmanagerView {
        project: project.to_owned(),
        email: alerts.channels.contains(&Channel::Email),
        smtp_password_file: secret("smtp_password"),
        root_receiver,
        routes,
        inhibit,
        receivers,
    }
}

/// The secret files alertmanager.yml names (under [`SECRETS_DIR`]), with what
/// belongs in each, for the channels of `alerts`.
#[must_use]
pub fn secret_files(alerts: &Alerts) -> Vec<(&'static str, &'static str)> {
    dedup(&alerts.channels)
        .into_iter()
        .map(|c| match c {
            Channel::Slack => ("slack_api_url", "the Slack incoming-webhook URL"),
            Channel::Pagerduty => (
                "pagerduty_routing_key",
                "the PagerDuty Events API v2 routing key",
            ),
            Channel::Webhook => ("webhook_token", "the bearer token of the alert webhook"),
            Channel::Email => ("smtp_password", "the SMTP relay's password"),
        })
        .collect()
}

fn dedup_severities(levels: &[Severity]) -> Vec<Severity> {
    let mut out = Vec::new();
    for s in levels {
        if !out.contains(s) {
            out.push(*s);
        }
    }
    out
}
