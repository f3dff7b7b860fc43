//! `docker-compose.yml`: the app (built from the generated Dockerfile), MySQL,
//! Redis and nginx on one host, hardened as docker.yaml asks, with secrets
//! from the environment of `docker compose up` (never inline), database ports
//! unpublished, and every dependency waited for until healthy.

use serde::Serialize;

use super::common::{self, APP_UID, EnvVar};
use super::docker::{self, DOCKERFILE};
use super::{Artifact, Check, Syntax};
use crate::model::manifest::Runtime;
use crate::model::values::{CpuQuantity, ImageRef, MemoryQuantity};
use crate::model::{Config, FileKind};
use crate::provenance::Tracked;
use crate::validate::Project;

/// Where the app reads its database URL (a compose secret).
pub const DATABASE_URL_FILE: &str = "/run/secrets/database_url";
/// Where the app reads its Redis URL (a compose secret).
pub const REDIS_URL_FILE: &str = "/run/secrets/redis_url";

/// What the one-shot migration needs of the app's environment.
const MIGRATE_ENV: [&str; 4] = ["DATABASE_URL_FILE", "LOG_FORMAT", "LOG_LEVEL", "RUN_MODE"];

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
struct Amounts {
    cpus: Option<String>,
    memory: String,
}

#[derive(Serialize)]
struct Resources {
    limits: Amounts,
    reservations: Amounts,
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

#[derive(Serialize)]
struct App {
    context: String,
    dockerfile: String,
    image: String,
    user: Option<String>,
    read_only: bool,
    no_new_privileges: bool,
    tmpfs: Vec<String>,
    log_mounts: Vec<Mount>,
    environment: Vec<EnvVar>,
    port: u16,
    healthcheck: Health,
    resources: Resources,
    migrate: Option<String>,
    migrate_healthcheck: String,
    migrate_environment: Vec<EnvVar>,
}

#[derive(Serialize)]
struct View {
    name: String,
    database: String,
    app: App,
    mysql_image: String,
    redis_image: String,
    nginx_image: String,
    nginx_wget: bool,
    ssl: bool,
    volumes: Vec<String>,
}

fn image(configured: Option<&Tracked<ImageRef>>, default: &str) -> String {
    configured.map_or_else(|| default.to_owned(), ToString::to_string)
}

/// The app's environment: the common non-secret variables and the secret files.
fn environment(config: &Config) -> Vec<EnvVar> {
    let mut vars = common::app_env(config);
    vars.push(EnvVar {
        name: "DATABASE_URL_FILE".into(),
        value: DATABASE_URL_FILE.into(),
    });
    vars.push(EnvVar {
        name: "REDIS_URL_FILE".into(),
        value: REDIS_URL_FILE.into(),
    });
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    vars
}

/// The healthcheck of a one-shot job, which serves no HTTP: the image can run
/// its runtime (healthy while the job runs).
fn job_probe(config: &Config) -> Vec<String> {
    let mut test = vec!["CMD".to_owned()];
    match *config.manifest.app.runtime {
        Runtime::Python => test.extend(["python", "-c", "pass"].map(str::to_owned)),
        Runtime::Rust => test.extend([docker::binary_path(config), "--version".to_owned()]),
    }
    test
}

/// The compose file.
#[must_use]
pub fn plan(project: &Project) -> Vec<Artifact> {
    let config = &project.config;
    let manifest = &config.manifest;
    let docker_cfg = &config.docker;
    let security = &docker_cfg.runtime.security;
    let res = &docker_cfg.runtime.resources;
    let paths = docker::context_paths(project);
    let hc = docker::healthcheck(config);
    let mut test = vec!["CMD".to_owned()];
    test.extend(hc.test.iter().cloned());
    let read_only = security.read_only_filesystem;
    let log_mounts: Vec<Mount> = if *read_only {
        let dirs = docker::log_dirs(config);
        let many = dirs.len() > 1;
        dirs.into_iter()
            .enumerate()
            .map(|(i, path)| Mount {
                volume: if many {
                    format!("app_logs_{}", i + 1)
                } else {
                    "app_logs".to_owned()
                },
                path,
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut volumes = vec!["mysql_data".to_owned(), "redis_data".to_owned()];
    volumes.extend(log_mounts.iter().map(|m| m.volume.clone()));
    volumes.sort();
    let nginx_image = image(docker_cfg.base_images.nginx.as_ref(), "nginx:1.24-alpine");
    let net = &config.security.network;
    let view = View {
        name: manifest.name.to_string(),
        database: manifest.name.as_str().replace('-', "_"),
        app: App {
            dockerfile: if paths.output_from_context == "." {
                DOCKERFILE.to_owned()
            } else {
                format!("{}/{DOCKERFILE}", paths.output_from_context)
            },
            context: paths.context_from_output,
            image: format!("{}:local", manifest.image.repository),
            user: security
                .non_root_user
                .then(|| format!("{APP_UID}:{APP_UID}")),
            read_only: *read_only,
            no_new_privileges: *security.no_new_privileges,
            tmpfs: if *read_only {
                vec!["/tmp:size=64m".to_owned()]
            } else {
                Vec::new()
            },
            log_mounts,
            migrate_environment: environment(config)
                .into_iter()
                .filter(|v| MIGRATE_ENV.contains(&v.name.as_str()))
                .collect(),
            environment: environment(config),
            port: *manifest.app.port,
            healthcheck: Health {
                test: docker::exec_form(&test),
                interval: hc.interval,
                timeout: hc.timeout,
                start_period: hc.start_period,
                retries: hc.retries,
            },
            resources: Resources {
                limits: Amounts {
                    cpus: Some(cpus(&res.cpu_limit)),
                    memory: memory(&res.memory_limit),
                },
                reservations: Amounts {
                    cpus: Some(cpus(&res.cpu_request)),
                    memory: memory(&res.memory_request),
                },
            },
            migrate: manifest
                .app
                .migrate
                .as_deref()
                .map(|m| docker::exec_form(m)),
            migrate_healthcheck: docker::exec_form(&job_probe(config)),
        },
        mysql_image: image(docker_cfg.base_images.mysql.as_ref(), "mysql:8.0"),
        redis_image: image(docker_cfg.base_images.redis.as_ref(), "redis:7-alpine"),
        nginx_wget: nginx_image.contains("alpine"),
        nginx_image,
        ssl: *config.kubernetes.networking.ssl_enabled
            && net.ssl_termination == crate::model::security::SslTermination::Ingress,
        volumes,
    };
    vec![Artifact::new(
        "docker-compose.yml",
        "compose/docker-compose.yml.j2",
        view,
        &[
            FileKind::Manifest,
            FileKind::Docker,
            FileKind::Kubernetes,
            FileKind::Logging,
            FileKind::Security,
            FileKind::Performance,
        ],
        Syntax::Yaml,
        Check::Compose,
    )]
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;

    use crate::plan::example_project as example;

    fn app_service(project: &Project) -> serde_json::Value {
        plan(project)[0].context_json()["app"].clone()
    }

    #[test]
    fn read_only_root_gets_tmp_and_a_log_volume() {
        let mut project = example();
        let app = app_service(&project);
        assert_eq!(app["read_only"], json!(true));
        assert_eq!(app["tmpfs"], json!(["/tmp:size=64m"]));
        assert_eq!(
            app["log_mounts"],
            json!([{ "volume": "app_logs", "path": "/var/log/app" }])
        );
        assert_eq!(
            plan(&project)[0].context_json()["volumes"],
            json!(["app_logs", "mysql_data", "redis_data"])
        );
        *project.config.docker.runtime.security.read_only_filesystem = false;
        let app = app_service(&project);
        assert_eq!(app["read_only"], json!(false));
        assert_eq!(app["tmpfs"], json!([]));
        assert_eq!(app["log_mounts"], json!([]));
    }

    #[test]
    fn secrets_are_files_and_hardening_follows_docker_yaml() {
        let mut project = example();
        let app = app_service(&project);
        let env = app["environment"].as_array().unwrap();
        let get = |name: &str| {
            env.iter()
                .find(|v| v["name"] == name)
                .map(|v| v["value"].clone())
        };
        assert_eq!(get("DATABASE_URL_FILE"), Some(json!(DATABASE_URL_FILE)));
        assert_eq!(get("REDIS_URL_FILE"), Some(json!(REDIS_URL_FILE)));
        assert_eq!(get("DATABASE_URL"), None);
        assert_eq!(app["user"], json!("10001:10001"));
        assert_eq!(app["context"], json!(".."));
        assert_eq!(app["dockerfile"], json!("deploy/Dockerfile"));
        let migrate_env: Vec<_> = app["migrate_environment"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].clone())
            .collect();
        assert_eq!(
            migrate_env,
            json!(["DATABASE_URL_FILE", "LOG_FORMAT", "LOG_LEVEL", "RUN_MODE"])
                .as_array()
                .unwrap()
                .clone()
        );
        *project.config.docker.runtime.security.non_root_user = false;
        *project.config.docker.runtime.security.no_new_privileges = false;
        let app = app_service(&project);
        assert_eq!(app["user"], json!(null));
        assert_eq!(app["no_new_privileges"], json!(false));
    }

    fn cpu(s: &str) -> CpuQuantity {
        s.parse().unwrap()
    }

    fn mem(s: &str) -> MemoryQuantity {
        s.parse().unwrap()
    }

    #[test]
    fn cpu_quantities_become_decimal_cores() {
        assert_eq!(cpus(&cpu("500m")), "0.5");
        assert_eq!(cpus(&cpu("250m")), "0.25");
        assert_eq!(cpus(&cpu("1")), "1");
        assert_eq!(cpus(&cpu("2000m")), "2");
        assert_eq!(cpus(&cpu("1.5")), "1.5");
        assert_eq!(cpus(&cpu("1m")), "0.001");
        assert_eq!(cpus(&cpu("0.125")), "0.125");
    }

    #[test]
    fn memory_quantities_become_docker_binary_units() {
        assert_eq!(memory(&mem("512Mi")), "512M");
        assert_eq!(memory(&mem("256Mi")), "256M");
        assert_eq!(memory(&mem("1Gi")), "1G");
        assert_eq!(memory(&mem("1536Mi")), "1536M");
        assert_eq!(memory(&mem("64Ki")), "64K");
        // Decimal units are not Docker's: exact bytes rather than a silent 7% error.
        assert_eq!(memory(&mem("1G")), "1000000000b");
        assert_eq!(memory(&mem("512M")), "500000K");
        assert_eq!(memory(&mem("1000")), "1000b");
    }
}
