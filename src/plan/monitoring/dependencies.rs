//! The alerts on the project's dependencies, seen from the app (`app_dependency_up`, its
//! own checks) and from the servers' exporters (`*_up`, compose only). What the app cannot
//! serve without (the database) is availability: `AppNotReady` and `AppDependencyDown`,
//! critical. The cache is not: the app serves without it (reads go to the database), so its
//! outage is degraded service: `AppCacheDown` and `CacheDown`, warning (SPEC.md: "a cache
//! outage is degraded service, reported in `/metrics`, not unreadiness").

use super::routing::AlertClass;
use super::rules::{Alert, DEPENDENCY_UP, Scenario, Values, owned, sel};
use super::{Exporter, Names};

/// Name of the alert on the app's own view of a dependency it needs ([`DEPENDENCY_UP`]).
pub const APP_NOT_READY: &str = "AppNotReady";

/// Name of the alert on the app's own view of its cache.
pub const APP_CACHE_DOWN: &str = "AppCacheDown";

/// Name of the exporters' alert on the servers the app needs.
pub const DEPENDENCY_DOWN: &str = "AppDependencyDown";

/// Name of the exporter's alert on the cache server.
pub const CACHE_DOWN: &str = "CacheDown";

/// The `dependency` label of the cache in [`DEPENDENCY_UP`].
pub const CACHE_LABEL: &str = "redis";

/// The exporter alerts (not in a cluster, where cfgen deploys no exporter).
pub const EXPORTER_ALERTS: [&str; 2] = [DEPENDENCY_DOWN, CACHE_DOWN];

/// The dependency a `dependency` label names, in prose.
fn dependency_name(label: &str) -> &str {
    match label {
        "redis" => "Redis",
        other => other,
    }
}

/// Every dependency alert of the project, in a fixed order.
#[must_use]
pub fn alerts(names: &Names) -> Vec<Alert> {
    let mut out = Vec::new();
    let (required, cache): (Vec<&Exporter>, Vec<&Exporter>) =
        names.exporters.iter().partition(|e| e.required);
    if let Some(a) = exporter_alert(&required, true) {
        out.push(a);
    }
    if let Some(a) = exporter_alert(&cache, false) {
        out.push(a);
    }
    let (needed, optional): (Vec<&str>, Vec<&str>) = names
        .dependencies
        .iter()
        .copied()
        .partition(|l| *l != CACHE_LABEL);
    if let Some(a) = app_alert(names, &needed, &optional, true) {
        out.push(a);
    }
    if let Some(a) = app_alert(names, &optional, &needed, false) {
        out.push(a);
    }
    out
}

