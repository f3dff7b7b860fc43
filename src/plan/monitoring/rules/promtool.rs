//! The promtool unit tests of the rules.

use super::*;

/// One promtool test case.
#[derive(Debug, Serialize)]
pub struct Test {
    /// Name.
    pub name: String,
    /// Input series: (quoted selector, values).
    pub series: Vec<(String, String)>,
    /// Alert checks.
    pub alerts: Vec<AlertCheck>,
    /// Expression checks.
    pub exprs: Vec<ExprCheck>,
}

/// One `alert_rule_test` entry.
#[derive(Debug, Serialize)]
pub struct AlertCheck {
    /// `eval_time`.
    pub eval_time: String,
    /// Alert name.
    pub alertname: String,
    /// Expected alerts: labels and annotations, values YAML-quoted.
    pub expected: Vec<Expected>,
}

/// One expected alert.
#[derive(Debug, Serialize)]
pub struct Expected {
    /// Labels (YAML-quoted values).
    pub labels: Vec<(String, String)>,
    /// Annotations (YAML-quoted values).
    pub annotations: Vec<(String, String)>,
}

/// One `promql_expr_test` entry.
#[derive(Debug, Serialize)]
pub struct ExprCheck {
    /// Expression.
    pub expr: String,
    /// `eval_time`.
    pub eval_time: String,
    /// Expected sample labels (quoted).
    pub labels: String,
    /// Expected value.
    pub value: String,
}

fn series_view(series: &[(String, Values)], samples: u64) -> Vec<(String, String)> {
    series
        .iter()
        .map(|(s, v)| (single_quoted(s), yaml_quoted(&v.notation(samples))))
        .collect()
}

/// The promtool unit tests: each alert fires in its firing scenarios only
/// after its `for:` (checked one minute before and at the end of the wait),
/// and stays quiet in the others, labelled `environment`; each recording rule gives
/// its value.
#[must_use]
pub fn tests(
    config: &Config,
    names: &Names,
    recordings: &[Recording],
    alerts: &[Alert],
    environment: &str,
) -> Vec<Test> {
    let mut out = Vec::new();
    let job = names.app_job.as_str();
    for r in recordings {
        let eval = RATE_WINDOW + 300;
        let cases = std::iter::once((None, &r.series, r.value)).chain(
            r.more
                .iter()
                .map(|(what, series, value)| (Some(what), series, *value)),
        );
        for (what, series, value) in cases {
            out.push(Test {
                name: match what {
                    None => format!("recording rule {}", r.record),
                    Some(what) => format!("recording rule {} with {what}", r.record),
                },
                series: series_view(series, eval / 60 + 1),
                alerts: Vec::new(),
                exprs: vec![ExprCheck {
                    expr: r.check.clone(),
                    eval_time: fmt_secs(eval),
                    labels: single_quoted(&if r.check == r.record {
                        format!("{}{{job=\"{job}\"}}", r.record)
                    } else {
                        format!("{{job=\"{job}\"}}")
                    }),
                    value: number(value),
                }],
            });
        }
    }
    let levels = &config.monitoring.alerts;
    for a in alerts {
        let severity = routing::severity(levels, a.class);
        let wait = alert_wait(levels, a);
        for s in &a.scenarios {
            let fire_at = s.ready + wait;
            let samples = fire_at / 60 + 2;
            let mut checks = Vec::new();
            let name = match &s.fires {
                Some((labels, value)) => {
                    if wait > 0 {
                        // one evaluation before the wait can have ended: pending, not firing
                        checks.push(AlertCheck {
                            eval_time: fmt_secs((s.earliest() + wait).saturating_sub(60)),
                            alertname: a.name.clone(),
                            expected: Vec::new(),
                        });
                    }
                    let mut all = labels.clone();
                    all.push(("severity".into(), routing::severity_name(severity).into()));
                    all.push(("environment".into(), environment.into()));
                    all.sort();
                    checks.push(AlertCheck {
                        eval_time: fmt_secs(fire_at),
                        alertname: a.name.clone(),
                        expected: vec![Expected {
                            labels: all
                                .iter()
                                .map(|(k, v)| (k.clone(), yaml_quoted(v)))
                                .collect(),
                            annotations: vec![
                                (
                                    "summary".into(),
                                    yaml_quoted(&expand(&a.summary, labels, *value)),
                                ),
                                (
                                    "description".into(),
                                    yaml_quoted(&expand(&a.description, labels, *value)),
                                ),
                            ],
                        }],
                    });
                    if wait > 0 {
                        format!("{} fires on {} after {}", a.name, s.what, fmt_secs(wait))
                    } else {
                        format!("{} fires at once on {}", a.name, s.what)
                    }
                }
                None => {
                    checks.push(AlertCheck {
                        eval_time: fmt_secs(fire_at),
                        alertname: a.name.clone(),
                        expected: Vec::new(),
                    });
                    format!("{} stays quiet on {}", a.name, s.what)
                }
            };
            out.push(Test {
                name,
                series: series_view(&s.series, samples),
                alerts: checks,
                exprs: Vec::new(),
            });
        }
    }
    out
}
