//! Escalation rules and business thresholds.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::FileKind::Monitoring;
use crate::model::values::ThresholdUnit;

/// `escalation_rules` has exactly one entry per declared severity.
pub fn escalation_covers_severities(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    // An absent file holds defaults, which agree with each other.
    if ctx.documents.get(Monitoring).is_none() {
        return Vec::new();
    }
    let alerts = &ctx.config.monitoring.alerts;
    let base = ["monitoring_config", "alerts"];
    let mut out = Vec::new();
    for (i, severity) in alerts.severity_levels.iter().enumerate() {
        let name = serde_json::to_value(severity)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if alerts.severity_levels[..i].contains(severity) {
            out.push(
                ctx.error(
                    "rule::duplicate-severity",
                    format!("severity `{name}` is listed twice"),
                    Monitoring,
                    &[base[0], base[1], "severity_levels", &i.to_string()],
                )
                .with_label("listed again here")
                .with_help(format!("remove this second `{name}`")),
            );
        } else if !alerts.escalation_rules.contains_key(severity) {
            let (source, span) = ctx.key(Monitoring, &[base[0], base[1], "escalation_rules"]);
            out.push(
                Diagnostic::error(
                    "rule::escalation-missing",
                    format!("severity `{name}` has no escalation rule"),
                    &source,
                    span,
                )
                .with_label(format!(
                    "expected {} `{name}:` entry here",
                    if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    }
                ))
                .with_help(format!(
                    "add `{name}: \"15m\"` (or `immediate`) under `escalation_rules`"
                )),
            );
        }
    }
    for severity in alerts.escalation_rules.keys() {
        if !alerts.severity_levels.contains(severity) {
            let name = serde_json::to_value(severity)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let (source, span) =
                ctx.key(Monitoring, &[base[0], base[1], "escalation_rules", &name]);
            out.push(
                Diagnostic::error(
                    "rule::escalation-extra",
                    format!("escalation rule for `{name}`, which is not in `severity_levels`"),
                    &source,
                    span,
                )
                .with_label("undeclared severity")
                .with_help(format!(
                    "add `{name}` to `severity_levels` or remove this rule"
                )),
            );
        }
    }
    out
}

/// A `_rate` metric takes a percentage threshold; a `_total` counter takes a per-period rate.
pub fn business_thresholds_fit_metrics(ctx: &Ctx<'_>) -> Vec<Diagnostic> {
    // An absent file holds defaults, which agree with each other.
    if ctx.documents.get(Monitoring).is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, m) in ctx.config.monitoring.business.iter().enumerate() {
        let metric = m.metric.as_str();
        let index = i.to_string();
        let at = [
            "monitoring_config",
            "business",
            index.as_str(),
            "alert_threshold",
        ];
        let problem = match m.alert_threshold.unit {
            ThresholdUnit::Per(..) if !metric.ends_with("_total") => Some((
                "a rate per period applies to a counter",
                format!(
                    "rename the metric to a `_total` counter, or use a plain threshold for `{metric}`"
                ),
            )),
            ThresholdUnit::Percent if !metric.ends_with("_rate") && !metric.ends_with("_ratio") => {
                Some((
                    "a percentage applies to a ratio metric",
                    format!(
                        "name the ratio `..._rate` (cfgen records it), or give `{metric}` a plain threshold"
                    ),
                ))
            }
            ThresholdUnit::Plain | ThresholdUnit::Percent | ThresholdUnit::Per(..) => None,
        };
        if let Some((label, help)) = problem {
            out.push(
                ctx.error(
                    "rule::threshold-metric",
                    format!(
                        "threshold `{}` does not fit metric `{metric}`",
                        m.alert_threshold
                    ),
                    Monitoring,
                    &at,
                )
                .with_label(label)
                .with_help(help),
            );
        }
    }
    out
}