/// The exporters' view of `exporters` (all required, or all the cache): the server says it
/// is down (`*_up == 0`) or its exporter cannot be scraped (`up == 0`, state unknown).
fn exporter_alert(exporters: &[&Exporter], required: bool) -> Option<Alert> {
    let first = *exporters.first()?;
    let last = *exporters.last()?;
    let up = |e: &Exporter, v: Values| (sel("up", &[("job", &e.job), ("instance", &e.target)]), v);
    let server_up = |e: &Exporter, v: Values| {
        (
            sel(e.up_metric, &[("job", &e.job), ("instance", &e.target)]),
            v,
        )
    };
    let down = Values::Step {
        before: 1.0,
        minutes: 2,
        after: 0.0,
    };
    let fine = Values::Gauge(1.0);
    let whats: Vec<&str> = exporters.iter().map(|e| e.what).collect();
    let ups: Vec<&str> = exporters.iter().map(|e| e.up_metric).collect();
    let jobs: Vec<&str> = exporters.iter().map(|e| e.job.as_str()).collect();
    let mut expr = Vec::new();
    for e in exporters {
        expr.push(format!("{}{{job=\"{}\"}} == 0", e.up_metric, e.job));
        expr.push("or".into());
    }
    expr.push(match jobs.as_slice() {
        [one] => format!("up{{job=\"{one}\"}} == 0"),
        _ => format!("up{{job=~\"{}\"}} == 0", jobs.join("|")),
    });
    let series = |broken: &str, server: bool| -> Vec<(String, Values)> {
        exporters
            .iter()
            .flat_map(|e| {
                let hit = e.job == broken;
                match (hit, server) {
                    (true, true) => vec![server_up(e, down), up(e, fine)],
                    (true, false) => vec![up(e, down)],
                    _ => vec![server_up(e, fine), up(e, fine)],
                }
            })
            .collect()
    };
    let scenarios = vec![
        Scenario {
            what: format!("{} unreachable", first.what),
            series: series(&first.job, true),
            ready: 120,
            fires: Some((
                owned(&[("job", &first.job), ("instance", &first.target)]),
                0.0,
            )),
        },
        Scenario {
            what: format!("the {} exporter unreachable", last.what),
            series: series(&last.job, false),
            ready: 120,
            fires: Some((
                owned(&[("job", &last.job), ("instance", &last.target)]),
                0.0,
            )),
        },
        Scenario {
            what: format!("{} up", whats.join(" and ")),
            series: series("", true),
            ready: 120,
            fires: None,
        },
    ];
    let either = whats.join(" or ");
    let state = format!(
        "({} == 0) or the exporter itself (up == 0, state unknown)",
        ups.join("/")
    );
    Some(if required {
        Alert {
            name: DEPENDENCY_DOWN.into(),
            class: AlertClass::Availability,
            comment: vec![
                format!(
                    "the app cannot serve without {either}: its readiness probe fails and it takes no traffic;"
                ),
                format!(
                    "seen from the servers' exporters ({APP_NOT_READY} sees it from the app): the server"
                ),
                state,
            ],
            expr,
            summary: "{{ $labels.job }} is down or unobservable: the app is not ready".into(),
            description: format!(
                "{{{{ $labels.instance }}}} reports its server unreachable, or cannot be scraped. The app's readiness probe fails while {either} is unreachable, so it receives no traffic."
            ),
            scenarios,
        }
    } else {
        Alert {
            name: CACHE_DOWN.into(),
            class: AlertClass::Degraded,
            comment: vec![
                format!(
                    "the cache: the app serves without {either} (reads go to the database): degraded service,"
                ),
                format!(
                    "not unreadiness; seen from its exporter ({APP_CACHE_DOWN} sees it from the app): the server"
                ),
                state,
            ],
            expr,
            summary: "{{ $labels.job }} is down or unobservable: the app serves without its cache"
                .into(),
            description: format!(
                "{{{{ $labels.instance }}}} reports its server unreachable, or cannot be scraped. The app stays ready without {either} and serves from the database, slower and with more load on it."
            ),
            scenarios,
        }
    })
}

