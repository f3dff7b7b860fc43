//! `<repository root>/.github/workflows/<name>-deploy.yml` (see [`super::repository`]):
//! build the image, scan it against the vulnerability threshold, then deploy environment
//! by environment, each running `scripts/deploy.sh`.

use serde::Serialize;

use super::scripts::{deploy_steps, severities_from, timeout_minutes};
use super::{Artifact, Check, Syntax};
use crate::validate::Project;

/// Every action the workflow uses, pinned by full commit SHA (a tag can be
/// moved; zizmor's `unpinned-uses`), with the release it is: (key, `uses:` value).
/// Update together, from each action's release page.
pub const ACTIONS: &[(&str, &str)] = &[
    (
        "checkout",
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
    ),
    (
        "setup_buildx",
        "docker/setup-buildx-action@37fe631027851001ddb9b187196cc803df7f5f0e # v4.3.0",
    ),
    (
        "login",
        "docker/login-action@4907a6ddec9925e35a0a9e82d7399ccc52663121 # v4.1.0",
    ),
    (
        "build_push",
        "docker/build-push-action@53b7df96c91f9c12dcc8a07bcb9ccacbed38856a # v7.3.0",
    ),
    (
        "trivy",
        "aquasecurity/trivy-action@57a97c7e7821a5776cebc9bb87c984fa69cba8f1 # v0.35.0",
    ),
    (
        "upload_sarif",
        "github/codeql-action/upload-sarif@8aad20d150bbac5944a9f9d289da16a4b0d87c1e # v4.36.2",
    ),
    (
        "setup_python",
        "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97 # v7.0.0",
    ),
    (
        "upload_artifact",
        "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0",
    ),
];

/// Names that mark the environment deployed last, only from `main` or a release.
const PRODUCTION_NAMES: &[&str] = &["production", "prod"];

/// Minutes a deploy job may take beyond the sum of its steps' timeouts
/// (checkout, cluster access, image pin, smoke test).
const JOB_MARGIN_MINUTES: u64 = 10;

/// Seconds `deploy.sh` may take beyond its steps, deploy jobs, smoke test and rollback
/// waits (pinning the image, recording the live one, the alert).
const ROLLBACK_MARGIN_SECS: u64 = 120;

/// One environment-variable line of a step: `NAME: value` (a `${{ }}` expression).
#[derive(Debug, Clone, Serialize)]
struct EnvLine {
    name: &'static str,
    value: String,
}

#[derive(Debug, Serialize)]
struct DeployJob {
    id: String,
    name: String,
    /// The public host (none without a public process).
    host: Option<String>,
    /// Its URL, `https://` unless the environment turns TLS off.
    base_url: Option<String>,
    needs: Vec<String>,
    /// Deployed only from `main` or a published release.
    protected: bool,
    timeout_minutes: u64,
    /// The deploy step's timeout: every step's, the deploy jobs', the smoke test's and the
    /// rollback's, so `deploy.sh`'s own timeouts fire first and it can still roll back.
    deploy_minutes: u64,
    /// Secrets and variables the scripts and the alert read.
    env: Vec<EnvLine>,
}

#[derive(Debug, Serialize)]
struct Scan {
    severities: String,
    threshold: String,
}

/// How the image to deploy comes to be: built, or a prebuilt one resolved to a digest.
#[derive(Debug, Serialize)]
struct Build {
    dockerfile: String,
    context: String,
    layer_caching: bool,
}

#[derive(Debug, Serialize)]
struct View {
    project: String,
    registry: String,
    /// The registry is GitHub's: log in with `GITHUB_TOKEN`.
    ghcr: bool,
    /// The repository (without tag or digest).
    image: String,
    /// The job whose `image` output names what to deploy: `build` or `resolve`.
    image_job: &'static str,
    build: Option<Build>,
    /// A prebuilt image as cfgen.yaml names it (tag or digest).
    prebuilt: Option<String>,
    scan: Option<Scan>,
    jobs: Vec<DeployJob>,
    /// The output folder, relative to the project.
    output: String,
    /// The project folder in its repository (`.` at the root): the `run:` steps'
    /// working directory and the push trigger's `paths:`.
    project_dir: String,
    /// The push trigger's `paths:` (none: every push): the project folder and a build
    /// context outside it; none when the context is the whole repository.
    push_paths: Vec<String>,
    /// `uses:` of each action, by key ([`ACTIONS`]).
    actions: std::collections::BTreeMap<&'static str, &'static str>,
    /// Debian packages of the clients a step runs that the runner lacks.
    apt_packages: Vec<&'static str>,
    /// Python version to set up when a step runs pytest/python.
    python: Option<String>,
    backup_retention_days: u64,
    backup_encrypted: bool,
    /// A step runs `backup_database.sh` (its dump is kept as an artifact).
    backup_step: bool,
    /// That step copies the dump to the second backup site (its bucket's credentials).
    second_site: bool,
    /// Alert endpoints each GitHub environment provides, as secrets and as variables.
    alert_secrets: Vec<&'static str>,
    alert_vars: Vec<&'static str>,
}

