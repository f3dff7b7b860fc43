//! `docker-compose.yml` and `compose-secrets.sh`: every process and job of the
//! workload on one host, the dependencies compose runs (MySQL or PostgreSQL,
//! Redis) and nginx in front of the public process. Hardened as docker.yaml
//! asks; secrets are files under `secrets/` (never inline, never from the
//! environment: Compose v2 refuses environment-sourced secrets in read-only
//! services), which `compose-secrets.sh` creates; database ports unpublished;
//! every dependency waited for until healthy, deploy jobs until completed.

use serde::Serialize;

use super::common::{APP_UID, EnvVar};
use super::docker::{self, DOCKERFILE};
use super::workload::{self, Amounts, Secret};
use super::{Artifact, Check, Syntax};
mod dependencies;

use crate::model::manifest::{Job, Process, Target};
use crate::model::values::{CpuQuantity, DnsLabel, MemoryQuantity};
use crate::model::{Config, security::SslTermination};
use crate::validate::Project;
use dependencies::{
    Dependency, Monitoring, cache_image, database_image, dependency_waits, is_external, monitoring,
};

/// The folder, beside the compose file, that holds the secret files.
pub const SECRETS_FOLDER: &str = "secrets";

/// The env file of env-delivered secrets, in [`SECRETS_FOLDER`].
pub const SECRETS_ENV_FILE: &str = "app.env";

/// A compose `cpus` value: the CPU quantity as a decimal number of cores
/// (`500m` → `0.5`, `2` → `2`, `1500m` → `1.5`).
#[must_use]
pub fn cpus(quantity: &CpuQuantity) -> String {
    let m = quantity.millicores();
    let (whole, frac) = (m / 1000, m % 1000);
    if frac == 0 {
        whole.to_string()
    } else {
        let frac = format!("{frac:03}");
        format!("{whole}.{}", frac.trim_end_matches('0'))
    }
}

