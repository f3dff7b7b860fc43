//! `scripts/*.sh`: the backup, health, dependency and connection scripts that
//! scripts.yaml steps call, and `deploy.sh`, which runs the scripts.yaml phases
//! locally the way the workflow runs them in CI.
//!
//! Also the mapping of a scripts.yaml step to the command that runs it
//! ([`deploy_steps`]), shared with the workflow so both run the same thing.

use serde::Serialize;

mod steps;

pub use steps::{DeployStep, deploy_steps, map_command};

use super::{Artifact, Check, Syntax};
use crate::model::scripts::GENERATED_SCRIPTS;
use crate::model::security::VulnerabilitySeverity;
use crate::validate::Project;

/// Timeout of a step that gives none (the scripts.yaml default).
pub const DEFAULT_STEP_TIMEOUT_SECS: u64 = 300;

/// The Deployment of the default process (`<project>-<process>`), as the k8s target names it.
#[must_use]
pub fn deployment_name(project: &Project) -> String {
    let config = &project.config;
    let process = super::docker::default_process(config).map_or("app", |(n, _)| n.as_str());
    format!("{}-{process}", config.manifest.name)
}

/// The scripts this project gets, in [`GENERATED_SCRIPTS`] order: the
/// database scripts only with a database, the Redis one only with a cache,
/// the API check only with a public process, the deploy-job runner only
/// with deploy jobs.
#[must_use]
pub fn generated_scripts(config: &crate::model::Config) -> Vec<&'static str> {
    let m = &config.manifest;
    GENERATED_SCRIPTS
        .iter()
        .copied()
        .filter(|s| match *s {
            "backup_database.sh" | "db_connection_test.sh" => m.dependencies.database.is_some(),
            "second_site_copy.sh" => super::kubernetes::backup::second_site(config).is_some(),
            "restore_drill.sh" => super::drill::view(config).is_some(),
            "redis_connection_test.sh" => m.dependencies.cache.is_some(),
            "api_health_check.sh" | "health_check.sh" => m.public_process().is_some(),
            "run_deploy_jobs.sh" => m.deploy_jobs().next().is_some(),
            _ => true,
        })
        .collect()
}

/// Whole minutes for a GitHub `timeout-minutes`, rounded up so the step is
/// never cut short (`90s` → 2), at least 1.
#[must_use]
pub fn timeout_minutes(seconds: u64) -> u64 {
    seconds.div_ceil(60).max(1)
}