/// Secrets and variables a generated script reads, as GitHub expressions.
/// Values come from the GitHub environment of the job (`vars`, `secrets`).
fn script_env(script: &str, encrypted: bool, second_site: bool) -> Vec<EnvLine> {
    let line = |name: &'static str, value: &str| EnvLine {
        name,
        value: value.to_owned(),
    };
    let db = || {
        vec![
            line("DB_HOST", "${{ vars.DB_HOST }}"),
            line("DB_PORT", "${{ vars.DB_PORT }}"),
            line("DB_NAME", "${{ vars.DB_NAME }}"),
            line("DB_USER", "${{ vars.DB_USER }}"),
            line("DB_PASSWORD", "${{ secrets.DB_PASSWORD }}"),
        ]
    };
    match script {
        "backup_database.sh" => {
            let mut env = db();
            if encrypted {
                env.push(line("BACKUP_KEY", "${{ secrets.BACKUP_ENCRYPTION_KEY }}"));
            }
            env.push(line("BACKUP_DIR", "${{ runner.temp }}/backups"));
            // backup_database.sh copies each dump to the second site with rclone
            if second_site {
                env.push(line(
                    "RCLONE_CONFIG_SECONDSITE_ACCESS_KEY_ID",
                    "${{ secrets.BACKUP_S3_ACCESS_KEY_ID }}",
                ));
                env.push(line(
                    "RCLONE_CONFIG_SECONDSITE_SECRET_ACCESS_KEY",
                    "${{ secrets.BACKUP_S3_SECRET_ACCESS_KEY }}",
                ));
            }
            env
        }
        "db_connection_test.sh" => db(),
        "redis_connection_test.sh" => vec![
            line("REDIS_HOST", "${{ vars.REDIS_HOST }}"),
            line("REDIS_PORT", "${{ vars.REDIS_PORT }}"),
            line("REDISCLI_AUTH", "${{ secrets.REDIS_PASSWORD }}"),
        ],
        _ => vec![],
    }
}

/// `ghcr.io/acme/shop` → `ghcr.io`; a repository without a registry host is on Docker Hub.
fn registry_of(repository: &str) -> String {
    match repository.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first.to_owned()
        }
        _ => "docker.io".to_owned(),
    }
}

/// Environments in deployment order: every other one (by name), then production.
fn deployment_order(names: &[String]) -> Vec<String> {
    let (last, mut first): (Vec<String>, Vec<String>) = names
        .iter()
        .cloned()
        .partition(|n| PRODUCTION_NAMES.contains(&n.as_str()));
    first.extend(last);
    first
}

/// `python:3.11-slim` → `3.11`.
fn python_version(tag: Option<&str>) -> String {
    tag.map(|t| {
        t.chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect::<String>()
    })
    .filter(|v| !v.is_empty())
    .unwrap_or_else(|| "3.12".to_owned())
}