/// A compose memory value: Docker reads `K`/`M`/`G` as powers of 1024, so a
/// Kubernetes quantity becomes the largest binary unit that divides it exactly
/// (`512Mi` → `512M`, `1Gi` → `1G`), or plain bytes (`1G`, decimal, → `1000000000b`).
#[must_use]
pub fn memory(quantity: &MemoryQuantity) -> String {
    let bytes = quantity.bytes();
    [(1u64 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")]
        .into_iter()
        .find(|(unit, _)| bytes.is_multiple_of(*unit))
        .map_or_else(
            || format!("{bytes}b"),
            |(unit, suffix)| format!("{}{suffix}", bytes / unit),
        )
}

/// CPU and memory of a service.
#[derive(Serialize)]
struct ComposeAmounts {
    cpus: String,
    memory: String,
}

#[derive(Serialize)]
struct ComposeResources {
    limits: ComposeAmounts,
    reservations: ComposeAmounts,
}

impl ComposeResources {
    fn of(a: &Amounts) -> Self {
        Self {
            limits: ComposeAmounts {
                cpus: cpus(&a.cpu_limit),
                memory: memory(&a.memory_limit),
            },
            reservations: ComposeAmounts {
                cpus: cpus(&a.cpu_request),
                memory: memory(&a.memory_request),
            },
        }
    }
}

#[derive(Serialize)]
struct Health {
    test: String,
    interval: &'static str,
    timeout: &'static str,
    start_period: &'static str,
    retries: u32,
}

/// A named volume mounted at a path.
#[derive(Serialize)]
struct Mount {
    volume: String,
    path: String,
}

/// How a built image is built (absent for a prebuilt image).
#[derive(Serialize)]
struct BuildSpec {
    context: String,
    dockerfile: String,
}

/// A service of the workload: a process, a deploy job or a scheduled job.
#[derive(Serialize)]
struct Service {
    name: String,
    /// What it is, for the comment above it.
    about: String,
    build: Option<BuildSpec>,
    image: String,
    command: Option<String>,
    user: Option<String>,
    read_only: bool,
    no_new_privileges: bool,
    tmpfs: Vec<String>,
    log_mounts: Vec<Mount>,
    /// The process's data volumes.
    data_mounts: Vec<Mount>,
    environment: Vec<EnvVar>,
    /// Names of the file secrets it mounts.
    secrets: Vec<String>,
    /// The env file of env-delivered secrets, if any.
    env_file: Option<String>,
    port: Option<u16>,
    /// On the frontend network too (nginx reaches it).
    public: bool,
    /// Services it waits for, with the condition.
    depends_on: Vec<(String, &'static str)>,
    healthcheck: Option<Health>,
    /// The image's HEALTHCHECK probes a port this service does not serve.
    healthcheck_disabled: bool,
    resources: ComposeResources,
    /// A one-shot job (`restart: "no"`).
    one_shot: bool,
    /// Compose profile (scheduled jobs run on demand: `--profile jobs`).
    profile: Option<&'static str>,
}

#[derive(Serialize)]
struct View {
    name: String,
    database_name: String,
    services: Vec<Service>,
    database: Option<Dependency>,
    cache: Option<Dependency>,
    /// The public process's service, which nginx proxies to.
    proxied: Option<String>,
    proxied_healthy: bool,
    nginx_image: String,
    nginx_wget: bool,
    ssl: bool,
    secrets: Vec<Secret>,
    env_secrets: bool,
    /// The top-level `secrets:` has entries.
    secret_files: bool,
    /// The database or cache is external: its URL is written by hand.
    external_database: bool,
    /// PostgreSQL serves TLS (security.yaml data.encryption_in_transit): the scripts require it.
    postgres_tls: bool,
    external_cache: bool,
    /// Named volumes.
    volumes: Vec<String>,
    /// The `monitoring` profile, when the project has monitoring.
    monitoring: Option<Monitoring>,
    /// The `logging` profile's collector (logging.yaml collection).
    log_collector: Option<super::logship::ComposeCollector>,
    /// The `jobs` profile's file backup (backup.yaml files).
    file_backup: Option<super::file_backup::FileBackupView>,
    file_backup_uid: u32,
}

/// The database name and user: the manifest's, else the project name with `_`.
#[must_use]
pub fn database_name(config: &Config) -> String {
    config
        .manifest
        .dependencies
        .database
        .as_ref()
        .and_then(|d| d.name.as_ref())
        .map_or_else(
            || config.manifest.name.as_str().replace('-', "_"),
            |n| n.as_str().replace('-', "_"),
        )
}

/// What is common to the services that run the workload's image.
struct Base<'a> {
    config: &'a Config,
    build: Option<BuildSpec>,
    image: String,
    secrets: Vec<Secret>,
    read_only: bool,
    /// Deploy jobs the processes wait for.
    deploy_jobs: Vec<String>,
    /// The image's HEALTHCHECK is cfgen's recipe's, for the default process.
    image_healthcheck: bool,
}

impl Base<'_> {
    fn service(
        &self,
        name: &DnsLabel,
        command: Option<Vec<String>>,
        port: Option<u16>,
        env: &std::collections::BTreeMap<
            crate::model::values::EnvName,
            crate::provenance::Tracked<crate::model::manifest::EnvValue>,
        >,
        resources: Option<&crate::model::manifest::Resources>,
    ) -> Service {
        let security = &self.config.docker.runtime.security;
        let mut environment = workload::shared_env(self.config, None);
        environment.extend(workload::own_env(port, env));
        environment.extend(self.secrets.iter().filter(|s| s.as_file).map(|s| EnvVar {
            name: s.var.clone(),
            value: s.path.clone(),
        }));
        environment.sort_by(|a, b| a.name.cmp(&b.name));
        let log_mounts = if self.read_only {
            log_mounts(self.config, name.as_str())
        } else {
            Vec::new()
        };
        Service {
            name: name.to_string(),
            about: String::new(),
            build: self.build.as_ref().map(|b| BuildSpec {
                context: b.context.clone(),
                dockerfile: b.dockerfile.clone(),
            }),
            image: self.image.clone(),
            command: command.as_deref().map(docker::exec_form),
            user: security
                .non_root_user
                .then(|| format!("{APP_UID}:{APP_UID}")),
            read_only: self.read_only,
            no_new_privileges: *security.no_new_privileges,
            tmpfs: if self.read_only {
                vec!["/tmp:size=64m".to_owned()]
            } else {
                Vec::new()
            },
            log_mounts,
            data_mounts: Vec::new(),
            environment,
            secrets: self
                .secrets
                .iter()
                .filter(|s| s.as_file)
                .map(|s| s.file.clone())
                .collect(),
            env_file: self
                .secrets
                .iter()
                .any(|s| !s.as_file)
                .then(|| format!("{SECRETS_FOLDER}/{SECRETS_ENV_FILE}")),
            port,
            public: false,
            depends_on: Vec::new(),
            healthcheck: None,
            healthcheck_disabled: false,
            resources: ComposeResources::of(&workload::compose_resources(self.config, resources)),
            one_shot: false,
            profile: None,
        }
    }

    fn process(&self, name: &DnsLabel, process: &Process, default: bool) -> Service {
        let mut s = self.service(
            name,
            // The default process runs the image's CMD; the others say what they run.
            if default && self.build.is_some() {
                None
            } else {
                workload::process_command(self.config, process)
            },
            process.port.as_deref().copied(),
            &process.env,
            process.resources.as_ref(),
        );
        s.about = format!("the `{name}` process");
        s.data_mounts = super::file_backup::process_volumes(self.config, name.as_str(), process)
            .into_iter()
            .map(|v| Mount {
                volume: v.key,
                path: v.path,
            })
            .collect();
        s.public = process.is_public();
        s.healthcheck = workload::healthcheck(self.config, process).map(|h| {
            let mut test = vec!["CMD".to_owned()];
            test.extend(h.test.iter().cloned());
            Health {
                test: docker::exec_form(&test),
                interval: h.interval,
                timeout: h.timeout,
                start_period: h.start_period,
                retries: h.retries,
            }
        });
        s.healthcheck_disabled = s.healthcheck.is_none() && self.image_healthcheck;
        s.depends_on = self
            .deploy_jobs
            .iter()
            .map(|j| (j.clone(), "service_completed_successfully"))
            .collect();
        s.depends_on.extend(dependency_waits(self.config));
        s
    }

    fn job(&self, name: &DnsLabel, job: &Job) -> Service {
        let mut s = self.service(
            name,
            Some((*job.command).clone()),
            None,
            &job.env,
            job.resources.as_ref(),
        );
        s.one_shot = true;
        // A job serves nothing: the image's HTTP HEALTHCHECK does not apply.
        s.healthcheck_disabled = self.image_healthcheck;
        s.depends_on = dependency_waits(self.config);
        if job.schedule.is_some() {
            s.about = format!(
                "the scheduled job `{name}`: compose has no scheduler; run it with `docker compose --profile jobs run --rm {name}` from the host's cron"
            );
            s.profile = Some("jobs");
        } else {
            s.about = format!(
                "the deploy job `{name}`, once before the processes start (they wait for it to complete)"
            );
        }
        s
    }
}

/// The log folders of logging.yaml's file handlers as named volumes of one service.
fn log_mounts(config: &Config, service: &str) -> Vec<Mount> {
    let dirs = docker::log_dirs(config);
    let many = dirs.len() > 1;
    dirs.into_iter()
        .enumerate()
        .map(|(i, path)| Mount {
            volume: if many {
                format!("{service}_logs_{}", i + 1)
            } else {
                format!("{service}_logs")
            },
            path,
        })
        .collect()
}

/// The compose file and its secrets helper.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    let manifest = &config.manifest;
    if !manifest.wants(Target::Compose) {
        return Vec::new();
    }
    let paths = docker::context_paths(project);
    let build = manifest.build.as_ref().map(|b| BuildSpec {
        context: paths.context_from_output.clone(),
        dockerfile: match b.dockerfile.as_ref() {
            // The user's own, relative to the context as compose reads it.
            Some(own) => docker::relative_path(
                std::path::Path::new(docker::build_context(config)),
                std::path::Path::new(own.as_str()),
            ),
            None if paths.output_from_context == "." => DOCKERFILE.to_owned(),
            None => format!("{}/{DOCKERFILE}", paths.output_from_context),
        },
    });
    let default = docker::default_process(config).map(|(n, _)| n.clone());
    let base = Base {
        config,
        image: if build.is_some() {
            format!("{}:local", manifest.image.name)
        } else {
            manifest.image.to_string()
        },
        build,
        secrets: workload::secrets(config),
        read_only: *config.docker.runtime.security.read_only_filesystem,
        deploy_jobs: manifest.deploy_jobs().map(|(n, _)| n.to_string()).collect(),
        image_healthcheck: manifest.runtime().is_some(),
    };
    let mut services: Vec<Service> = Vec::new();
    for (name, job) in manifest.deploy_jobs() {
        services.push(base.job(name, job));
    }
    for (name, process) in workload::processes(config) {
        services.push(base.process(name, process, default.as_ref() == Some(name)));
    }
    for (name, job) in manifest.scheduled_jobs() {
        services.push(base.job(name, job));
    }
    let public = services.iter().find(|s| s.public);
    let proxied = public.map(|s| s.name.clone());
    let proxied_healthy = public.is_some_and(|s| s.healthcheck.is_some());
    let database = database_image(config);
    let cache = cache_image(config);
    let mut volumes: Vec<String> = services
        .iter()
        .flat_map(|s| s.log_mounts.iter().map(|m| m.volume.clone()))
        .collect();
    if let Some(db) = &database {
        volumes.push(format!("{}_data", db.service));
    }
    if cache.is_some() {
        volumes.push("redis_data".into());
    }
    let monitoring = monitoring(config, database.as_ref(), cache.as_ref());
    if monitoring.is_some() {
        volumes.push("prometheus_data".into());
        volumes.push("alertmanager_data".into());
    }
    volumes.extend(
        services
            .iter()
            .flat_map(|s| s.data_mounts.iter().map(|m| m.volume.clone())),
    );
    let file_backup = super::file_backup::view(config);
    let log_collector = super::logship::compose_collector(config);
    if let Some(c) = &log_collector {
        volumes.push(format!("{}_state", c.agent.replace('-', "_")));
    }
    volumes.sort();
    volumes.dedup();
    let nginx_image = config
        .docker
        .base_images
        .nginx
        .as_ref()
        .map_or_else(|| "nginx:1.26-alpine".to_owned(), ToString::to_string);
    let net = &config.security.network;
    let secrets = base.secrets.clone();
    let view = View {
        name: manifest.name.to_string(),
        database_name: database_name(config),
        env_secrets: secrets.iter().any(|s| !s.as_file),
        secret_files: database.is_some() || secrets.iter().any(|s| s.as_file),
        external_database: manifest
            .dependencies
            .database
            .as_ref()
            .is_some_and(|d| is_external(d.external.as_deref())),
        external_cache: manifest
            .dependencies
            .cache
            .as_ref()
            .is_some_and(|c| is_external(c.external.as_deref())),
        postgres_tls: database.as_ref().is_some_and(|d| d.engine == "postgres")
            && *config.security.data.encryption_in_transit,
        secrets,
        services,
        database,
        cache,
        proxied_healthy,
        nginx_wget: nginx_image.contains("alpine"),
        nginx_image,
        ssl: proxied.is_some()
            && *config.kubernetes.networking.ssl_enabled
            && *net.ssl_termination == SslTermination::Ingress,
        proxied,
        volumes,
        monitoring,
        log_collector,
        file_backup,
        file_backup_uid: APP_UID,
    };
    let view = minijinja::Value::from(minijinja::value::Serde(&view));
    vec![
        Artifact::new(
            "docker-compose.yml",
            "compose/docker-compose.yml.j2",
            &view,
            Syntax::Yaml,
            Check::Compose,
        ),
        Artifact::new(
            "compose-secrets.sh",
            "compose/compose-secrets.sh.j2",
            &view,
            Syntax::Shell,
            Check::None,
        )
        .executable(),
    ]
}