/// The severities a scan gate fails on: the threshold and everything above it
/// (`HIGH` → `HIGH,CRITICAL`), in Trivy's spelling.
#[must_use]
pub fn severities_from(threshold: VulnerabilitySeverity) -> String {
    use VulnerabilitySeverity::{Critical, High, Low, Medium};
    [Low, Medium, High, Critical]
        .into_iter()
        .filter(|s| *s >= threshold)
        .map(|s| match s {
            Low => "LOW",
            Medium => "MEDIUM",
            High => "HIGH",
            Critical => "CRITICAL",
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Serialize)]
struct Env {
    name: String,
    namespace: String,
    host: String,
    /// `https://host`, or `http://` where the environment turns TLS off.
    base_url: String,
}

#[derive(Serialize)]
struct DeployJobView {
    name: String,
    deadline_seconds: u64,
}

/// What the backup script dumps and how, for `scripts/backup_database.sh` and
/// the CronJob's copy of it (one script for both).
#[derive(Debug, Clone, Serialize)]
pub struct DumpView {
    /// `mysql` or `postgres`.
    pub engine: &'static str,
    /// The engine in prose.
    pub engine_name: &'static str,
    /// Its default port.
    pub default_port: u16,
    /// The database's default name.
    pub db_name: String,
    /// gzip the dump (MySQL), or pg_dump's own compression (PostgreSQL).
    pub compression: bool,
    /// Encrypt it.
    pub encryption: bool,
    /// Read it back before keeping it.
    pub verification: bool,
    /// Days dumps are kept.
    pub retention_days: u64,
    /// The same, in seconds, as a `…s` duration.
    pub retention: String,
    /// The dump file's extension.
    pub extension: String,
    /// TLS to the database is required.
    pub tls: bool,
    /// How many of the largest tables get their rows counted next to the dump.
    pub tables: u32,
    /// The second site every dump is copied to, if any.
    pub second_site: Option<super::kubernetes::backup::SecondSiteView>,
}

/// The dump of the project's database, if it has one.
#[must_use]
pub fn dump_view(c: &crate::model::Config) -> Option<DumpView> {
    use crate::model::manifest::{DatabaseEngine, MysqlFlavour};
    let database = c.manifest.dependencies.database.as_ref()?;
    let db = &c.backup.database;
    let retention_secs = db.retention.as_secs();
    let (engine, engine_name, default_port) = match *database.engine {
        DatabaseEngine::Postgres => ("postgres", "PostgreSQL", 5432),
        DatabaseEngine::Mysql if database.flavour.as_deref() == Some(&MysqlFlavour::Mariadb) => {
            ("mysql", "MariaDB", 3306)
        }
        DatabaseEngine::Mysql => ("mysql", "MySQL", 3306),
    };
    let base = if engine == "postgres" {
        "dump"
    } else if *db.compression {
        "sql.gz"
    } else {
        "sql"
    };
    Some(DumpView {
        engine,
        engine_name,
        default_port,
        db_name: super::compose::database_name(c),
        compression: *db.compression,
        encryption: *db.encryption,
        verification: *db.verification,
        retention_days: retention_secs.div_ceil(86_400).max(1),
        retention: format!("{retention_secs}s"),
        extension: format!("{base}{}", if *db.encryption { ".enc" } else { "" }),
        tls: *c.security.data.encryption_in_transit,
        tables: super::drill::CHECKED_TABLES,
        second_site: super::kubernetes::backup::second_site(c),
    })
}

#[derive(Serialize)]
struct View {
    project: String,
    deployment: String,
    image: String,
    environments: Vec<Env>,
    liveness: String,
    readiness: String,
    backup: Option<DumpView>,
    /// The restore drill (`restore_drill.sh`).
    drill: Option<super::drill::DrillView>,
    /// Programs the deployment's steps and scripts need.
    tools: Vec<String>,
    steps: Vec<DeployStep>,
    /// From the output folder up to the project folder (`..`).
    to_project: String,
    /// The deploy jobs' Job names, in run order.
    deploy_jobs: Vec<DeployJobView>,
    predeploy_dir: &'static str,
    output: String,
    tls: bool,
    /// The cache speaks TLS (`dependencies.cache.tls`): `redis-cli --tls`.
    cache_tls: bool,
    /// Rollback, alert and smoke test of `deploy.sh`.
    #[serde(flatten)]
    release: super::release::Release,
}

/// Programs each generated script needs.
fn script_tools(script: &str, backup: Option<&DumpView>) -> Vec<&'static str> {
    match script {
        "backup_database.sh" => {
            let Some(backup) = backup else {
                return vec![];
            };
            let mut t = if backup.engine == "postgres" {
                vec!["pg_dump", "pg_restore", "find"]
            } else {
                vec!["mysqldump", "find"]
            };
            if backup.tls && backup.engine != "postgres" {
                // the TLS check before the dump (a `mysql` session)
                t.push("mysql");
            }
            if backup.compression && backup.engine != "postgres" {
                t.push("gzip");
            }
            if backup.encryption {
                t.push("openssl");
            }
            if backup.engine == "postgres" {
                // the row counts of the largest tables, for the restore drill
                t.push("psql");
            } else if !t.contains(&"mysql") {
                t.push("mysql");
            }
            if backup.second_site.is_some() {
                t.extend(["rclone", "sha256sum"]);
            }
            t
        }
        "health_check.sh" => vec!["kubectl", "curl"],
        "api_health_check.sh" => vec!["curl"],
        "db_connection_test.sh" => {
            if backup.is_some_and(|b| b.engine == "postgres") {
                vec!["psql"]
            } else {
                vec!["mysql"]
            }
        }
        "redis_connection_test.sh" => vec!["redis-cli"],
        "run_deploy_jobs.sh" => vec!["kubectl", "kustomize"],
        _ => vec![],
    }
}

/// Whether the project's cache speaks TLS: only when the manifest says so
/// (`dependencies.cache.tls`), never from security.yaml alone, since a Redis
/// without a certificate (the one compose runs) refuses `--tls`.
#[must_use]
pub fn cache_tls(c: &crate::model::Config) -> bool {
    c.manifest
        .dependencies
        .cache
        .as_ref()
        .and_then(|cache| cache.tls.as_deref())
        .copied()
        .unwrap_or(false)
}