/// The workflow.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let c = &project.config;
    if !c.manifest.wants(crate::model::manifest::Target::Workflow) {
        return Vec::new();
    }
    let output = c.manifest.output.trim_end_matches('/');
    let image_job = if c.manifest.build.is_some() {
        "build"
    } else {
        "resolve"
    };
    let steps = deploy_steps(project);
    let encrypted = c.backup.database.encryption;
    // security.yaml decides; validation makes docker.yaml agree.
    let scan = (*c.security.container.scan_images).then(|| {
        let threshold = c.security.container.vulnerability_threshold;
        Scan {
            severities: severities_from(*threshold),
            threshold: severities_from(*threshold)
                .split(',')
                .next()
                .unwrap_or_default()
                .to_owned(),
        }
    });
    let names: Vec<String> = c
        .manifest
        .environments
        .keys()
        .map(ToString::to_string)
        .collect();
    let order = deployment_order(&names);
    let location = super::repository::of_project(&project.dir, c);
    let file = super::repository::file_name(c);
    let project_dir = location.project_dir.clone();
    // A path outside the repository stays as written: validation reports it.
    let from_root = |path: &str| {
        super::release::join_relative(&project_dir, path).unwrap_or_else(|| path.to_owned())
    };
    let release = super::release::release(c);
    let deploy_secs: u64 = steps.iter().map(|s| s.timeout_secs).sum::<u64>()
        + release.deploy_jobs_secs
        + release.smoke.as_ref().map_or(0, |s| s.timeout_secs)
        + release.rollback_timeout_secs * release.deployments.len() as u64
        + ROLLBACK_MARGIN_SECS;
    let second_site = super::kubernetes::backup::second_site(c).is_some();
    let mut env_lines: Vec<EnvLine> = Vec::new();
    for step in &steps {
        for line in step
            .script
            .as_deref()
            .map(|script| script_env(script, *encrypted, second_site))
            .unwrap_or_default()
        {
            if !env_lines.iter().any(|l| l.name == line.name) {
                env_lines.push(line);
            }
        }
    }
    let (mut alert_secrets, mut alert_vars) = (Vec::new(), Vec::new());
    for channel in c.monitoring.alerts.channels.iter() {
        for (name, from) in super::release::channel_env(*channel) {
            env_lines.push(EnvLine {
                name,
                value: format!("${{{{ {from}.{name} }}}}"),
            });
            if *from == "secrets" {
                alert_secrets.push(*name);
            } else {
                alert_vars.push(*name);
            }
        }
    }
    let mut previous: Option<String> = None;
    let mut jobs = Vec::new();
    for name in &order {
        let Some((_, env)) = c
            .manifest
            .environments
            .iter()
            .find(|(n, _)| n.to_string() == *name)
        else {
            continue;
        };
        let id = format!("deploy-{name}");
        let mut needs = vec![image_job.to_owned()];
        if scan.is_some() {
            needs.push("scan".into());
        }
        if let Some(p) = &previous {
            needs.push(p.clone());
        }
        // The environment's URL needs a public process on a host.
        let host = env
            .host
            .as_ref()
            .filter(|_| c.manifest.public_process().is_some())
            .map(ToString::to_string);
        jobs.push(DeployJob {
            id: id.clone(),
            name: name.clone(),
            base_url: host
                .as_deref()
                .map(|h| super::common::public_url(project.config_for(name), h)),
            host,
            needs,
            protected: PRODUCTION_NAMES.contains(&name.as_str()) || previous.is_some(),
            timeout_minutes: timeout_minutes(deploy_secs + JOB_MARGIN_MINUTES * 60),
            deploy_minutes: timeout_minutes(deploy_secs),
            env: env_lines.clone(),
        });
        previous = Some(id);
    }
    // The ubuntu-24.04 runner has psql, pg_dump and the mysql client, but no redis-cli.
    // Nor rclone, which backup_database.sh runs for the second backup site.
    let runs = |script: &str| steps.iter().any(|s| s.script.as_deref() == Some(script));
    let mut apt_packages: Vec<&'static str> = Vec::new();
    if runs("backup_database.sh") && second_site {
        apt_packages.push("rclone");
    }
    if runs("redis_connection_test.sh") {
        apt_packages.push("redis-tools");
    }
    let needs_python = steps
        .iter()
        .any(|s| matches!(s.program.as_str(), "pytest" | "python" | "python3" | "pip"));
    let view = View {
        project: c.manifest.name.to_string(),
        registry: registry_of(&c.manifest.image.name),
        ghcr: registry_of(&c.manifest.image.name) == "ghcr.io",
        image: c.manifest.image.name.clone(),
        image_job,
        build: c.manifest.build.as_ref().map(|_| Build {
            // `uses:` steps ignore `working-directory`: both from the repository root
            dockerfile: from_root(&super::docker::dockerfile_path(c)),
            context: from_root(super::docker::build_context(c)),
            layer_caching: *c.docker.build.layer_caching,
        }),
        prebuilt: c
            .manifest
            .build
            .is_none()
            .then(|| c.manifest.image.to_string()),
        scan,
        jobs,
        output: output.to_owned(),
        push_paths: if project_dir == "." {
            Vec::new()
        } else {
            let mut paths = vec![
                format!("{project_dir}/**"),
                format!("{}/{file}", super::repository::WORKFLOWS_DIR),
            ];
            if c.manifest.build.is_some() {
                let context = from_root(super::docker::build_context(c));
                if context == "." {
                    paths.clear();
                } else if context != project_dir && !context.starts_with(&format!("{project_dir}/"))
                {
                    paths.push(format!("{context}/**"));
                }
            }
            paths
        },
        project_dir: project_dir.clone(),
        actions: ACTIONS.iter().copied().collect(),
        apt_packages,
        python: needs_python.then(|| {
            python_version(
                c.docker
                    .base_images
                    .python
                    .as_ref()
                    .and_then(|i| i.tag.as_deref()),
            )
        }),
        backup_retention_days: c
            .backup
            .database
            .retention
            .as_secs()
            .div_ceil(86_400)
            .clamp(1, 90),
        backup_encrypted: *encrypted,
        backup_step: runs("backup_database.sh"),
        second_site: runs("backup_database.sh") && second_site,
        alert_secrets,
        alert_vars,
    };
    vec![Artifact::new(
        super::repository::path_from_output(output, location.levels, &file),
        "workflow/deploy.yml.j2",
        view,
        Syntax::Yaml,
        Check::Workflow,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_is_deployed_last() {
        let names = ["production", "qa", "staging"].map(String::from).to_vec();
        assert_eq!(deployment_order(&names), ["qa", "staging", "production"]);
        let names = ["dev", "prod"].map(String::from).to_vec();
        assert_eq!(deployment_order(&names), ["dev", "prod"]);
    }

    #[test]
    fn registry_is_the_first_segment_when_it_is_a_host() {
        assert_eq!(registry_of("ghcr.io/acme/shop"), "ghcr.io");
        assert_eq!(
            registry_of("registry.local:5000/shop"),
            "registry.local:5000"
        );
        assert_eq!(registry_of("acme/shop"), "docker.io");
        assert_eq!(registry_of("shop"), "docker.io");
    }

    #[test]
    fn python_version_comes_from_the_base_image_tag() {
        assert_eq!(python_version(Some("3.11-slim")), "3.11");
        assert_eq!(python_version(Some("slim")), "3.12");
        assert_eq!(python_version(None), "3.12");
    }

    /// Renders the example's workflow, edited, and returns it parsed.
    fn rendered_example(edit: impl FnOnce(&mut crate::model::Config)) -> serde_json::Value {
        let mut project = crate::plan::example_project();
        edit(&mut project.config);
        let artifact = plan(&project).remove(0);
        let renderer = crate::render::Renderer::new(None).expect("templates compile");
        let text = renderer.render(&artifact).expect("renders");
        crate::verify::verify(&artifact, &text).expect("a valid workflow");
        crate::verify::parse_yaml("deploy.yml", &text).expect("YAML")
    }

    #[test]
    fn steps_map_timeout_and_required_and_the_scan_gates_at_the_threshold() {
        use crate::model::security::VulnerabilitySeverity;
        let workflow = rendered_example(|c| {
            *c.security.container.vulnerability_threshold = VulnerabilitySeverity::Medium;
        });
        let steps = workflow["jobs"]["deploy-staging"]["steps"]
            .as_array()
            .unwrap();
        // one step runs deploy.sh, which runs the scripts.yaml steps under their timeouts,
        // rolls back and alerts; its own timeout covers all of them and the rollback
        let deploy = steps
            .iter()
            .find(|s| s["name"] == "Deploy to staging")
            .expect("the deploy step");
        assert_eq!(deploy["run"], "deploy/scripts/deploy.sh staging");
        let step_secs: u64 = deploy_steps(&crate::plan::example_project())
            .iter()
            .map(|s| s.timeout_secs)
            .sum();
        let minutes = deploy["timeout-minutes"].as_u64().unwrap();
        assert!(minutes * 60 > step_secs + super::super::release::ROLLBACK_TIMEOUT_SECS);
        assert!(
            workflow["jobs"]["deploy-staging"]["timeout-minutes"]
                .as_u64()
                .unwrap()
                > minutes
        );
        // the alert endpoints come from the environment's secrets, never inline
        assert_eq!(
            deploy["env"]["ALERT_SLACK_WEBHOOK_URL"],
            "${{ secrets.ALERT_SLACK_WEBHOOK_URL }}"
        );
        let script = crate::plan::scripts::plan(&crate::plan::example_project())
            .into_iter()
            .find(|a| a.path.ends_with("deploy.sh"))
            .expect("deploy.sh");
        let renderer = crate::render::Renderer::new(None).expect("templates compile");
        let text = renderer.render(&script).expect("renders");
        // deploy[0]: 300s; deploy[1]: 600s; deploy[2]: 120s; no timeout: the 300s default
        for line in [
            "run_step required 300 '应用更新'",
            "run_step required 600 '等待就绪'",
            "run_step required 120 '数据库迁移'",
            "run_step required 300 '健康检查'",
        ] {
            assert!(text.contains(line), "{line}");
        }
        let trivy = &workflow["jobs"]["scan"]["steps"][1]["with"];
        assert_eq!(trivy["severity"], "MEDIUM,HIGH,CRITICAL");
        assert_eq!(trivy["exit-code"], "1");
        // production after staging, only from main or a release
        let production = &workflow["jobs"]["deploy-production"];
        assert_eq!(
            production["needs"],
            serde_json::json!(["build", "scan", "deploy-staging"])
        );
        assert!(
            production["if"]
                .as_str()
                .unwrap()
                .contains("refs/heads/main")
        );
        assert_eq!(
            workflow["permissions"],
            serde_json::json!({"contents": "read"})
        );
    }

    #[test]
    fn no_scan_job_when_scanning_is_off() {
        let workflow = rendered_example(|c| {
            *c.security.container.scan_images = false;
            *c.docker.build.security_scanning = false;
        });
        assert!(workflow["jobs"].get("scan").is_none());
        assert_eq!(
            workflow["jobs"]["deploy-dev"]["needs"],
            serde_json::json!(["build"])
        );
    }
}
