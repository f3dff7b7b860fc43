//! `.github/workflows/deploy.yml`: build the image, scan it against the
//! vulnerability threshold, then deploy environment by environment, each
//! running the scripts.yaml phases as steps.

use serde::Serialize;

use super::scripts::{DeployStep, deploy_steps, severities_from, timeout_minutes};
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

/// One environment-variable line of a step: `NAME: value` (a `${{ }}` expression).
#[derive(Debug, Serialize)]
struct EnvLine {
    name: &'static str,
    value: String,
}

#[derive(Debug, Serialize)]
struct WorkflowStep {
    #[serde(flatten)]
    step: DeployStep,
    /// Secrets and variables the step's script reads.
    env: Vec<EnvLine>,
}

#[derive(Debug, Serialize)]
struct DeployJob {
    id: String,
    name: String,
    namespace: String,
    /// The public host (none without a public process).
    host: Option<String>,
    /// Its URL, `https://` unless the environment turns TLS off.
    base_url: Option<String>,
    kustomize_dir: String,
    needs: Vec<String>,
    /// Deployed only from `main` or a published release.
    protected: bool,
    timeout_minutes: u64,
    steps: Vec<WorkflowStep>,
    /// Where the deploy jobs run: before the step at this index (`steps.len()`: after all).
    deploy_jobs_at: Option<usize>,
    /// Their step's timeout: every deadline plus a minute each.
    deploy_jobs_minutes: u64,
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
    /// `uses:` of each action, by key ([`ACTIONS`]).
    actions: std::collections::BTreeMap<&'static str, &'static str>,
    /// Debian packages of the clients a step runs that the runner lacks.
    apt_packages: Vec<&'static str>,
    /// Python version to set up when a step runs pytest/python.
    python: Option<String>,
    liveness: String,
    backup_retention_days: u64,
    backup_encrypted: bool,
}

/// Secrets and variables a generated script reads, as GitHub expressions.
/// Values come from the GitHub environment of the job (`vars`, `secrets`).
fn script_env(script: &str, encrypted: bool) -> Vec<EnvLine> {
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
    let has_deploy_jobs = c.manifest.deploy_jobs().next().is_some();
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
    let mut previous: Option<String> = None;
    let mut jobs = Vec::new();
    for name in &order {
        let Some((env_name, env)) = c
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
        let step_minutes: u64 = steps.iter().map(|s| s.timeout_minutes).sum();
        // The smoke test and the environment's URL need a public process on a host.
        let host = env
            .host
            .as_ref()
            .filter(|_| c.manifest.public_process().is_some())
            .map(ToString::to_string);
        jobs.push(DeployJob {
            id: id.clone(),
            name: name.clone(),
            namespace: super::kubernetes::namespace(c, env_name, env),
            base_url: host
                .as_deref()
                .map(|h| super::common::public_url(project.config_for(name), h)),
            host,
            kustomize_dir: format!("{output}/k8s/{name}"),
            needs,
            protected: PRODUCTION_NAMES.contains(&name.as_str()) || previous.is_some(),
            timeout_minutes: timeout_minutes((step_minutes + JOB_MARGIN_MINUTES) * 60),
            // Before the scripts.yaml deploy phase: the new version takes no traffic before them.
            deploy_jobs_at: has_deploy_jobs.then(|| {
                steps
                    .iter()
                    .position(|s| s.phase != "pre_deploy")
                    .unwrap_or(steps.len())
            }),
            deploy_jobs_minutes: timeout_minutes(
                c.manifest
                    .deploy_jobs()
                    .map(|(_, j)| super::workload::job_deadline_secs(j) + 60)
                    .sum(),
            ),
            steps: steps
                .iter()
                .map(|s| WorkflowStep {
                    env: s
                        .script
                        .as_deref()
                        .map(|script| script_env(script, *encrypted))
                        .unwrap_or_default(),
                    step: s.clone(),
                })
                .collect(),
        });
        previous = Some(id);
    }
    // The ubuntu-24.04 runner has psql, pg_dump and the mysql client, but no redis-cli.
    let apt_packages: Vec<&'static str> = if steps
        .iter()
        .any(|s| s.script.as_deref() == Some("redis_connection_test.sh"))
    {
        vec!["redis-tools"]
    } else {
        Vec::new()
    };
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
            dockerfile: super::docker::dockerfile_path(c),
            context: super::docker::build_context(c).to_owned(),
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
        liveness: super::docker::default_process(c)
            .and_then(|(_, p)| super::workload::probe_paths(p))
            .map(|p| p.liveness)
            .unwrap_or_default(),
        backup_retention_days: c
            .backup
            .database
            .retention
            .as_secs()
            .div_ceil(86_400)
            .clamp(1, 90),
        backup_encrypted: *encrypted,
    };
    vec![Artifact::new(
        ".github/workflows/deploy.yml",
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

    /// Renders the example's workflow with its first deploy step made optional
    /// and returns it parsed.
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
            *c.scripts.deploy[0].required = false;
            *c.security.container.vulnerability_threshold = VulnerabilitySeverity::Medium;
        });
        let steps = workflow["jobs"]["deploy-staging"]["steps"]
            .as_array()
            .unwrap();
        let step = |name: &str| {
            steps
                .iter()
                .find(|s| s["name"] == name)
                .unwrap_or_else(|| panic!("step {name}"))
        };
        // deploy[0]: timeout 300s, made optional
        assert_eq!(step("应用更新")["timeout-minutes"], 5);
        assert_eq!(step("应用更新")["continue-on-error"], true);
        // deploy[1]: 600s, required; deploy[2]: 120s
        assert_eq!(step("等待就绪")["timeout-minutes"], 10);
        assert!(step("等待就绪").get("continue-on-error").is_none());
        assert_eq!(step("数据库迁移")["timeout-minutes"], 2);
        // no timeout given: the 300s default
        assert_eq!(step("健康检查")["timeout-minutes"], 5);
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