/// Every script in [`GENERATED_SCRIPTS`].
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let c = &project.config;
    if !c.manifest.wants(crate::model::manifest::Target::Scripts) {
        return Vec::new();
    }
    let backup = dump_view(c);
    let tls = *c.security.data.encryption_in_transit;
    let steps = deploy_steps(project);
    let mut tools: Vec<String> = vec!["kubectl".into(), "kustomize".into(), "curl".into()];
    for step in &steps {
        let more: Vec<String> = match &step.script {
            Some(script) => script_tools(script, backup.as_ref())
                .into_iter()
                .map(str::to_owned)
                .collect(),
            None => vec![step.program.clone()],
        };
        for t in more {
            if !tools.contains(&t) && !t.contains('/') {
                tools.push(t);
            }
        }
    }
    let output = c.manifest.output.trim_end_matches('/').to_owned();
    let probes =
        super::docker::default_process(c).and_then(|(_, p)| super::workload::probe_paths(p));
    let view = View {
        project: c.manifest.name.to_string(),
        deployment: deployment_name(project),
        image: c.manifest.image.name.clone(),
        environments: c
            .manifest
            .environments
            .iter()
            .map(|(name, e)| {
                let host = e.host.as_ref().map(ToString::to_string).unwrap_or_default();
                Env {
                    name: name.to_string(),
                    namespace: super::kubernetes::namespace(c, name, e),
                    base_url: super::common::public_url(project.config_for(name.as_str()), &host),
                    host,
                }
            })
            .collect(),
        liveness: probes
            .as_ref()
            .map(|p| p.liveness.clone())
            .unwrap_or_default(),
        readiness: probes
            .as_ref()
            .map(|p| p.readiness.clone())
            .unwrap_or_default(),
        deploy_jobs: c
            .manifest
            .deploy_jobs()
            .map(|(name, job)| DeployJobView {
                name: format!("{}-{name}", c.manifest.name),
                deadline_seconds: super::workload::job_deadline_secs(job),
            })
            .collect(),
        predeploy_dir: super::kubernetes::PREDEPLOY_DIR,
        drill: super::drill::view(c),
        backup,
        tools,
        steps,
        to_project: output
            .split('/')
            .map(|_| "..")
            .collect::<Vec<_>>()
            .join("/"),
        output,
        tls,
        cache_tls: cache_tls(c),
        release: super::release::release(c),
    };
    let context = serde_json::to_value(&view).unwrap_or_default();
    generated_scripts(c)
        .iter()
        .map(|name| {
            let template = match *name {
                "backup_database.sh" => "scripts/backup_database.sh.j2",
                "second_site_copy.sh" => "scripts/second_site_copy.sh.j2",
                "restore_drill.sh" => "scripts/restore_drill.sh.j2",
                "health_check.sh" => "scripts/health_check.sh.j2",
                "dependency_check.sh" => "scripts/dependency_check.sh.j2",
                "api_health_check.sh" => "scripts/api_health_check.sh.j2",
                "db_connection_test.sh" => "scripts/db_connection_test.sh.j2",
                "run_deploy_jobs.sh" => "scripts/run_deploy_jobs.sh.j2",
                "redis_connection_test.sh" => "scripts/redis_connection_test.sh.j2",
                _ => "scripts/deploy.sh.j2",
            };
            Artifact::new(
                format!("scripts/{name}"),
                template,
                &context,
                Syntax::Shell,
                Check::None,
            )
            .executable()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scripts::Step;
    use crate::model::values::Duration;

    fn step(command: &str, required: bool, timeout: Option<u64>) -> Step {
        Step {
            name: "s".into(),
            command: command.into(),
            required: required.into(),
            timeout: timeout.map(|t| Duration::from_secs(t).into()),
        }
    }

    /// Issue 12: `--tls` follows the cache's own `tls`, never security.yaml alone (the
    /// example asks for encryption in transit, and its compose Redis has no certificate).
    #[test]
    fn redis_tls_only_when_the_cache_speaks_it() {
        let example = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ecommerce/cfgen.yaml"),
        )
        .expect("the example's manifest");
        let plain = crate::plan::project_with_manifest(&example);
        assert!(*plain.config.security.data.encryption_in_transit);
        let view = crate::plan::view_of(&plain, "scripts/redis_connection_test.sh");
        assert_eq!(view["cache_tls"], false);
        let managed = example.replace(
            "cache: { engine: redis }",
            "cache: { engine: redis, external: true, tls: true }",
        );
        assert_ne!(managed, example);
        let managed = crate::plan::project_with_manifest(&managed);
        let view = crate::plan::view_of(&managed, "scripts/redis_connection_test.sh");
        assert_eq!(view["cache_tls"], true);
    }

    #[test]
    fn timeouts_round_up_to_whole_minutes() {
        assert_eq!(timeout_minutes(300), 5);
        assert_eq!(timeout_minutes(600), 10);
        assert_eq!(timeout_minutes(120), 2);
        assert_eq!(timeout_minutes(90), 2);
        assert_eq!(timeout_minutes(61), 2);
        assert_eq!(timeout_minutes(1), 1);
        assert_eq!(timeout_minutes(0), 1);
    }

    #[test]
    fn threshold_selects_it_and_every_severity_above() {
        use VulnerabilitySeverity::*;
        assert_eq!(severities_from(Low), "LOW,MEDIUM,HIGH,CRITICAL");
        assert_eq!(severities_from(Medium), "MEDIUM,HIGH,CRITICAL");
        assert_eq!(severities_from(High), "HIGH,CRITICAL");
        assert_eq!(severities_from(Critical), "CRITICAL");
    }

    #[test]
    fn generated_scripts_run_from_the_output_folder() {
        let (cmd, notes, script) = map_command(
            &step("scripts/backup_database.sh", true, None),
            "deploy",
            GENERATED_SCRIPTS,
        );
        assert_eq!(cmd, "deploy/scripts/backup_database.sh");
        assert!(notes.is_empty());
        assert_eq!(script.as_deref(), Some("backup_database.sh"));
        let (cmd, _, _) = map_command(
            &step("bash ./scripts/health_check.sh --quick", true, None),
            "out/x",
            GENERATED_SCRIPTS,
        );
        assert_eq!(cmd, "out/x/scripts/health_check.sh --quick");
        // a script of the project's own stays as written
        let (cmd, _, script) = map_command(
            &step("scripts/own.sh", true, None),
            "deploy",
            GENERATED_SCRIPTS,
        );
        assert_eq!((cmd.as_str(), script), ("scripts/own.sh", None));
    }

    #[test]
    fn kubectl_gets_the_namespace_the_kustomization_and_no_tty() {
        let (cmd, notes, _) = map_command(
            &step("kubectl apply -f k8s/", true, Some(300)),
            "deploy",
            GENERATED_SCRIPTS,
        );
        assert_eq!(
            cmd,
            r#"kubectl --namespace "$KUBE_NAMESPACE" apply -k "$KUSTOMIZE_DIR""#
        );
        assert_eq!(notes.len(), 2);
        let (cmd, _, _) = map_command(
            &step(
                "kubectl rollout status deployment/ecommerce-app",
                true,
                Some(600),
            ),
            "deploy",
            GENERATED_SCRIPTS,
        );
        assert_eq!(
            cmd,
            r#"kubectl --namespace "$KUBE_NAMESPACE" rollout status deployment/ecommerce-app --timeout=600s"#
        );
        let (cmd, _, _) = map_command(
            &step(
                "kubectl exec -it deployment/ecommerce-app -- alembic upgrade head -t",
                true,
                None,
            ),
            "deploy",
            GENERATED_SCRIPTS,
        );
        assert_eq!(
            cmd,
            r#"kubectl --namespace "$KUBE_NAMESPACE" exec deployment/ecommerce-app -- alembic upgrade head -t"#
        );
        let (cmd, notes, _) = map_command(
            &step("kubectl -n other get pods", true, None),
            "deploy",
            GENERATED_SCRIPTS,
        );
        assert_eq!(
            (cmd.as_str(), notes.len()),
            ("kubectl -n other get pods", 0)
        );
        let (cmd, _, _) = map_command(
            &step("pytest tests/smoke/", true, None),
            "deploy",
            GENERATED_SCRIPTS,
        );
        assert_eq!(cmd, "pytest tests/smoke/");
    }
}