/// The app's own view of `labels` (the dependencies it needs, or its cache), with
/// scenarios proving it fires for each of them and stays quiet for the `others`.
fn app_alert(names: &Names, labels: &[&str], others: &[&str], required: bool) -> Option<Alert> {
    let broken = *labels.last()?;
    let job = names.app_job.as_str();
    let app = names.app_target.as_str();
    let readiness = names.readiness_path.as_str();
    let dependency = |name: &str, v: Values| {
        (
            sel(
                DEPENDENCY_UP,
                &[("job", job), ("instance", app), ("dependency", name)],
            ),
            v,
        )
    };
    let down = Values::Step {
        before: 1.0,
        minutes: 2,
        after: 0.0,
    };
    let fine = Values::Gauge(1.0);
    let all: Vec<&str> = labels.iter().chain(others).copied().collect();
    let mut scenarios = vec![
        Scenario {
            what: format!("{} unreachable from the app", dependency_name(broken)),
            series: all
                .iter()
                .map(|l| dependency(l, if *l == broken { down } else { fine }))
                .collect(),
            ready: 120,
            fires: Some((
                owned(&[("dependency", broken), ("instance", app), ("job", job)]),
                0.0,
            )),
        },
        Scenario {
            what: "every dependency reachable".into(),
            series: all.iter().map(|l| dependency(l, fine)).collect(),
            ready: 120,
            fires: None,
        },
    ];
    if let Some(other) = others.last() {
        scenarios.push(Scenario {
            what: format!("only {} unreachable", dependency_name(other)),
            series: all
                .iter()
                .map(|l| dependency(l, if l == other { down } else { fine }))
                .collect(),
            ready: 120,
            fires: None,
        });
    }
    let selector = if labels.len() == 1 {
        format!("dependency=\"{broken}\"")
    } else {
        format!("dependency=~\"{}\"", labels.join("|"))
    };
    let expr = vec![format!("{DEPENDENCY_UP}{{job=\"{job}\", {selector}}} == 0")];
    Some(if required {
        Alert {
            name: APP_NOT_READY.into(),
            class: AlertClass::Availability,
            comment: vec![
                format!("probes.readiness ({readiness}): the app's own check of what it cannot serve without, exported"),
                format!("as {DEPENDENCY_UP}{{dependency}} (1 reachable, 0 not; checked on every scrape, like {readiness})."),
                "It shows what the app sees (credentials, network, its pools), which no exporter can.".into(),
                "An app that does not export it leaves this alert silent (a prometheus_client gauge set by".into(),
                format!("the {readiness} checks is enough); {DEPENDENCY_DOWN} still watches the servers' exporters"),
            ],
            expr,
            summary: "{{ $labels.instance }} is not ready: {{ $labels.dependency }} unreachable".into(),
            description: format!("{{{{ $labels.instance }}}} cannot reach {{{{ $labels.dependency }}}} (its check failed or timed out), so its readiness probe {readiness} fails and it receives no traffic."),
            scenarios,
        }
    } else {
        Alert {
            name: APP_CACHE_DOWN.into(),
            class: AlertClass::Degraded,
            comment: vec![
                format!("the app's own check of its cache ({DEPENDENCY_UP}{{dependency=\"{broken}\"}}): a cache outage is"),
                format!("degraded service, not unreadiness: {readiness} stays 200 and reads go to the database"),
            ],
            expr,
            summary: "{{ $labels.instance }} serves without its cache: {{ $labels.dependency }} unreachable".into(),
            description: format!("{{{{ $labels.instance }}}} cannot reach {{{{ $labels.dependency }}}} (its check failed or timed out). It stays ready ({readiness} answers 200) and serves from the database: slower, and with more load on the database."),
            scenarios,
        }
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::plan::monitoring::rules::service_alerts;

    /// Every project of the repository (examples/*, app): the rules hold for any of them.
    pub(crate) fn every_project() -> Vec<crate::validate::Project> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs: Vec<_> = std::fs::read_dir(root.join("examples"))
            .expect("examples/")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.join("cfgen.yaml").is_file())
            .collect();
        dirs.sort();
        dirs.push(root.join("app"));
        dirs.iter()
            .map(|d| {
                crate::validate::check_project(d)
                    .project
                    .unwrap_or_else(|| panic!("{} is valid", d.display()))
            })
            .collect()
    }

    /// Issue 12: a cache outage is degraded service. For every project with a cache, the
    /// app's view of it is its own warning-level alert, and neither critical alert
    /// (`AppNotReady`, `AppDependencyDown`) reads the cache. Before, `AppNotReady` read every
    /// `app_dependency_up` series and `AppDependencyDown` `redis_up`: both paged on a Redis
    /// outage.
    #[test]
    fn a_cache_outage_is_a_warning_never_unreadiness() {
        let mut with_cache = 0;
        for p in every_project() {
            let c = &p.config;
            let Some(names) = Names::new(c) else { continue };
            let all = service_alerts(c, &names);
            let project = c.manifest.name.as_str();
            for a in &all {
                let reads_cache = a.expr.iter().any(|e| {
                    e.contains("dependency=\"redis\"")
                        || e.contains("redis_up")
                        || e.contains("\"redis\"")
                }) || a
                    .expr
                    .iter()
                    .any(|e| e.starts_with(DEPENDENCY_UP) && !e.contains("dependency="));
                // availability pages (critical, or the nearest declared level)
                let critical = a.class == AlertClass::Availability;
                assert!(
                    !(reads_cache && critical),
                    "{project}: {} reads the cache and pages: {:?}",
                    a.name,
                    a.expr
                );
            }
            if c.manifest.dependencies.cache.is_none() {
                assert!(all.iter().all(|a| a.name != APP_CACHE_DOWN), "{project}");
                continue;
            }
            with_cache += 1;
            let cache = all
                .iter()
                .find(|a| a.name == APP_CACHE_DOWN)
                .unwrap_or_else(|| panic!("{project}: no {APP_CACHE_DOWN}"));
            assert_eq!(cache.class, AlertClass::Degraded, "{project}");
            assert_eq!(
                cache.expr,
                [format!(
                    "{DEPENDENCY_UP}{{job=\"{}\", dependency=\"redis\"}} == 0",
                    names.app_job
                )]
            );
            if let Some(ready) = all.iter().find(|a| a.name == APP_NOT_READY) {
                // its promtool cases include the cache down: quiet
                assert!(
                    ready
                        .scenarios
                        .iter()
                        .any(|s| s.what == "only Redis unreachable" && s.fires.is_none()),
                    "{project}: {:?}",
                    ready.scenarios.iter().map(|s| &s.what).collect::<Vec<_>>()
                );
            }
        }
        assert!(with_cache >= 2, "projects with a cache: {with_cache}");
    }
}
